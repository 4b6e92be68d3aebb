"""Handlers that wait on the SMS provider must not hold the tab's state lock while they wait.

With Reflex's Redis state manager a handler's lock expires (10 s by default, the same as
MFA_SMS_TOTAL_TIMEOUT_S), and a handler still holding it then fails with LockExpiredError: the
page shows an error and what the handler changed is lost. Here the lock expires after 2 s and the
SMS gateway (a signed webhook on loopback) takes 3 s to answer each message: adding a phone, the
sign-in's second step and the re-verification dialog must all still finish.

Runs with `--db postgres` (Redis); on SQLite the app runs one in-process backend whose state
lock does not expire, and the tests are skipped."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from mfa_app import accounts, routes
from mfa_app.accounts.context import AccountContext
from mfa_app.settings import Settings
from mfa_app.store.db import make_engine
from tests.browser import prod_server
from tests.browser.helpers import PASSWORD, ROOT, App
from tests.browser.test_events import Page, fresh_number
from tests.helpers import Outbox, fast_hashing
from tests.sms.helpers import WEBHOOK_SECRET, FakeWebhook

LOCK_EXPIRATION_MS = 2000
GATEWAY_DELAY_S = 3.0
SENDING_S = 30.0  # how long a handler that sends one SMS may take here


@pytest.fixture(scope="module")
def gateway() -> Iterator[FakeWebhook]:
    server = FakeWebhook()
    server.slow_s = GATEWAY_DELAY_S
    yield server
    server.close()


@pytest.fixture(scope="module")
def slow_app(request: pytest.FixtureRequest, database_server, tmp_path_factory, gateway: FakeWebhook) -> Iterator[App]:
    """The app as in production (Redis state manager), backend only, with a 2 s state lock and
    the slow gateway as its SMS provider."""
    if database_server.dialect == "sqlite":
        pytest.skip("needs Reflex's Redis state manager: run with --db postgres")
    data_dir = tmp_path_factory.mktemp("slow-app")
    database_url = database_server.create(data_dir)
    try:
        with prod_server.serve(
            ROOT,
            database_url=database_url,
            redis_url=request.getfixturevalue("redis_url"),
            data_dir=data_dir,
            workers=1,
            log=data_dir / "reflex.log",
            backend_only=True,
            env={
                "REFLEX_REDIS_LOCK_EXPIRATION": str(LOCK_EXPIRATION_MS),
                "MFA_SMS_PROVIDER": "webhook",
                "MFA_SMS_WEBHOOK_URL": f"{gateway.base_url}/sms",
                "MFA_SMS_WEBHOOK_SECRET": WEBHOOK_SECRET,
            },
        ) as server:
            yield App(
                url=server.url,
                data_dir=data_dir,
                database_url=database_url,
                server=server,
                secret_key=server.secret_key,
            )
    finally:
        database_server.drop(database_url)


@pytest.fixture
def service(slow_app: App, tmp_path) -> Iterator[AccountContext]:
    """The service on the app's database and secret key, for setting accounts up; its own SMS go
    to a local outbox (the app's go to the slow gateway)."""
    settings = Settings(database_url=slow_app.database_url, secret_key=slow_app.secret_key)
    ctx = AccountContext(
        engine=make_engine(slow_app.database_url),
        sender=Outbox(tmp_path / "outbox.jsonl"),
        settings=settings,
        secret_key=settings.resolved_secret_key(),
        hashing=fast_hashing(),
    )
    yield ctx
    ctx.engine.dispose()


def with_mfa(ctx: AccountContext) -> tuple[str, str, str]:
    """A new account with MFA on: its email address, session token and MFA phone number."""
    email, number = f"slow-{secrets.token_hex(4)}@example.com", fresh_number()
    token = accounts.sign_up(ctx, email, PASSWORD).session_token
    phone = accounts.create_phone(ctx, token, number)
    accounts.prepare_verification(ctx, token, phone.id)
    accounts.attempt_verification(ctx, token, phone.id, ctx.sender.last_code(number))
    accounts.set_reserved_for_second_factor(ctx, token, phone.id, True)
    return email, token, number


@pytest.fixture
def pages(slow_app: App) -> Iterator[list[Page]]:
    """The test's pages, closed after it; then the app's log must show no expired state lock."""
    opened: list[Page] = []
    log = slow_app.data_dir / "reflex.log"
    start = log.stat().st_size
    yield opened
    for page in opened:
        page.close()
    with log.open(errors="replace") as f:
        f.seek(start)
        logged = f.read()
    assert "LockExpiredError" not in logged and "Lock expired" not in logged, logged[-4000:]


def test_adding_a_phone_finishes_while_the_gateway_is_slow(slow_app, service, gateway, pages):
    token = accounts.sign_up(service, f"slow-{secrets.token_hex(4)}@example.com", PASSWORD).session_token
    page = Page(slow_app.url, f"{routes.SESSION_COOKIE}={token}")
    pages.append(page)
    page.open(routes.paths.add_phone)
    number = fresh_number()
    page.call("AddPhoneState", "set_number", value=number)

    gateway.fail("slow")
    mark = page.call("AddPhoneState", "submit_number")
    sent = page.wait_for(
        lambda s: page.view("AddPhoneState", s).get("notice", "").startswith("We sent a code"),
        "the code sent",
        since=mark,
        timeout=SENDING_S,
    )
    assert page.view("AddPhoneState", sent)["step"] == "verify"
    assert page.view("AddPhoneState", sent)["error"] == ""

    mark = page.call("AddPhoneState", "verify", form_data={"code": gateway.last_code(number)})
    page.wait_for(lambda s: page.view("AddPhoneState", s).get("step") == "done", "Phone added", since=mark)
    phone = next(p for p in accounts.list_phones(service, token) if p.phone_number == number)
    assert phone.verification.status == "verified"


def test_the_sign_in_code_arrives_and_lets_in_while_the_gateway_is_slow(slow_app, service, gateway, pages):
    email, _, number = with_mfa(service)
    page = Page(slow_app.url, None)
    pages.append(page)
    page.open(routes.SIGN_IN)

    gateway.fail("slow")
    mark = page.call("SignInState", "submit", form_data={"email": email, "password": PASSWORD})
    sent = page.wait_for(
        lambda s: page.view("SignInState", s).get("sent_to"), "the code sent", since=mark, timeout=SENDING_S
    )
    assert page.view("SignInState", sent)["step"] == "second_factor"
    assert page.view("SignInState", sent)["error"] == ""

    page.call("SignInState", "verify", form_data={"code": gateway.last_code(number)})
    page.settle()
    assert page.was_handed_a_session()
    assert page.view("SignInState")["error"] == ""


def test_the_reverification_code_arrives_and_finishes_the_action_while_the_gateway_is_slow(
    slow_app, service, gateway, pages
):
    email, token, number = with_mfa(service)
    slow_app.make_sessions_stale(email)
    page = Page(slow_app.url, f"{routes.SESSION_COOKIE}={token}")
    pages.append(page)
    page.open(routes.paths.manage_mfa)

    gateway.fail("slow")
    mark = page.call("ManageMfaState", "generate_backup_codes")
    sent = page.wait_for(
        lambda s: page.view("ReverifyState", s).get("sent_to"), "the code sent", since=mark, timeout=SENDING_S
    )
    assert page.view("ReverifyState", sent)["is_open"] is True
    assert page.view("ReverifyState", sent)["error"] == ""

    mark = page.call("ReverifyState", "submit", form_data={"secret": gateway.last_code(number)})
    page.wait_for(lambda s: page.view("ManageMfaState", s).get("showing_codes") is True, "the codes", since=mark)
    page.settle()  # the codes come in the event after the update that shows them
    assert len(set(page.backup_codes_pushed())) == 10
    assert accounts.count_backup_codes(service, token) == 10
