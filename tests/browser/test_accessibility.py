"""axe-core (pinned in tests/browser/package.json) injected into every page and step: no
violation of impact "serious" or "critical"."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import (
    App,
    axe_violations,
    create_account,
    hand_off,
    new_phone,
    seed_account,
    settle,
    shoot,
)

# The sizes and colour schemes every page is checked (and photographed) at.
VIEWS = {
    "wide": {"viewport": {"width": 1280, "height": 900}},
    "narrow": {"viewport": {"width": 390, "height": 844}},
    "wide-dark": {"viewport": {"width": 1280, "height": 900}, "color_scheme": "dark"},
    "narrow-dark": {"viewport": {"width": 390, "height": 844}, "color_scheme": "dark"},
}


@pytest.fixture(params=list(VIEWS))
def view(request: pytest.FixtureRequest, new_page) -> Page:
    """A page at one of VIEWS, its name in `view.view_name`."""
    page = new_page(**VIEWS[request.param])
    page.view_name = request.param  # type: ignore[attr-defined]
    return page


def assert_accessible(page: Page, what: str) -> None:
    violations = axe_violations(page)
    name = getattr(page, "view_name", "")
    if name:
        shoot(page, f"view-{name}-" + re.sub(r"[^a-z0-9]+", "-", what.lower()).strip("-"))
    assert not violations, f"{what} ({name or 'default view'}): axe found\n" + json.dumps(violations, indent=2)


def click_action(page: Page, name: str) -> None:
    """Click the first phone row's action `name`."""
    page.get_by_role("button", name=name, exact=True).first.click()


def test_sign_up_and_sign_in_pages_have_no_serious_accessibility_violations(view: Page):
    page = view
    page.goto("/sign-up")
    expect(page.get_by_role("heading", name="Sign up")).to_be_visible()
    assert_accessible(page, "/sign-up")
    page.goto("/sign-in")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert_accessible(page, "/sign-in")


def test_signed_out_account_page_has_no_serious_accessibility_violations(view: Page):
    page = view
    page.goto("/account/manage-mfa")
    expect(page.get_by_text("You must be logged in to access this page")).to_be_visible()
    assert_accessible(page, "signed-out /account/manage-mfa")


def test_sign_in_second_step_has_no_serious_accessibility_violations(view: Page, app: App):
    account = create_account(app, mfa=1, backup_codes=True)
    visitor = view
    visitor.goto("/sign-in")
    visitor.get_by_label("Email address").fill(account.email)
    visitor.get_by_label("Password").fill(account.password)
    visitor.get_by_role("button", name="Sign in").click()
    expect(visitor.get_by_text("We sent a code to")).to_be_visible()
    assert_accessible(visitor, "/sign-in second step")


def test_manage_page_with_both_lists_and_backup_codes_has_no_serious_accessibility_violations(view: Page, app: App):
    page = view
    seed_account(app, page, mfa=2, available=1)
    click_action(page, "Make default")
    expect(page.get_by_role("status")).to_have_text("Default MFA phone changed.")
    assert_accessible(page, "/account/manage-mfa")
    page.get_by_role("button", name="Generate").click()
    expect(page.get_by_role("button", name="Done")).to_be_visible()
    assert_accessible(page, "/account/manage-mfa with backup codes")


def test_confirmation_and_reverification_dialogs_have_no_serious_accessibility_violations(view: Page, app: App):
    page = view
    account = seed_account(app, page, mfa=1, available=1)
    click_action(page, "Remove from account")
    expect(page.get_by_role("alertdialog")).to_be_visible()
    assert_accessible(page, "confirmation dialog")
    page.get_by_role("alertdialog").get_by_role("button", name="Cancel").click()
    expect(page.get_by_role("alertdialog")).to_be_hidden()

    app.make_sessions_stale(account.email)
    click_action(page, "Use for MFA")
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_text("We sent a code to")).to_be_visible()
    settle(page)
    shoot(page, "a11y-reverify-dialog")
    assert_accessible(page, "re-verification dialog")


def test_add_phone_steps_have_no_serious_accessibility_violations(view: Page, app: App):
    page = view
    seed_account(app, page, next_path="/account/add-phone")
    page.get_by_label("Enter phone number").fill("12")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert_accessible(page, "/account/add-phone, number refused")
    phone = new_phone()
    page.get_by_label("Enter phone number").fill(phone.national)
    expect(page.get_by_text(f"Will be added as {phone.shown}")).to_be_visible()
    assert_accessible(page, "/account/add-phone, number step")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Verify phone")).to_be_visible()
    assert_accessible(page, "/account/add-phone, code step")
    page.get_by_label("Enter code").fill(app.last_code(phone.e164))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", name="Phone added")).to_be_visible()
    assert_accessible(page, "/account/add-phone, phone added")


