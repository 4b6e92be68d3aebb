"""Browser tests: the real app under Reflex's AppHarness, driven by Playwright in Debian's
Chromium. One app for the whole session, on its own database and outbox; a fresh browser
context (no cookies) per test."""

from __future__ import annotations

import json
import os
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, Page, expect, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
PASSWORD = "correct horse battery"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@dataclass
class App:
    url: str
    data_dir: Path

    @property
    def outbox(self) -> Path:
        return self.data_dir / "sms_outbox.jsonl"

    def messages(self) -> list[dict]:
        if not self.outbox.exists():
            return []
        return [json.loads(line) for line in self.outbox.read_text().splitlines() if line.strip()]

    def last_code(self, to: str | None = None) -> str:
        for message in reversed(self.messages()):
            found = re.search(r"#(\d{6})$", message["body"])
            if found and (to is None or message["to"] == to):
                return found.group(1)
        raise AssertionError(f"no code sent to {to}")

    def engine(self) -> sa.Engine:
        return sa.create_engine(f"sqlite:///{self.data_dir}/mfa.db")

    def make_sessions_stale(self, email: str) -> None:
        """Move the user's last verification 11 minutes back: the next sensitive change must
        re-verify (as if the person had walked away for a while)."""
        stale = datetime.now(UTC) - timedelta(minutes=11)
        with self.engine().begin() as db:
            db.execute(
                sa.text(
                    "UPDATE sessions SET last_verified_at = :stale "
                    "WHERE user_id = (SELECT id FROM users WHERE email = :email)"
                ),
                {"stale": stale.strftime("%Y-%m-%d %H:%M:%S.%f"), "email": email},
            )


@pytest.fixture(scope="session")
def app(tmp_path_factory) -> Iterator[App]:
    from reflex.testing import AppHarness

    data_dir = tmp_path_factory.mktemp("app-data")
    os.environ.update(
        MFA_DATA_DIR=str(data_dir),
        MFA_DATABASE_URL=f"sqlite:///{data_dir}/mfa.db",
        MFA_SMS_OUTBOX=str(data_dir / "sms_outbox.jsonl"),
        MFA_SMS_PROVIDER="outbox",
    )
    from mfa_app.settings import get_settings
    from mfa_app.state.service import context

    get_settings.cache_clear()
    context.cache_clear()
    from reflex.config import get_config

    with AppHarness.create(root=ROOT) as harness:
        assert harness.frontend_url is not None
        # The backend listens on 127.0.0.1: serve the pages from the same site, so the
        # SameSite=Strict session cookie goes along with the websocket handshake.
        url = harness.frontend_url.rstrip("/").replace("localhost", "127.0.0.1")
        get_config().deploy_url = url
        yield App(url=url, data_dir=data_dir)


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


def shoot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@dataclass
class Person:
    email: str
    password: str = PASSWORD


def sign_up(page: Page) -> Person:
    person = Person(email=f"user-{secrets.token_hex(4)}@example.com")
    page.goto("/sign-up")
    page.get_by_label("Email address").fill(person.email)
    page.get_by_label("Password").fill(person.password)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", name="User MFA Settings")).to_be_visible()
    return person


def add_phone(page: Page, app: App, national: str, e164: str) -> None:
    page.goto("/account/add-phone")
    page.get_by_label("Enter phone number").fill(national)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Verify phone")).to_be_visible()
    expect(page.get_by_text("We sent a code to")).to_be_visible()
    page.get_by_label("Enter code").fill(app.last_code(e164))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", name="Phone added")).to_be_visible()
