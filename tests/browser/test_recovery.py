"""Account recovery in Chromium: "Forgot password?" -> the link from the email outbox -> a new
password -> sign in, the second factor still asked; the old password refused; the link refused
a second time and after 30 minutes; the same answer for an address without an account. And the
manage page's signed-in sessions: this device, another browser, signing it out."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import (
    App,
    add_phone,
    axe_violations,
    create_account,
    new_phone,
    seed_account,
    shoot,
    sign_up,
)

NEW_PASSWORD = "a brand new passphrase"
SENT = "If an account uses that email address, we sent it a link"


def ask_for_a_link(page: Page, email: str) -> None:
    page.goto("/sign-in")
    page.get_by_role("link", name="Forgot password?").click()
    expect(page.get_by_role("heading", name="Forgot password?")).to_be_visible()
    page.get_by_label("Email address").fill(email)
    page.get_by_role("button", name="Send reset link").click()
    expect(page.get_by_text(SENT)).to_be_visible()


def wait_for(found, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not found():
        assert time.monotonic() < deadline, "not there in time"
        time.sleep(0.1)


def sign_in(page: Page, email: str, password: str) -> None:
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


@pytest.mark.scale_out  # also on `reflex run --env prod` with PostgreSQL, Redis and several workers
def test_a_forgotten_password_is_reset_by_email_and_mfa_is_still_asked(page: Page, app: App):
    # Through the pages only: with --db postgres the app is a server of its own.
    account = sign_up(page)
    phone = new_phone()
    add_phone(page, app, phone.national, phone.e164)
    page.get_by_role("link", name="Back to MFA settings").click()
    page.get_by_role("listitem").filter(has_text=phone.shown).get_by_role("button", name="Use for MFA").click()
    # MFA is on, and the backup codes are offered at once (after a second factor): not now.
    page.get_by_role("dialog", name="Confirm it's you").get_by_role("button", name="Cancel").click()
    expect(page.get_by_text(f"{phone.shown} (Default)")).to_be_visible()
    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()

    ask_for_a_link(page, account.email)
    shoot(page, "recovery-01-link-sent")
    assert axe_violations(page) == []

    link = app.reset_link(account.email)
    assert "/auth/password-reset?token=" in link
    page.goto(link)
    expect(page.get_by_role("heading", name="Reset password")).to_be_visible()
    assert "token" not in page.url  # the token left the URL at the backend route
    page.get_by_label("New password").fill("short")
    page.get_by_role("button", name="Set new password").click()
    expect(page.get_by_role("alert")).to_contain_text("at least 8 characters")
    assert axe_violations(page) == []
    page.get_by_label("New password").fill(NEW_PASSWORD)
    shoot(page, "recovery-02-new-password")
    page.get_by_role("button", name="Set new password").click()
    expect(page.get_by_text("Your password was changed")).to_be_visible()
    wait_for(lambda: [m for m in app.emails(account.email) if "was changed" in m["subject"]])  # sent after answering

    page.get_by_role("link", name="Sign in").click()
    sign_in(page, account.email, NEW_PASSWORD)
    expect(page.get_by_text("We sent a code to")).to_be_visible()  # a reset never bypasses MFA
    page.get_by_label("Enter code").fill(app.last_code(phone.e164))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="User MFA Settings")).to_be_visible()
    expect(page.get_by_text("Password changed with a reset link")).to_be_visible()
    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()

    sign_in(page, account.email, account.password)
    expect(page.get_by_role("alert")).to_have_text(re.compile("Email address or password is incorrect"))

    page.goto(link)
    expect(page.get_by_role("alert")).to_contain_text("already used")
    expect(page.get_by_label("New password")).to_have_count(0)
    shoot(page, "recovery-03-link-used")


def test_a_reset_link_is_refused_after_30_minutes(page: Page, app: App):
    account = create_account(app)
    ask_for_a_link(page, account.email)
    link = app.reset_link(account.email)
    app.age_reset_links(account.email, minutes=31)

    page.goto(link)
    expect(page.get_by_role("alert")).to_contain_text("This link has expired")
    page.get_by_role("link", name="Ask for a new link").click()
    expect(page.get_by_role("heading", name="Forgot password?")).to_be_visible()


def test_an_address_without_an_account_gets_the_same_answer(page: Page, app: App):
    ask_for_a_link(page, "nobody-here@example.com")
    assert app.emails("nobody-here@example.com") == []


def test_the_manage_page_lists_the_sessions_and_signs_another_one_out(page: Page, app: App, new_page):
    account = seed_account(app, page)
    sessions = page.get_by_role("list", name="Signed-in sessions")
    expect(sessions.get_by_role("listitem")).to_have_count(1)
    expect(sessions.get_by_role("listitem")).to_contain_text("Chrome on Linux")
    expect(sessions.get_by_text("This device")).to_be_visible()

    other = new_page()
    sign_in(other, account.email, account.password)
    expect(other.get_by_role("heading", name="User MFA Settings")).to_be_visible()
    page.reload()
    expect(sessions.get_by_role("listitem")).to_have_count(2)
    expect(sessions.get_by_role("listitem").nth(1)).to_contain_text("last active")
    shoot(page, "recovery-04-sessions")

    assert axe_violations(page) == []
    sessions.get_by_role("button", name="Sign out Chrome on Linux").click()
    expect(page.get_by_text("That session was signed out.")).to_be_visible()
    expect(page.locator("#sessions-status")).to_be_focused()
    expect(sessions.get_by_role("listitem")).to_have_count(1)
    other.reload()
    expect(other.get_by_role("heading", name="You must be logged in to access this page")).to_be_visible()


def test_signing_out_every_other_session_re_verifies_first(page: Page, app: App, new_page):
    account = seed_account(app, page)
    other = new_page()
    sign_in(other, account.email, account.password)
    expect(other.get_by_role("heading", name="User MFA Settings")).to_be_visible()
    page.reload()
    app.make_sessions_stale(account.email)

    page.get_by_role("button", name="Sign out of all other sessions").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Password").fill(account.password)
    dialog.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("Signed out of 1 other session.")).to_be_visible()
    expect(page.get_by_role("list", name="Signed-in sessions").get_by_role("listitem")).to_have_count(1)
    other.reload()
    expect(other.get_by_role("heading", name="You must be logged in to access this page")).to_be_visible()