def test_the_reverification_dialog_takes_the_focus_and_cancel_gives_it_back(page: Page, app: App):
    account = create_account(app, available=1)
    app.make_sessions_stale(account.email)
    hand_off(page, account)
    use = page.get_by_role("button", name="Use for MFA")
    use.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Confirm it's you")
    expect(dialog.get_by_label("Password")).to_be_focused()
    page.keyboard.type(account.password[:3])
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(use).to_be_focused()


def test_when_an_action_ends_the_focus_moves_to_what_happened(page: Page, app: App):
    # Its button is disabled while it runs, which drops the keyboard focus: without a move, the
    # next Tab would start again from the top of the page.
    account = create_account(app, mfa=1, available=1)
    hand_off(page, account)
    use = page.get_by_role("button", name="Use for MFA")
    use.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text("Phone is now used for MFA.")
    expect(page.locator("#manage-status")).to_be_focused()

    page.get_by_role("button", name="Generate").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("list", name="Backup codes")).to_be_focused()
    assert_accessible(page, "/account/manage-mfa, focus on the new backup codes")


def press(page: Page, button: str) -> None:
    """Submit with the keyboard from the button itself, which the busy state then disables."""
    page.get_by_role("button", name=button).focus()
    page.keyboard.press("Enter")


def test_when_a_form_is_refused_or_done_the_focus_goes_to_the_field_to_correct_or_the_outcome(
    page: Page, new_page, app: App
):
    seed_account(app, page, next_path="/account/add-phone")
    page.get_by_label("Enter phone number").fill("555-12")
    press(page, "Continue")
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.get_by_label("Enter phone number")).to_be_focused()

    phone = new_phone()
    page.get_by_label("Enter phone number").fill(phone.national)
    press(page, "Continue")
    expect(page.get_by_role("heading", name="Verify phone")).to_be_visible()
    expect(page.get_by_text("We sent a code to")).to_be_visible()  # the step shows before the code goes
    page.get_by_label("Enter code").fill("000000" if app.last_code(phone.e164) != "000000" else "111111")
    press(page, "Verify")
    expect(page.get_by_role("alert")).to_contain_text("That code is incorrect.")
    expect(page.get_by_label("Enter code")).to_be_focused()
    page.get_by_label("Enter code").fill(app.last_code(phone.e164))
    press(page, "Verify")
    expect(page.get_by_role("heading", name="Phone added")).to_be_focused()

    account = create_account(app, mfa=1)
    visitor = new_page()
    visitor.goto("/sign-in")
    visitor.get_by_label("Email address").fill(account.email)
    visitor.get_by_label("Password").fill(account.password + "x")
    press(visitor, "Sign in")
    expect(visitor.get_by_role("alert")).to_have_text("Email address or password is incorrect.")
    expect(visitor.get_by_label("Password")).to_be_focused()
    visitor.get_by_label("Password").fill(account.password)
    press(visitor, "Sign in")
    expect(visitor.get_by_text("We sent a code to")).to_be_visible()
    visitor.get_by_label("Enter code").fill(
        "000000" if app.last_code(account.mfa_phones[0].e164) != "000000" else "111111"
    )
    press(visitor, "Continue")
    expect(visitor.get_by_role("alert")).to_contain_text("That code is incorrect.")
    expect(visitor.get_by_label("Enter code")).to_be_focused()


def test_the_not_found_page_has_no_serious_accessibility_violations(view: Page):
    view.goto("/no-such-page")
    expect(view.get_by_role("heading", name="Page not found")).to_be_visible()
    expect(view.get_by_role("link", name="Go to your MFA settings")).to_be_visible()
    assert_accessible(view, "404")


def test_password_recovery_pages_and_the_outbox_have_no_serious_accessibility_violations(view: Page, app: App):
    page = view
    account = create_account(app, mfa=1)
    page.goto("/forgot-password")
    expect(page.get_by_role("heading", name="Forgot password?")).to_be_visible()
    assert_accessible(page, "/forgot-password")
    page.get_by_label("Email address").fill(account.email)
    page.get_by_role("button", name="Send reset link").click()
    expect(page.get_by_text("If an account uses that email address, we sent it a link")).to_be_visible()
    assert_accessible(page, "/forgot-password link sent")

    page.goto(app.reset_link(account.email))
    expect(page.get_by_role("heading", name="Reset password")).to_be_visible()
    assert_accessible(page, "/reset-password")
    page.get_by_label("New password").fill("short")
    page.get_by_role("button", name="Set new password").click()
    expect(page.get_by_role("alert")).to_contain_text("at least 8 characters")
    assert_accessible(page, "/reset-password refused")

    page.goto("/dev/outbox")
    expect(page.get_by_role("heading", name="SMS outbox")).to_be_visible()
    expect(page.get_by_text(account.mfa_phones[0].e164).first).to_be_visible()
    assert_accessible(page, "/dev/outbox")
    # The messages wrap: nothing makes the page scroll sideways, on a phone either.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
