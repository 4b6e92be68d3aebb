"""Browser tests: the real app, driven by Playwright in Debian's Chromium. One app for the whole
session, on its own database and outbox; a fresh browser context (no cookies) per test.

On SQLite (the default) the app runs under Reflex's AppHarness: dev mode, one in-process backend.
With `--db postgres` it runs as in production (tests/browser/prod_server.py): `reflex run --env
prod`, PostgreSQL, Reflex's Redis state manager and several Granian workers, so each page load's
websocket and each session-cookie request may land on a different worker."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests.browser import prod_server
from tests.browser.helpers import CHROMIUM_ARGS, PROD_WORKERS, ROOT, App


@pytest.fixture(scope="session")
def app(request: pytest.FixtureRequest, tmp_path_factory, database_server) -> Iterator[App]:
    data_dir = tmp_path_factory.mktemp("app-data")
    if database_server.dialect == "sqlite":
        yield from _dev_app(data_dir)
        return
    # An empty database: the workers migrate it when they start, all at once, as in production.
    database_url = database_server.create(data_dir, migrated=False)
    try:
        with prod_server.serve(
            ROOT,
            database_url=database_url,
            redis_url=request.getfixturevalue("redis_url"),
            data_dir=data_dir,
            workers=PROD_WORKERS,
            log=data_dir / "reflex.log",
        ) as server:
            server.wait_for_workers(PROD_WORKERS)
            yield App(
                url=server.url,
                data_dir=data_dir,
                database_url=database_url,
                server=server,
                secret_key=server.secret_key,
            )
            # Proof that the tests were served by several workers, not one: each worker that ran
            # a service call holds connections of its own to the database.
            served = server.workers_connected_to(sa.engine.make_url(database_url).port)
            request.config.stash[PROD_REPORT] = (
                f"browser tests on `reflex run --env prod` with PostgreSQL, Redis and {PROD_WORKERS} workers: "
                f"{len(served)} of the workers served requests that reached the database"
            )
            assert len(served) >= 2, f"the browser tests reached the database from {len(served)} worker(s) only"
    finally:
        database_server.drop(database_url)


PROD_REPORT = pytest.StashKey[str]()


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    if PROD_REPORT in config.stash:
        terminalreporter.write_line(config.stash[PROD_REPORT])


def _dev_app(data_dir: Path) -> Iterator[App]:
    from reflex.testing import AppHarness

    database_url = f"sqlite:///{data_dir}/mfa.db"
    os.environ.update(
        MFA_DATA_DIR=str(data_dir),
        MFA_DATABASE_URL=database_url,
        MFA_SMS_OUTBOX=str(data_dir / "sms_outbox.jsonl"),
        MFA_SMS_PROVIDER="outbox",
        **prod_server.SMS_LIMITS,
        MFA_EMAIL_OUTBOX=str(data_dir / "email_outbox.jsonl"),
        MFA_EMAIL_PROVIDER="outbox",
    )
    from mfa_app.settings import get_settings
    from mfa_app.state import service

    get_settings.cache_clear()
    # The settings just set, even if a unit test imported (and so mounted) the app before.
    service.configure(service.Setup())
    from reflex.config import get_config

    with AppHarness.create(root=ROOT) as harness:
        assert harness.frontend_url is not None
        # The backend listens on 127.0.0.1: serve the pages from the same site, so the
        # SameSite=Strict session cookie goes along with the websocket handshake.
        url = harness.frontend_url.rstrip("/").replace("localhost", "127.0.0.1")
        get_config().deploy_url = url
        yield App(url=url, data_dir=data_dir, database_url=database_url)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser, app: App) -> Iterator[Page]:
    context = browser.new_context(base_url=app.url, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def new_page(browser: Browser, app: App) -> Iterator[Callable[..., Page]]:
    """Pages in contexts of their own (another locale, clipboard permissions...), closed after."""
    contexts: list[BrowserContext] = []

    def make(**context_options) -> Page:
        context = browser.new_context(base_url=app.url, **{"locale": "en-US", **context_options})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield make
    for context in contexts:
        context.close()
