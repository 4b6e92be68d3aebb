"""Shared fixtures: a migrated database per test, the outbox, a controllable clock, fast password
hashing, and signed-in users.

The database is SQLite (a file in the test's temp folder) by default. With `--db postgres` it is
a fresh PostgreSQL database per test, on a throwaway local server started for the session (or
on the server at MFA_TEST_POSTGRES_URL); then only the tests that use a database run (the others
do not depend on it and ran on SQLite already), and the browser journey runs on PostgreSQL with
Reflex's Redis state manager and several backend workers (see tests/browser/conftest.py)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import re
import secrets
import signal
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from argon2 import PasswordHasher

import throwaway_servers
from mfa_app import accounts
from mfa_app.accounts.context import AccountContext
from mfa_app.accounts.crypto import Hashing
from mfa_app.mail import EmailOutbox
from mfa_app.settings import Settings
from mfa_app.sms.outbox import OutboxSender
from mfa_app.store.db import make_engine
from tests.databases import PostgresDatabases, SqliteDatabases

T = TypeVar("T")

PASSWORD = "correct horse battery"


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class Outbox(OutboxSender):
    def last_code(self, to: str | None = None) -> str:
        for message in reversed(self.messages()):
            match = re.search(r"#(\d{6})$", message["body"])
            if match and (to is None or message["to"] == to):
                return match.group(1)
        raise AssertionError(f"no code sent to {to}")


@dataclass
class SignedIn:
    token: str
    email: str
    password: str = PASSWORD


def fast_hashing() -> Hashing:
    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    return Hashing(passwords=cheap, backup_codes=cheap)


def run_async(coroutine: Coroutine[Any, Any, T], timeout: float = 60) -> T:
    """asyncio.run() in a thread of its own: in the full suite, Playwright's sync API keeps an
    event loop running in the main thread, where asyncio.run() refuses to start."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result(timeout=timeout)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db",
        choices=("sqlite", "postgres"),
        default=os.environ.get("MFA_TEST_DB", "sqlite"),
        help="the database the tests run on (default: sqlite, or $MFA_TEST_DB). postgres: a database "
        "per test on a throwaway local server (or on the server at $MFA_TEST_POSTGRES_URL), only "
        "the tests that use a database, and the browser journey with Redis and several workers.",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "scale_out: a browser test that also runs with --db postgres (prod mode, Redis, several workers)"
    )
    # A SIGTERM (a CI timeout, `kill`) ends the session like Ctrl-C: the fixtures' teardown
    # still stops the servers the tests started (and removes their temp folders).
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, signal.default_int_handler)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """With --db postgres: the tests that use a database (the others ran on SQLite already),
    and of the browser tests those marked scale_out."""
    if config.getoption("--db") == "sqlite":
        return

    def runs_on_postgres(item: pytest.Item) -> bool:
        if "database_server" not in item.fixturenames:
            return False
        return "app" not in item.fixturenames or item.get_closest_marker("scale_out") is not None

    keep = [i for i in items if runs_on_postgres(i)]
    if len(keep) < len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in keep])
        items[:] = keep


@pytest.fixture(scope="session")
def database_server(request: pytest.FixtureRequest) -> Iterator[SqliteDatabases | PostgresDatabases]:
    with contextlib.ExitStack() as stack:
        if request.config.getoption("--db") == "sqlite":
            databases = SqliteDatabases()
        else:
            server_url = os.environ.get("MFA_TEST_POSTGRES_URL") or stack.enter_context(throwaway_servers.postgres())
            databases = PostgresDatabases(server_url)
        stack.callback(databases.close)
        yield databases


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A Redis for Reflex's state manager: a throwaway local one, or $MFA_TEST_REDIS_URL."""
    if os.environ.get("MFA_TEST_REDIS_URL"):
        yield os.environ["MFA_TEST_REDIS_URL"]
        return
    with throwaway_servers.redis() as url:
        yield url


