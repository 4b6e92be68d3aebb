"""What the browser tests share besides fixtures: the app under test (App), the steps a person
takes (sign up, add a phone), seeded accounts, screenshots and the axe check.
tests/browser/conftest.py keeps the fixtures."""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import re
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from playwright.sync_api import Page, expect

from mfa_app.store.tables import PasswordResetRow, SessionRow, UserRow, VerificationRow
from tests.browser import prod_server
from tests.helpers import last_code_in

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


PROD_WORKERS = 3


@dataclass
class App:
    url: str
    data_dir: Path
    database_url: str
    server: prod_server.Server | None = None  # with --db postgres: the production server
    secret_key: str = ""  # the server's MFA_SECRET_KEY, when it is a process of its own

    @property
    def outbox(self) -> Path:
        return self.data_dir / "sms_outbox.jsonl"

    def messages(self) -> list[dict]:
        if not self.outbox.exists():
            return []
        return [json.loads(line) for line in self.outbox.read_text().splitlines() if line.strip()]

    def last_code(self, to: str | None = None) -> str:
        return last_code_in(self.messages(), to)

    @property
    def email_outbox(self) -> Path:
        return self.data_dir / "email_outbox.jsonl"

    def emails(self, to: str | None = None) -> list[dict]:
        """The emails the app sent (to `to`), oldest first."""
        if not self.email_outbox.exists():
            return []
        sent = [json.loads(line) for line in self.email_outbox.read_text().splitlines() if line.strip()]
        return [m for m in sent if to is None or m["to"] == to]

    def reset_link(self, to: str, timeout_s: float = 10.0) -> str:
        """The link of the newest reset email to `to`, waiting for it: the app sends it after
        answering the page."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            links = [re.search(r"https?://\S+[?&]token=\S+", m["body"]) for m in self.emails(to)]
            if links and links[-1]:
                return links[-1].group(0)
            time.sleep(0.1)
        raise AssertionError(f"no reset link emailed to {to}")

    def age_reset_links(self, email: str, minutes: int) -> None:
        """Move the user's reset links `minutes` back in time (as if the person had waited)."""
        engine = self.engine()
        try:
            with engine.begin() as db:
                query = sa.select(PasswordResetRow.id, PasswordResetRow.requested_at, PasswordResetRow.expires_at)
                query = query.where(PasswordResetRow.user_id == _user_id(email))
                for row_id, requested_at, expires_at in db.execute(query).all():
                    back = timedelta(minutes=minutes)
                    moved = {"requested_at": requested_at - back, "expires_at": expires_at - back}
                    db.execute(sa.update(PasswordResetRow).where(PasswordResetRow.id == row_id).values(**moved))
        finally:
            engine.dispose()

    def engine(self) -> sa.Engine:
        return sa.create_engine(self.database_url, poolclass=sa.pool.NullPool)

    def make_sessions_stale(self, email: str) -> None:
        """Move the user's last verification 11 minutes back: the next sensitive change must
        re-verify (as if the person had walked away for a while)."""
        stale = datetime.now(UTC) - timedelta(minutes=11)
        engine = self.engine()
        try:
            with engine.begin() as db:
                db.execute(
                    sa.update(SessionRow).where(SessionRow.user_id == _user_id(email)).values(last_verified_at=stale)
                )
        finally:
            engine.dispose()

    def age_codes(self, email: str, seconds: int = 31) -> None:
        """Move the user's SMS codes `seconds` back in time (the 30 s resend cooldown is over,
        as if the person had waited)."""
        engine = self.engine()
        try:
            with engine.begin() as db:
                query = sa.select(VerificationRow.id, VerificationRow.created_at)
                for row_id, created_at in db.execute(query.where(VerificationRow.user_id == _user_id(email))).all():
                    moved = created_at - timedelta(seconds=seconds)
                    db.execute(sa.update(VerificationRow).where(VerificationRow.id == row_id).values(created_at=moved))
        finally:
            engine.dispose()


def _user_id(email: str):
    return sa.select(UserRow.id).where(UserRow.email == email).scalar_subquery()


@contextlib.contextmanager
def serve_example(
    name: str, data_dir: Path, *, database_url: str, env: dict[str, str], ready_path: str
) -> Iterator[prod_server.Server]:
    """An example host of examples/, built and served as in production (one worker, no Redis),
    with mfa_app imported from this checkout and `env` added to its settings. The examples keep
    their data in SQLite: they run in the SQLite pass (a test of theirs asks for no
    `database_server` fixture, so the PostgreSQL pass leaves it out)."""
    with prod_server.serve(
        ROOT / "examples" / name,
        database_url=database_url,
        redis_url="",
        data_dir=data_dir,
        workers=1,
        log=data_dir / "reflex.log",
        env={"PYTHONPATH": str(ROOT), **env},
        ready_path=ready_path,
    ) as server:
        yield server


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


AXE_JS = ROOT / "tests" / "browser" / "node_modules" / "axe-core" / "axe.min.js"


_phone_numbers = itertools.count(3000)  # +1 415-555-3000 upwards; the journey uses 2671 and 0199


@dataclass
class Phone:
    national: str  # as a person in the US types it: "(415) 555-3000"
    e164: str  # as stored and sent to: "+14155553000"
    shown: str  # as the pages show it: "+1 415-555-3000"
    id: str = ""


