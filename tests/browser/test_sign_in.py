"""Sign-up and sign-in refusals, and what a signed-out visitor of the account pages sees."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import App, create_account, shoot


@pytest.mark.parametrize("path", ["/account/manage-mfa", "/account/add-phone"])
def test_a_signed_out_visit_to_an_account_page_asks_to_sign_in(page: Page, path: str):
    page.goto(path)
    expect(page.get_by_text("You must be logged in to access this page")).to_be_visible()
    expect(page.get_by_role("heading", name="User MFA Settings")).to_have_count(0)
    expect(page.get_by_role("heading", name="Add phone")).to_have_count(0)
    shoot(page, "signed-out" + path.replace("/", "-"))
    page.get_by_role("link", name="Sign in").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert page.url.endswith(f"/sign-in?next={path}")  # and back here once signed in


def test_sign_in_with_a_wrong_password_shows_an_error(page: Page, app: App):
    account = create_account(app)
    page.goto("/sign-in")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    shoot(page, "sign-in")
    page.get_by_label("Email address").fill(account.email)
    page.get_by_label("Password").fill(account.password + "!")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Email address or password is incorrect.")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    shoot(page, "sign-in-wrong-password")


def test_sign_up_with_a_short_password_shows_an_error(page: Page):
    page.goto("/sign-up")
    expect(page.get_by_role("heading", name="Sign up")).to_be_visible()
    shoot(page, "sign-up")
    page.get_by_label("Email address").fill("short-password@example.com")
    page.get_by_label("Password").fill("1234567")
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("alert")).to_have_text("Use a password of at least 8 characters.")
    expect(page.get_by_role("heading", name="Sign up")).to_be_visible()
    shoot(page, "sign-up-short-password")
