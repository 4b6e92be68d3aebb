"""The journey a new user takes, end to end in Chromium."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import App, add_phone, shoot, sign_up, use_backup_code

# Also run with `--db postgres`: `reflex run --env prod`, PostgreSQL, Redis, several workers.
pytestmark = pytest.mark.scale_out

FIRST = ("(415) 555-2671", "+14155552671", "+1 415-555-2671")
SECOND = ("(415) 555-0199", "+14155550199", "+1 415-555-0199")


def row(page: Page, number: str):
    return page.get_by_role("listitem").filter(has_text=number)


def reverify_with_sms(page: Page, app: App, to: str) -> None:
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_text("We sent a code to")).to_be_visible()
    dialog.get_by_label("Enter code").fill(app.last_code(to))
    dialog.get_by_role("button", name="Continue").click()
    expect(dialog).to_be_hidden()


def sign_in(page: Page, email: str, password: str) -> None:
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_the_journey_of_a_new_user(page: Page, app: App):
    person = sign_up(page)
    expect(page.get_by_text("There are currently no phone numbers reserved for MFA.")).to_be_visible()
    expect(
        page.get_by_text("There are currently no verified phone numbers available to be reserved for MFA.")
    ).to_be_visible()
    shoot(page, "01-manage-empty")

    add_phone(page, app, FIRST[0], FIRST[1])
    shoot(page, "02-phone-added")
    page.get_by_role("link", name="Back to MFA settings").click()
    expect(page.get_by_role("heading", name="Phone numbers that are not reserved for MFA")).to_be_visible()
    expect(row(page, FIRST[2])).to_be_visible()

    app.make_sessions_stale(person.email)
    row(page, FIRST[2]).get_by_role("button", name="Use for MFA").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Password").fill(person.password)
    shoot(page, "03-reverify-password")
    dialog.get_by_role("button", name="Continue").click()
    expect(page.get_by_text(f"{FIRST[2]} (Default)")).to_be_visible()

    # MFA is on: the backup codes are made at once, after a second factor (a code by SMS).
    reverify_with_sms(page, app, FIRST[1])
    expect(page.get_by_role("heading", name="Phone numbers reserved for MFA")).to_be_visible()
    codes = page.locator("#backup-codes li")
    expect(codes).to_have_count(10)
    backup_codes = codes.all_inner_texts()
    shoot(page, "04-backup-codes")
    page.get_by_role("button", name="Done").click()
    expect(page.locator("#backup-codes")).to_have_count(0)
    expect(page.get_by_text("10 unused backup codes left.")).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()

    sign_in(page, person.email, person.password)
    expect(page.get_by_text("We sent a code to +1 *** *** 2671.")).to_be_visible()
    shoot(page, "05-sign-in-second-factor")
    page.get_by_label("Enter code").fill(app.last_code(FIRST[1]))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="User MFA Settings")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()

    sign_in(page, person.email, person.password)
    use_backup_code(page, backup_codes[0])
    expect(page.get_by_role("heading", name="User MFA Settings")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()  # not racing the sign-out
    sign_in(page, person.email, person.password)
    use_backup_code(page, backup_codes[0])
    expect(page.get_by_role("alert")).to_have_text(re.compile("incorrect or was already used"))
    page.get_by_label("Enter code").fill(backup_codes[1])
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="User MFA Settings")).to_be_visible()

    add_phone(page, app, SECOND[0], SECOND[1])
    page.get_by_role("link", name="Back to MFA settings").click()
    row(page, SECOND[2]).get_by_role("button", name="Use for MFA").click()
    expect(page.get_by_text(SECOND[2])).to_be_visible()
    expect(row(page, SECOND[2]).get_by_role("button", name="Make default")).to_be_visible()
    row(page, SECOND[2]).get_by_role("button", name="Make default").click()
    expect(page.get_by_text(f"{SECOND[2]} (Default)")).to_be_visible()
    shoot(page, "06-manage-two-mfa-phones")

    row(page, FIRST[2]).get_by_role("button", name="Disable for MFA").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Disable").click()
    expect(row(page, FIRST[2]).get_by_role("button", name="Use for MFA")).to_be_visible()
    row(page, FIRST[2]).get_by_role("button", name="Remove from account").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Remove").click()
    expect(page.get_by_text(FIRST[2])).to_have_count(0)

    row(page, SECOND[2]).get_by_role("button", name="Remove from account").click()
    alert = page.get_by_role("alertdialog")
    expect(alert).to_contain_text("MFA will be turned off and your backup codes will stop working")
    alert.get_by_role("button", name="Remove").click()
    expect(page.get_by_text("There are currently no phone numbers reserved for MFA.")).to_be_visible()
    expect(page.get_by_role("button", name="Generate")).to_have_count(0)
