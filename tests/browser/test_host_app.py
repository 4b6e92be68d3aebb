"""The example host (examples/host_app): a Reflex app with its own users and sign-in that mounts
mfa_app under /settings/security, built and served as in production, and a user's journey
through it: register on the host, add a phone, use it for MFA, generate backup codes, sign out,
sign in on the host with an SMS code, then with a backup code; and a host session that skipped
the second factor is refused by mfa_app's pages and by the host's own page."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.helpers import App, serve_example, use_backup_code

PHONE = ("(415) 555-0188", "+14155550188", "+1 415-555-0188")
PASSWORD = "host app password"


@pytest.fixture(scope="module")
def host_app(tmp_path_factory) -> Iterator[App]:
    """The example host keeps all its data in SQLite under EXAMPLE_DATA_DIR."""
    data_dir = tmp_path_factory.mktemp("host-app")
    env = {"EXAMPLE_DATA_DIR": str(data_dir)}
    with serve_example("host_app", data_dir, database_url="", env=env, ready_path="/login") as server:
        yield App(url=server.url, data_dir=data_dir, database_url=f"sqlite:///{data_dir}/host.db")


@pytest.fixture
def host_page(browser: Browser, host_app: App) -> Iterator[Page]:
    context = browser.new_context(base_url=host_app.url, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page
    context.close()


def sign_in_on_the_host(page: Page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def sign_out_from_the_header(page: Page) -> None:
    page.get_by_role("banner").get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in to Host app")).to_be_visible()


def test_a_host_user_turns_mfa_on_and_the_hosts_sign_in_asks_for_it(host_page: Page, host_app: App):
    page, email = host_page, f"host-{secrets.token_hex(4)}@example.com"
    page.goto("/settings/security/manage-mfa")
    expect(page.get_by_role("heading", name="You must be logged in to access this page")).to_be_visible()

    page.goto("/register")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_text(f"Signed in as {email}")).to_be_visible()

    page.get_by_role("link", name="Security settings").click()
    expect(page.get_by_role("heading", name="User MFA Settings")).to_be_visible()
    # The host's header is around the mounted page; the page has no sign-out of its own.
    expect(page.get_by_role("button", name="Sign out")).to_have_count(1)
    page.get_by_role("link", name="Add a new phone number").click()
    expect(page).to_have_url(re.compile(r"/settings/security/add-phone$"))
    page.get_by_label("Enter phone number").fill(PHONE[0])
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("We sent a code to")).to_be_visible()
    page.get_by_label("Enter code").fill(host_app.last_code(PHONE[1]))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", name="Phone added")).to_be_visible()
    page.get_by_role("link", name="Back to MFA settings").click()
    expect(page).to_have_url(re.compile(r"/settings/security/manage-mfa$"))

    # Ten minutes later: step-up re-verification asks for the host's password (its check).
    host_app.make_sessions_stale(email)
    page.get_by_role("listitem").filter(has_text=PHONE[2]).get_by_role("button", name="Use for MFA").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Password").fill("not the password")
    dialog.get_by_role("button", name="Continue").click()
    expect(dialog.get_by_text("That password is incorrect.")).to_be_visible()
    dialog.get_by_label("Password").fill(PASSWORD)
    dialog.get_by_role("button", name="Continue").click()
    expect(page.get_by_text(f"{PHONE[2]} (Default)")).to_be_visible()

    # MFA is on: the backup codes are made at once, after a second factor (a code by SMS).
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_text("We sent a code to")).to_be_visible()
    dialog.get_by_label("Enter code").fill(host_app.last_code(PHONE[1]))
    dialog.get_by_role("button", name="Continue").click()
    codes = page.locator("#backup-codes li")
    expect(codes).to_have_count(10)
    backup_codes = codes.all_inner_texts()
    page.get_by_role("button", name="Done").click()
    sign_out_from_the_header(page)

    # The host's sign-in now asks for the second factor before the user is signed in.
    sign_in_on_the_host(page, email)
    expect(page.get_by_text("We sent a code to +1 *** *** 0188.")).to_be_visible()
    page.get_by_label("Enter code").fill(host_app.last_code(PHONE[1]))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text(f"Signed in as {email}")).to_be_visible()
    sign_out_from_the_header(page)

    sign_in_on_the_host(page, email)
    use_backup_code(page, backup_codes[0])
    expect(page.get_by_text(f"Signed in as {email}")).to_be_visible()
    sign_out_from_the_header(page)

    # A host session that skipped the second factor: refused by mfa_app's pages and the host's.
    sign_in_on_the_host(page, email)
    expect(page.get_by_role("heading", name="Verify it's you")).to_be_visible()
    for path in ("/settings/security/manage-mfa", "/settings/security/add-phone"):
        page.goto(path)
        expect(page.get_by_role("heading", name="You must be logged in to access this page")).to_be_visible()
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/settings/security/second-factor\?next=/$"))
    expect(page.get_by_role("heading", name="Verify it's you")).to_be_visible()
    expect(page.get_by_text("Signed in as")).to_have_count(0)