@pytest.fixture
def database_url(database_server, tmp_path: Path) -> Iterator[str]:
    """A migrated database of the test's own."""
    url = database_server.create(tmp_path, migrated=True)
    yield url
    database_server.drop(url)


@pytest.fixture
def empty_database_url(database_server, tmp_path: Path) -> Iterator[str]:
    """An empty database (no table, not migrated) of the test's own."""
    url = database_server.create(tmp_path, name="empty", migrated=False)
    yield url
    database_server.drop(url)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def settings(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The defaults, whatever MFA_* variables the process holds (the browser tests' in-process app
    sets some for the whole session, and runs before these tests)."""
    for name in Settings.model_fields:
        monkeypatch.delenv(f"MFA_{name.upper()}", raising=False)
    return Settings(
        data_dir=tmp_path,
        database_url=database_url,
        secret_key="test-secret",
        sms_outbox=tmp_path / "outbox.jsonl",
        email_provider="outbox",
        email_outbox=tmp_path / "email_outbox.jsonl",
    )


@pytest.fixture
def outbox(settings: Settings) -> Outbox:
    return Outbox(settings.sms_outbox)


@pytest.fixture
def emails(settings: Settings) -> EmailOutbox:
    return EmailOutbox(settings.email_outbox)


@pytest.fixture
def ctx(settings: Settings, outbox: Outbox, emails: EmailOutbox, clock: FakeClock):
    engine = make_engine(settings.database_url)  # migrated already (see `database_url`)
    yield AccountContext(
        engine=engine,
        sender=outbox,
        settings=settings,
        secret_key=settings.resolved_secret_key(),
        clock=clock,
        hashing=fast_hashing(),
        email=emails,
        defer=lambda work: work(),  # emails go at once: the tests read them right after
    )
    engine.dispose()


def reset_link_token(emails: EmailOutbox, to: str) -> str:
    """The token of the last reset link emailed to `to`."""
    for message in reversed(emails.messages()):
        found = re.search(r"[?&]token=([A-Za-z0-9_-]+)", message["body"])
        if found and message["to"] == to:
            return found.group(1)
    raise AssertionError(f"no reset link sent to {to}")


def sign_up(ctx: AccountContext, email: str | None = None) -> SignedIn:
    email = email or f"user-{secrets.token_hex(4)}@example.com"
    result = accounts.sign_up(ctx, email, PASSWORD)
    return SignedIn(token=result.session_token, email=email)


@pytest.fixture
def user(ctx: AccountContext) -> SignedIn:
    return sign_up(ctx)


@pytest.fixture
def other_user(ctx: AccountContext) -> SignedIn:
    return sign_up(ctx)


def add_verified_phone(ctx: AccountContext, outbox: Outbox, token: str, number: str, clock: FakeClock | None = None):
    phone = accounts.create_phone(ctx, token, number)
    accounts.prepare_verification(ctx, token, phone.id)
    return accounts.attempt_verification(ctx, token, phone.id, outbox.last_code(phone.phone_number))


def enable_mfa(ctx: AccountContext, outbox: Outbox, token: str, number: str = "+14155552671"):
    """Add, verify and reserve a phone (inside the fresh sign-up's re-verification window)."""
    phone = add_verified_phone(ctx, outbox, token, number)
    return accounts.set_reserved_for_second_factor(ctx, token, phone.id, True)


def reverify_with_sms(ctx: AccountContext, outbox: Outbox, token: str, clock: FakeClock) -> None:
    status = accounts.reverification_status(ctx, token)
    phone = status.phones[0]
    clock.advance(seconds=31)  # clear any resend cooldown on that phone
    accounts.prepare_reverification(ctx, token, phone.phone_number_id)
    number = next(p.phone_number for p in accounts.list_phones(ctx, token) if p.id == phone.phone_number_id)
    accounts.reverify(ctx, token, "phone_code", outbox.last_code(number))


def generate_backup_codes(ctx: AccountContext, outbox: Outbox, token: str, clock: FakeClock) -> list[str]:
    reverify_with_sms(ctx, outbox, token, clock)
    return accounts.create_backup_codes(ctx, token).codes
