"""The example host on Clerk's users (examples/clerk_host), built and served as in production
against a fake of Clerk's Backend API on loopback (tests/clerk/helpers.py). The browser holds
the `__session` cookie ClerkJS would keep (ClerkJS itself can't load here: no network), signed
with the test instance's key. A Clerk user turns MFA on in mfa_app's pages, and the Clerk user
then has the phones reserved for the second factor and the backup codes; with two MFA phones
the page says why there is no "Make default"; a later Clerk sign-in waits for mfa_app's second
factor unless Clerk's own sign-in asked for one. And a page loaded while Clerk isn't answering
says so rather than "You must be logged in"."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from mfa_app.clerk.transport import UNAVAILABLE
from mfa_app.components.phone_lists import FIXED_DEFAULT_NOTE
from mfa_app.sms.outbox import OutboxSender
from tests.browser.helpers import App, serve_example, use_backup_code
from tests.clerk.helpers import (
    PASSWORD,
    SECRET_KEY,
    SIGNING_SECRET,
    FakeClerk,
    Keys,
    new_session_id,
    signed,
    user_updated,
)

USER, EMAIL = "user_grace", "grace@example.com"
FIRST = ("(415) 555-0171", "+14155550171", "+1 415-555-0171")
SECOND = ("(415) 555-0172", "+14155550172", "+1 415-555-0172")
TAKEN = ("(415) 555-0173", "+14155550173", "+1 415-555-0173")  # another Clerk user's number
MANAGE = "/settings/security/manage-mfa"
# A publishable key naming a Frontend API that does not exist: the page asks for ClerkJS there
# and goes on without it.
PUBLISHABLE_KEY = "pk_test_Y2xlcmsuZXhhbXBsZS5pbnZhbGlkJA"
CLERK_JS = "https://clerk.example.invalid/npm/@clerk/clerk-js@5/dist/clerk.browser.js"  # the key's Frontend API


@pytest.fixture(scope="module")
def clerk() -> Iterator[FakeClerk]:
    server = FakeClerk()
    server.add_user(USER, EMAIL)
    yield server
    server.close()


@pytest.fixture(scope="module")
def keys() -> Keys:
    return Keys()


@pytest.fixture(scope="module")
def clerk_host(tmp_path_factory, clerk: FakeClerk, keys: Keys) -> Iterator[App]:
    data_dir = tmp_path_factory.mktemp("clerk-host")
    database_url = f"sqlite:///{data_dir}/mfa.db"
    env = {
        "CLERK_SECRET_KEY": SECRET_KEY,
        "CLERK_JWT_KEY": keys.public_pem.replace("\n", "\\n"),
        "CLERK_PUBLISHABLE_KEY": PUBLISHABLE_KEY,
        "CLERK_API_URL": clerk.api_url,
        "CLERK_WEBHOOK_SIGNING_SECRET": SIGNING_SECRET,
    }
    clerk.outbox = OutboxSender(data_dir / "sms_outbox.jsonl")  # Clerk texts the codes: read as the app's
    with serve_example("clerk_host", data_dir, database_url=database_url, env=env, ready_path="/sign-in") as server:
        yield App(url=server.url, data_dir=data_dir, database_url=database_url, server=server)


def signed_in_with_clerk(
    browser: Browser, app: App, keys: Keys, clerk: FakeClerk, user: str = USER, **claims: Any
) -> Page:
    """A browser tab of a new Clerk sign-in: a new session at Clerk, its token in `__session` (for
    the whole test: ClerkJS would renew it every minute)."""
    session_id = new_session_id()
    clerk.add_session(session_id, user)
    return tab_with_token(
        browser, app, keys.token(user, session_id, azp=app.url, exp=int(time.time()) + 3600, **claims)
    )


def tab_with_token(browser: Browser, app: App, token: str) -> Page:
    context = browser.new_context(base_url=app.url, locale="en-US")
    context.add_cookies([{"name": "__session", "value": token, "url": app.url}])
    page = context.new_page()
    page.set_default_timeout(20_000)
    return page


def row(page: Page, number: str):
    return page.get_by_role("listitem").filter(has_text=number)


def add_verified_phone(page: Page, app: App, phone: tuple[str, str, str], *, password: bool = False) -> None:
    """`password`: the step-up dialog asks for the Clerk password first. The code is Clerk's."""
    page.goto("/settings/security/add-phone")
    page.get_by_label("Enter phone number").fill(phone[0])
    page.get_by_role("button", name="Continue").click()
    if password:
        dialog = page.get_by_role("dialog")
        dialog.get_by_label("Password").fill("not the password")
        dialog.get_by_role("button", name="Continue").click()
        expect(dialog.get_by_text("That password is incorrect.")).to_be_visible()
        dialog.get_by_label("Password").fill(PASSWORD)  # checked by Clerk's verify_password
        dialog.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("We sent a code to")).to_be_visible()
    page.get_by_label("Enter code").fill(app.last_code(phone[1]))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", name="Phone added")).to_be_visible()