def use_backup_code(page: Page, code: str) -> None:
    """On the second step, "Use a backup code", then the code. The backup-code field replaces
    the text-message one after a round trip, under the same label: the code is typed once the
    backup-code field is there (typed before, it went into the field being replaced, and the
    empty backup-code field then kept the form from being sent)."""
    page.get_by_role("button", name="Use a backup code").click()
    expect(page.get_by_text("Enter one of your backup codes.")).to_be_visible()
    page.get_by_label("Enter code").fill(code)
    page.get_by_role("button", name="Continue").click()


def new_phone() -> Phone:
    """A US mobile number no other test uses (each number has its own hourly SMS quota)."""
    n = next(_phone_numbers)
    return Phone(f"(415) 555-{n:04d}", f"+1415555{n:04d}", f"+1 415-555-{n:04d}")


@dataclass
class Account(Person):
    mfa_phones: list[Phone] = field(default_factory=list)
    available_phones: list[Phone] = field(default_factory=list)
    backup_codes: list[str] = field(default_factory=list)
    token: str = ""  # the service session until it is handed to a browser


def create_account(app: App, *, mfa: int = 0, available: int = 0, backup_codes: bool = False) -> Account:
    """Sign up a new user through the service with `mfa` verified phones reserved for MFA (the
    first one the default) and `available` verified phones not reserved, optionally backup
    codes. The session (`account.token`) is freshly verified with its strongest factor, and the
    seeding's codes are aged past the resend cooldown."""
    from mfa_app import accounts
    from mfa_app.state.service import context

    ctx = context()
    account = Account(email=f"user-{secrets.token_hex(4)}@example.com")
    token = account.token = accounts.sign_up(ctx, account.email, account.password).session_token
    for _ in range(mfa + available):
        phone = new_phone()
        phone.id = accounts.create_phone(ctx, token, phone.e164).id
        accounts.prepare_verification(ctx, token, phone.id)
        accounts.attempt_verification(ctx, token, phone.id, app.last_code(phone.e164))
        (account.mfa_phones if len(account.mfa_phones) < mfa else account.available_phones).append(phone)
    for phone in account.mfa_phones[:1]:
        accounts.set_reserved_for_second_factor(ctx, token, phone.id, True)
        # MFA is on now: the session re-verifies with a second factor, like the browser would.
        accounts.prepare_reverification(ctx, token, phone.id)
        accounts.reverify(ctx, token, "phone_code", app.last_code(phone.e164))
    for phone in account.mfa_phones[1:]:
        accounts.set_reserved_for_second_factor(ctx, token, phone.id, True)
    if backup_codes:
        account.backup_codes = accounts.create_backup_codes(ctx, token).codes
    app.age_codes(account.email)
    return account


def hand_off(page: Page, account: Account, next_path: str = "/account/manage-mfa") -> None:
    """Give the browser the account's session through the app's own cookie route (the way
    sign-in does: a form POST from a page of the app's origin), then land on `next_path`. The
    service rotates the token on the way."""
    from mfa_app import accounts
    from mfa_app.state.service import context

    nonce = accounts.start_handoff(context(), account.token)
    account.token = ""
    post_from_app_origin(page, "/auth/session", {"nonce": nonce, "next": next_path})
    page.wait_for_url(f"**{next_path}")


POST_FORM_JS = """([action, fields]) => {
    const form = Object.assign(document.createElement("form"), {method: "post", action});
    for (const [name, value] of Object.entries(fields))
        form.append(Object.assign(document.createElement("input"), {type: "hidden", name, value}));
    document.body.append(form);
    form.submit();
}"""


def post_from_app_origin(page: Page, path: str, fields: dict[str, str]) -> None:
    """Navigate with a form POST to a backend route from a document of the app's own origin,
    as the app's pages do (the favicon: no app to start for it)."""
    from reflex.config import get_config

    page.goto("/favicon.ico")
    with page.expect_navigation():
        page.evaluate(POST_FORM_JS, [f"{get_config().api_url.rstrip('/')}{path}", fields])


def seed_account(app: App, page: Page, *, next_path: str = "/account/manage-mfa", **options) -> Account:
    """create_account(**options), signed in in `page`, on `next_path`."""
    account = create_account(app, **options)
    hand_off(page, account, next_path)
    return account


def axe_violations(page: Page, impacts: tuple[str, ...] = ("serious", "critical")) -> list[dict]:
    """Run axe-core in the page; the violations of the given impacts, each with its nodes."""
    settle(page)  # no half-faded dialog: colours are measured as a person sees them
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_JS))
    results = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [(n["target"], n.get("failureSummary", "")) for n in v["nodes"]],
        }
        for v in results["violations"]
        if v["impact"] in impacts
    ]


def settle(page: Page) -> None:
    """Wait until the page's transitions (a dialog fading in) have finished; endless ones (a busy
    button's spinner) don't count."""
    page.wait_for_function(
        "document.getAnimations().every("
        "a => a.playState !== 'running' || a.effect?.getComputedTiming().endTime === Infinity)"
    )


DOCS = ROOT / "docs"


def shoot_for_docs(page: Page, name: str) -> None:
    """The README's pictures: written to docs/<name>.png only with UPDATE_DOCS_SCREENSHOTS=1."""
    if os.environ.get("UPDATE_DOCS_SCREENSHOTS") == "1":
        DOCS.mkdir(exist_ok=True)
        page.screenshot(path=str(DOCS / f"{name}.png"), full_page=True)
