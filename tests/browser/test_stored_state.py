"""What Reflex stores of the tabs holds no secret: after a whole journey (and in the middle of a
sign-in, while its second step waits), no stored state, on disk (`.states/`, the development
setup) or in Redis (production, with `--db postgres`), holds a session token, a pending sign-in
token, a hand-off nonce, an SMS code or a backup code in any form that gives them back. And the
files the app writes are its own user's only."""

from __future__ import annotations

import re
import stat
import time
from pathlib import Path
from urllib.parse import parse_qs

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from mfa_app import routes
from mfa_app.accounts.crypto import keyed_hash
from mfa_app.settings import Settings
from mfa_app.store.tables import SessionRow
from tests.browser.helpers import App, add_phone, sign_up, use_backup_code
from tests.browser.test_journey import reverify_with_sms, row, sign_in

pytestmark = pytest.mark.scale_out

NUMBER = ("(415) 555-0164", "+14155550164", "+1 415-555-0164")
# secrets.token_urlsafe(32): what session tokens, pending tokens and nonces look like.
TOKEN_SHAPE = re.compile(rb"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])")
DISK_DEBOUNCE_S = 3  # Reflex writes a changed state to disk 2 s after the change


class Secrets:
    """Every secret the journey produced, as the browser and the outbox saw them."""

    def __init__(self, page: Page, app: App) -> None:
        self.app, self.page = app, page
        self.values: set[str] = set()
        page.on("request", self._from_request)

    def _from_request(self, request) -> None:
        """The hand-off nonce, posted in a form to /auth/session."""
        if routes.AUTH_SESSION in request.url and request.post_data:
            self.values.update(parse_qs(request.post_data).get("nonce", []))

    def collect(self) -> None:
        for cookie in self.page.context.cookies():
            if cookie["name"] == routes.SESSION_COOKIE and cookie["value"]:
                self.values.add(cookie["value"])
        # The app is shared by the whole session: only this journey's phone's codes count.
        for message in self.app.messages():
            if message["to"] == NUMBER[1]:
                self.values.update(re.findall(r"#(\d{6})$", message["body"]))


def stored_states(app: App, request: pytest.FixtureRequest) -> bytes:
    """Everything Reflex keeps of every tab: the state files, or every value in Redis."""
    if app.server is None:
        from reflex.utils.prerequisites import get_states_dir

        time.sleep(DISK_DEBOUNCE_S)
        return b"".join(path.read_bytes() for path in Path(get_states_dir()).absolute().glob("*") if path.is_file())
    import redis

    client = redis.Redis.from_url(request.getfixturevalue("redis_url"))
    blobs = []
    for key in client.scan_iter(count=1000):
        kind = client.type(key)
        if kind == b"string":
            blobs.append(client.get(key) or b"")
        elif kind == b"hash":
            blobs.extend(b"%s=%s" % item for item in client.hgetall(key).items())
        elif kind == b"list":
            blobs.extend(client.lrange(key, 0, -1))
        elif kind in (b"set", b"zset"):
            blobs.extend(client.smembers(key) if kind == b"set" else client.zrange(key, 0, -1))
        blobs.append(key)
    return b"\n".join(blobs)


def secret_key(app: App) -> bytes:
    return app.secret_key.encode() if app.secret_key else Settings(data_dir=app.data_dir).resolved_secret_key()


def live_token_hmacs(app: App) -> set[str]:
    engine = app.engine()
    try:
        with engine.connect() as db:
            rows = db.execute(sa.select(SessionRow.token_hmac, SessionRow.handoff_hmac)).all()
    finally:
        engine.dispose()
    return {value for row in rows for value in row if value}


def leaked(blob: bytes, app: App, known: set[str]) -> list[str]:
    """Known secrets found in `blob`, and token-shaped strings that are a session's token or
    nonce now (the pending sign-in's token is one while the second step waits).

    Six digits after "<digit>." are the microseconds of a stored time (the security events'),
    not a code given back: without that exclusion a code matches one about once in 10^5."""
    found = [
        value
        for value in known
        if re.search(rb"(?<![0-9A-Za-z_-])(?<![0-9]\.)" + re.escape(value.encode()) + rb"(?![0-9A-Za-z_-])", blob)
    ]
    key, hmacs = secret_key(app), live_token_hmacs(app)
    for candidate in {match.decode() for match in TOKEN_SHAPE.findall(blob)}:
        if {keyed_hash(key, "session", candidate), keyed_hash(key, "handoff", candidate)} & hmacs:
            found.append(f"a live token or nonce: {candidate[:6]}…")
    return found


def test_no_secret_of_a_whole_journey_is_stored_with_the_tabs_state(page: Page, app: App, request):
    secrets = Secrets(page, app)
    person = sign_up(page)
    secrets.collect()
    add_phone(page, app, NUMBER[0], NUMBER[1])
    page.goto("/account/manage-mfa")
    row(page, NUMBER[2]).get_by_role("button", name="Use for MFA").click()
    expect(page.get_by_text(f"{NUMBER[2]} (Default)")).to_be_visible()
    reverify_with_sms(page, app, NUMBER[1])  # MFA is on: the backup codes are made at once, after an SMS code
    expect(page.locator("#backup-codes li")).to_have_count(10)
    backup_codes = page.locator("#backup-codes li").all_inner_texts()
    secrets.values.update(backup_codes)
    secrets.collect()
    assert leaked(stored_states(app, request), app, secrets.values) == []  # codes on show
    page.get_by_role("button", name="Done").click()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()

    sign_in(page, person.email, person.password)
    expect(page.get_by_text("We sent a code to +1 *** *** 0164.")).to_be_visible()
    secrets.collect()
    assert leaked(stored_states(app, request), app, secrets.values) == []  # the second step waits
    page.get_by_label("Enter code").fill(app.last_code(NUMBER[1]))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="User MFA Settings")).to_be_visible()
    secrets.collect()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()

    sign_in(page, person.email, person.password)
    use_backup_code(page, backup_codes[0])
    expect(page.get_by_role("heading", name="User MFA Settings")).to_be_visible()
    secrets.collect()

    assert len([v for v in secrets.values if len(v) == 43]) >= 4  # cookies and nonces were seen
    assert leaked(stored_states(app, request), app, secrets.values) == []


def private(path: Path) -> bool:
    return stat.S_IMODE(path.stat().st_mode) & 0o077 == 0


def test_the_files_the_app_writes_are_its_own_users_only(page: Page, app: App):
    sign_up(page)  # the database, the secret key, the state files exist now
    folders = [app.data_dir]
    if app.server is None:
        from reflex.utils.prerequisites import get_states_dir

        time.sleep(DISK_DEBOUNCE_S)
        folders.append(Path(get_states_dir()).absolute())
    written = [path for folder in folders for path in [folder, *folder.rglob("*")]]
    assert app.outbox in written and len(written) >= 3
    assert [str(path) for path in written if not private(path) and path.name != "reflex.log"] == []