def test_a_clerk_user_turns_mfa_on_and_clerk_keeps_it(browser: Browser, clerk_host: App, keys: Keys, clerk: FakeClerk):
    app = clerk_host
    page = signed_in_with_clerk(browser, app, keys, clerk)
    page.goto(MANAGE)
    expect(page.get_by_role("heading", name="User MFA Settings")).to_be_visible()
    expect(page.get_by_text(EMAIL)).to_be_visible()  # the Clerk user's primary address
    expect(page.locator(f'script[src="{CLERK_JS}"]')).to_have_count(1)

    # A Clerk sign-in mfa_app has not seen re-verifies before its first change.
    add_verified_phone(page, app, FIRST, password=True)
    assert [p["phone_number"] for p in clerk.users[USER]["phone_numbers"]] == [FIRST[1]]  # verified: on the user
    assert all(m["body"].startswith("Clerk: ") for m in app.messages())  # Clerk texted the code
    page.goto(MANAGE)
    row(page, FIRST[2]).get_by_role("button", name="Use for MFA").click()
    expect(page.get_by_text(f"{FIRST[2]} (Default)")).to_be_visible()
    dialog = page.get_by_role("dialog")  # MFA is on: backup codes at once, after a second factor
    expect(dialog.get_by_text("We sent a code to")).to_be_visible()
    dialog.get_by_label("Enter code").fill(app.last_code(FIRST[1]))
    dialog.get_by_role("button", name="Continue").click()
    expect(page.locator("#backup-codes li")).to_have_count(10)
    backup_codes = page.locator("#backup-codes li").all_inner_texts()
    page.get_by_role("button", name="Done").click()

    user = clerk.users[USER]
    assert user["two_factor_enabled"] is True and user["backup_code_enabled"] is True
    assert sorted(clerk.backup_codes[USER]) == sorted(backup_codes)
    (phone,) = user["phone_numbers"]
    assert (phone["reserved_for_second_factor"], phone["default_second_factor"]) == (True, True)

    # A second MFA phone: Clerk can't change the default, and the page says so (no button).
    add_verified_phone(page, app, SECOND)
    page.goto(MANAGE)
    row(page, SECOND[2]).get_by_role("button", name="Use for MFA").click()
    expect(row(page, SECOND[2]).get_by_role("button", name="Disable for MFA")).to_be_visible()
    expect(page.get_by_text(FIXED_DEFAULT_NOTE)).to_be_visible()
    expect(page.get_by_role("button", name="Make default")).to_have_count(0)
    reserved = {p["phone_number"]: p["default_second_factor"] for p in clerk.users[USER]["phone_numbers"]}
    assert reserved == {FIRST[1]: True, SECOND[1]: False}

    # Disabled for MFA, then removed: at Clerk too.
    row(page, SECOND[2]).get_by_role("button", name="Disable for MFA").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Disable").click()
    expect(row(page, SECOND[2]).get_by_role("button", name="Use for MFA")).to_be_visible()
    assert clerk.phones(USER)[SECOND[1]]["reserved_for_second_factor"] is False
    row(page, SECOND[2]).get_by_role("button", name="Remove from account").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Remove").click()
    expect(row(page, SECOND[2])).to_have_count(0)
    assert set(clerk.phones(USER)) == {FIRST[1]}

    # A number Clerk refuses (another Clerk user has it): said before any code is sent.
    clerk.add_user("user_other", "other@example.com")
    clerk.add_phone("user_other", TAKEN[1])
    texts = len(app.messages())
    page.goto("/settings/security/add-phone")
    page.get_by_label("Enter phone number").fill(TAKEN[0])
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("alert")).to_have_text(
        "This phone number is already used by another account, so it can't be added to yours."
    )
    assert set(clerk.phones(USER)) == {FIRST[1]} and len(app.messages()) == texts

    # Signed in again with Clerk, which asked no second factor: mfa_app's challenge first.
    later = signed_in_with_clerk(browser, app, keys, clerk)
    later.goto("/")
    expect(later).to_have_url(re.compile(r"/settings/security/second-factor"))
    expect(later.get_by_text("We sent a code to +1 *** *** 0171.")).to_be_visible()
    use_backup_code(later, backup_codes[0])
    expect(later.get_by_text(f"Signed in as {EMAIL}")).to_be_visible()
    assert backup_codes[0] not in clerk.backup_codes[USER]  # used up at Clerk too

    # Signed in with Clerk's <SignIn/>, which asked for the second factor (fva): not asked again.
    passed = signed_in_with_clerk(browser, app, keys, clerk, fva=[0, 0])
    passed.goto("/")
    expect(passed.get_by_text(f"Signed in as {EMAIL}")).to_be_visible()

    # An administrator turns MFA off in Clerk's dashboard: Clerk's webhook tells mfa_app.
    at_clerk = httpx.delete(f"{clerk.api_url}/users/{USER}/mfa", headers={"Authorization": f"Bearer {SECRET_KEY}"})
    assert at_clerk.is_success
    body = user_updated(USER)
    assert httpx.post(f"{app.url}/clerk/webhook", content=body, headers=signed(body)).status_code == 204
    page.goto(MANAGE)
    expect(page.get_by_text("There are currently no phone numbers reserved for MFA.")).to_be_visible()
    events = page.get_by_role("list", name="Recent security events")
    expect(events.get_by_role("listitem").first).to_have_text(re.compile(r" — MFA turned off$"))
    for tab in (page, later, passed):
        tab.context.close()


