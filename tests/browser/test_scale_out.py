"""Across backend workers, through the real app: two pages whose websockets are held by two
different worker processes of `reflex run --env prod` (found from /proc, see prod_server.py),
driven with hand-written events like the browser sends. Sign-ins on both get a code each,
failed passwords counted on both lock the account at exactly ten, and one backup code sent from
both at once lets exactly one of them in.

Runs with `--db postgres` (PostgreSQL, Redis, several workers); on SQLite the app has one
in-process backend and these tests are skipped. tests/test_cross_worker.py proves the same
rules at the service level, with many more attempts at once, on both databases."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from mfa_app import accounts, routes
from mfa_app.accounts.context import AccountContext
from mfa_app.settings import Settings
from mfa_app.store.db import make_engine
from tests.browser.helpers import PASSWORD, App
from tests.browser.test_events import Page
from tests.helpers import Outbox, fast_hashing

pytestmark = pytest.mark.scale_out

MFA_PHONE = "+14155550177"
INCORRECT = "Email address or password is incorrect."
WRONG_BACKUP_CODE = "That backup code is incorrect or was already used."
MAX_FAILED_ATTEMPTS = Settings().lockout_max_attempts  # the app's, from the same environment


@pytest.fixture
def service(app: App) -> Iterator[AccountContext]:
    """The service on the app's own database and secret key, from the test process."""
    if app.server is None:
        pytest.skip("the app runs one in-process backend here: run with --db postgres for several workers")
    settings = Settings(database_url=app.database_url, sms_outbox=app.outbox, secret_key=app.secret_key)
    ctx = AccountContext(
        engine=make_engine(app.database_url),
        sender=Outbox(app.outbox),
        settings=settings,
        secret_key=settings.resolved_secret_key(),
        hashing=fast_hashing(),
    )
    yield ctx
    ctx.engine.dispose()


@pytest.fixture
def two_workers(app: App, service) -> Iterator[tuple[Page, Page]]:
    """Two pages on /sign-in whose websockets are held by two different workers."""
    opened: list[Page] = []
    by_worker: dict[int, Page] = {}
    try:
        while len(by_worker) < 2 and len(opened) < 30:
            page = Page(app.url, None)
            opened.append(page)
            worker = app.server.worker_of_client(page.sio.eio.ws.sock.getsockname()[1])
            assert worker is not None, "no worker holds the page's websocket"
            by_worker.setdefault(worker, page)
        assert len(by_worker) == 2, f"{len(opened)} websockets all went to one worker"
        pages = tuple(by_worker.values())
        for page in pages:
            page.open(routes.SIGN_IN)
        yield pages
    finally:
        for page in opened:
            page.close()


def sign_up_with_mfa_and_backup_codes(ctx: AccountContext) -> tuple[str, str, list[str]]:
    email = f"scale-{secrets.token_hex(4)}@example.com"
    token = accounts.sign_up(ctx, email, PASSWORD).session_token
    phone = accounts.create_phone(ctx, token, MFA_PHONE)
    accounts.prepare_verification(ctx, token, phone.id)
    accounts.attempt_verification(ctx, token, phone.id, ctx.sender.last_code(MFA_PHONE))
    accounts.set_reserved_for_second_factor(ctx, token, phone.id, True)
    accounts.prepare_reverification(ctx, token, phone.id)  # MFA is on: step up with an SMS code
    accounts.reverify(ctx, token, "phone_code", ctx.sender.last_code(MFA_PHONE))
    return email, token, accounts.create_backup_codes(ctx, token).codes


def flip(page: Page, var: str, since: int) -> int:
    """Wait until SignInState.<var> turns True and then False again (a handler's `busy` or
    `sending` flag) in the replies from index `since`; the index of the reply that ended it."""
    index = since
    for value in (True, False):
        while True:
            page.wait_for(lambda s: True, f"{var} to be {value}", since=index)  # reply `index` is in
            if page.view("SignInState", page.snapshots[index]).get(var) is value:
                break
            index += 1
        if value:
            index += 1
    return index


def submit(page: Page, handler: str, **form) -> dict:
    """Send a SignInState form handler; the page's SignInState once the handler has finished."""
    done = flip(page, "busy", page.call("SignInState", handler, form_data=form))
    return page.view("SignInState", page.snapshots[done])


def test_two_sign_ins_get_a_code_each_and_one_backup_code_lets_one_in(service, two_workers):
    a, b = two_workers
    email, token, codes = sign_up_with_mfa_and_backup_codes(service)

    # Signing in sends a code to the default MFA phone, from each worker for its own sign-in:
    # the 30 s resend cooldown is per sign-in (one started on the first worker leaves the
    # second's alone), and each page counts it down.
    for page in (a, b):
        mark = page.call("SignInState", "submit", form_data={"email": email, "password": PASSWORD})
        flip(page, "sending", flip(page, "busy", mark))
        assert page.view("SignInState")["step"] == "second_factor"
        assert page.view("SignInState")["sent_to"] == "+1 *** *** 0177" and page.view("SignInState")["error"] == ""
        assert page.view("SignInState")["resend_in"] > 0
    sent = [m["to"] for m in service.sender.messages()]
    assert sent.count(MFA_PHONE) == 4  # the phone's verification, the step-up, the two sign-ins

    # Both pages send the same backup code at the same moment, each to its own worker.
    for page in (a, b):
        page.wait_for(
            lambda s, p=page: p.view("SignInState", s).get("method") == "backup_code",
            "the backup-code step",
            since=page.call("SignInState", "use_backup_code"),
        )
    marks = [page.call("SignInState", "verify", form_data={"code": codes[0]}) for page in (a, b)]
    for page, mark in zip((a, b), marks, strict=True):
        # Refused: the form is ready again; let in: it stays busy until the page is handed over.
        page.wait_for(
            lambda s, p=page: p.was_handed_a_session() or p.view("SignInState", s).get("error") == WRONG_BACKUP_CODE,
            "the backup code checked",
            since=mark,
        )
        page.settle()

    let_in = [p for p in (a, b) if p.was_handed_a_session()]
    refused = [p for p in (a, b) if p.view("SignInState")["error"] == WRONG_BACKUP_CODE]
    assert len(let_in) == 1 and len(refused) == 1 and let_in != refused
    assert accounts.count_backup_codes(service, token) == len(codes) - 1
    assert [e.kind for e in accounts.security_events(service, token)].count("backup_code.used") == 1


def test_wrong_passwords_on_two_workers_lock_the_account_at_the_tenth(service, two_workers):
    email = f"scale-{secrets.token_hex(4)}@example.com"
    accounts.sign_up(service, email, PASSWORD)

    errors = [
        submit(two_workers[n % 2], "submit", email=email, password=f"wrong password {n}")["error"]
        for n in range(MAX_FAILED_ATTEMPTS)
    ]

    # Counted in the database, not per worker: five on each make ten, and the tenth locks.
    assert errors[:-1] == [INCORRECT] * (MAX_FAILED_ATTEMPTS - 1)
    assert errors[-1].startswith("Too many failed attempts.")
    for page in two_workers:
        assert submit(page, "submit", email=email, password=PASSWORD)["error"].startswith("Too many failed attempts.")
