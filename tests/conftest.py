"""Shared fixtures: a migrated database per test, the outbox, a controllable clock, fast password
hashing, and signed-in users.

The database is SQLite (a file in the test's temp folder) by default. With `--db postgres` it is
a fresh PostgreSQL database per test, on a throwaway local server started for the session (or
on the server at MFA_TEST_POSTGRES_URL); then only the tests that use a database run (the others
do not depend on it and ran on SQLite already), and the browser journey runs on PostgreSQL with
Reflex's Redis state manager and several backend workers (see tests/browser/conftest.py)."""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

import throwaway_servers
from mfa_app.accounts.context import AccountContext
from mfa_app.mail import EmailOutbox
from mfa_app.settings import Settings
from mfa_app.store.db import make_engine
from tests.databases import PostgresDatabases, SqliteDatabases
from tests.helpers import FakeClock, Outbox, SignedIn, account_context, sign_up


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
    yield account_context(
        engine,
        settings,
        outbox,
        clock,
        email=emails,
        defer=lambda work: work(),  # emails go at once: the tests read them right after
    )
    engine.dispose()


@pytest.fixture
def user(ctx: AccountContext) -> SignedIn:
    return sign_up(ctx)


@pytest.fixture
def other_user(ctx: AccountContext) -> SignedIn:
    return sign_up(ctx)