def test_clerk_not_answering_while_a_page_loads_is_said_not_taken_for_signed_out(
    browser: Browser, clerk_host: App, keys: Keys, clerk: FakeClerk
):
    clerk.add_user("user_linus", "linus@example.com")  # a user whose address no worker has kept yet
    page = signed_in_with_clerk(browser, clerk_host, keys, clerk, user="user_linus")
    clerk.fail(*["500"] * 9)  # every attempt (a read is tried 3 times) of the load's calls
    page.goto(MANAGE)
    expect(page.get_by_role("alert")).to_have_text(UNAVAILABLE)
    expect(page.get_by_role("heading", name="This page can't be shown right now")).to_be_visible()
    expect(page.get_by_text("You must be logged in to access this page")).to_have_count(0)

    clerk.clear_faults()
    page.get_by_role("button", name="Try again").click()
    expect(page.get_by_role("heading", name="User MFA Settings")).to_be_visible()
    expect(page.get_by_text("linus@example.com")).to_be_visible()
    page.context.close()


# What the test's ClerkJS does: renew the token when it loads (the real one asks Clerk's Frontend API).
FAKE_CLERK_JS = "window.Clerk = { session: { id: 'renewed' }, async load() { document.cookie = %s; } };"


def test_a_page_opened_with_an_expired_token_is_loaded_again_once_clerkjs_renewed_it(
    browser: Browser, clerk_host: App, keys: Keys, clerk: FakeClerk
):
    """No tab ran ClerkJS for a while: the page opens with an expired `__session`, mfa_app's
    socket connects with it (signed out), then ClerkJS renews it and the page loads again."""
    user, session_id, now = "user_ken", new_session_id(), int(time.time())
    clerk.add_user(user, "ken@example.com")  # no MFA: the page opens without the second factor
    clerk.add_session(session_id, user)
    expired = keys.token(user, session_id, azp=clerk_host.url, iat=now - 600, nbf=now - 600, exp=now - 300)
    fresh = keys.token(user, session_id, azp=clerk_host.url, exp=now + 3600)
    page = tab_with_token(browser, clerk_host, expired)
    loads = []

    def clerk_js(route):
        loads.append(route.request.url)
        route.fulfill(content_type="text/javascript", body=FAKE_CLERK_JS % json.dumps(f"__session={fresh}; path=/"))

    page.context.route(CLERK_JS, clerk_js)
    page.goto(MANAGE)
    expect(page.get_by_role("heading", name="User MFA Settings")).to_be_visible()
    expect(page.get_by_text("ken@example.com")).to_be_visible()
    assert len(loads) == 2  # the page, then the page loaded again with the renewed token (once)
    assert {c["name"]: c["value"] for c in page.context.cookies()}["__session"] == fresh
    page.context.close()
