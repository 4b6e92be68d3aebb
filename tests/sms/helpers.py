"""What the SMS tests share besides fixtures: the providers' fake APIs (Twilio, the webhook) on
loopback, their credentials, and the steps of a send. tests/sms/conftest.py keeps the fixtures."""

from __future__ import annotations

import base64
import json
import re
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs

import pytest
import sqlalchemy as sa

from mfa_app import accounts
from mfa_app.accounts.context import AccountContext
from mfa_app.accounts.errors import AccountError
from mfa_app.accounts.models import PhoneNumber
from mfa_app.settings import Settings
from mfa_app.sms.base import SmsSender
from mfa_app.sms.webhook import verify_signature
from mfa_app.store.db import make_engine
from mfa_app.store.migrate import upgrade
from mfa_app.store.tables import SmsSendRow
from tests.helpers import FakeClock, SignedIn, account_context, sign_up
from tests.loopback_http import LoopbackServer, reset_connection, respond

CONNECT_TIMEOUT_S = 0.3


TOTAL_TIMEOUT_S = 1.0


ACCOUNT_SID = "AC" + "0123456789abcdef" * 2


AUTH_TOKEN = "tok-" + "s3cr3t" * 5


FROM_NUMBER = "+15005550006"


WEBHOOK_SECRET = "whsec-" + "k3y" * 10


CODE = re.compile(r"#(\d{6})$")


class FakeServer(LoopbackServer):
    """A provider's API. Subclasses check and parse requests."""

    def __init__(self) -> None:
        self.requests: list[dict] = []  # every well-formed, authenticated POST
        self.delivered: list[dict] = []  # the messages this provider would deliver
        super().__init__()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def last_code(self, to: str | None = None) -> str:
        for message in reversed(self.delivered):
            match = CODE.search(message["body"])
            if match and (to is None or message["to"] == to):
                return match.group(1)
        raise AssertionError(f"no code delivered to {to}")

    # What subclasses provide.
    def refusal(self, handler: BaseHTTPRequestHandler, raw: bytes) -> tuple[int, dict] | None:
        raise NotImplementedError

    def parse(self, raw: bytes) -> dict:
        raise NotImplementedError

    def accepted(self, message: dict) -> tuple[int, bytes]:
        raise NotImplementedError

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        raw = handler.rfile.read(int(handler.headers.get("Content-Length", 0)))
        refusal = self.refusal(handler, raw)
        if refusal is not None:
            respond(handler, refusal[0], json.dumps(refusal[1]).encode())
            return
        message = self.parse(raw)
        with self._lock:
            self.requests.append(message)
            fault = self.next_fault()
            if fault in ("slow", "reset", "malformed", None):
                self.delivered.append(message)
        if fault == "slow":
            self.wait_slowly()
        if fault == "reset":
            reset_connection(handler)
        elif fault == "malformed":
            respond(handler, 201, b'{"sid": "SM')
        elif fault == "garbage":
            respond(handler, 502, b"<html><body>Bad Gateway</body></html>", content_type="text/html")
        elif fault in ("500", "429", "503"):
            status = int(fault)
            headers = {"Retry-After": self.retry_after} if status != 500 else {}
            respond(handler, status, json.dumps(_twilio_error(20000 + status, status)).encode(), headers=headers)
        elif isinstance(fault, int):
            respond(handler, 400, json.dumps(_twilio_error(fault, 400, message["to"])).encode())
        else:
            respond(handler, *self.accepted(message))


class FakeTwilio(FakeServer):
    """Twilio's Messages API: POST /2010-04-01/Accounts/{sid}/Messages.json, basic auth, form
    fields To, From or MessagingServiceSid, Body; 201 with the Message resource as JSON."""

    def refusal(self, handler: BaseHTTPRequestHandler, raw: bytes) -> tuple[int, dict] | None:
        expected = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
        if handler.headers.get("Authorization") != expected:
            return 401, _twilio_error(20003, 401)
        if handler.path != f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json":
            return 404, _twilio_error(20404, 404)
        if handler.headers.get("Content-Type") != "application/x-www-form-urlencoded":
            return 400, _twilio_error(20001, 400)
        form = self.parse(raw)
        if not form.get("to"):
            return 400, _twilio_error(21604, 400)
        if not (form.get("from") or form.get("messaging_service_sid")):
            return 400, _twilio_error(21603, 400)
        if not form.get("body"):
            return 400, _twilio_error(21602, 400)
        return None

    def parse(self, raw: bytes) -> dict:
        form = {key: values[0] for key, values in parse_qs(raw.decode()).items()}
        return {
            "to": form.get("To"),
            "from": form.get("From"),
            "messaging_service_sid": form.get("MessagingServiceSid"),
            "body": form.get("Body"),
        }

    def accepted(self, message: dict) -> tuple[int, bytes]:
        sid = "SM" + secrets.token_hex(16)
        resource = {
            "sid": sid,
            "account_sid": ACCOUNT_SID,
            "api_version": "2010-04-01",
            "status": "queued",
            "direction": "outbound-api",
            "num_segments": "1",
            "error_code": None,
            "error_message": None,
            "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}.json",
            **message,
        }
        return 201, json.dumps(resource).encode()


class FakeWebhook(FakeServer):
    """An operator's SMS gateway: refuses requests whose signature does not verify."""

    def __init__(self) -> None:
        self.signed: list[dict] = []  # timestamp, signature and raw body of every POST
        super().__init__()

    def refusal(self, handler: BaseHTTPRequestHandler, raw: bytes) -> tuple[int, dict] | None:
        timestamp = handler.headers.get("X-MFA-Timestamp", "")
        signature = handler.headers.get("X-MFA-Signature", "")
        self.signed.append({"timestamp": timestamp, "signature": signature, "raw": raw})
        if not verify_signature(WEBHOOK_SECRET, timestamp, raw, signature, time.time()):
            return 401, {"error": "bad signature"}
        return None

    def parse(self, raw: bytes) -> dict:
        return json.loads(raw)

    def accepted(self, message: dict) -> tuple[int, bytes]:
        return 202, b'{"ok": true}'


def _twilio_error(code: int, status: int, to: str | None = None) -> dict:
    """Twilio's documented error body; its message names the number, as Twilio's do."""
    return {
        "code": code,
        "message": f"Twilio says no to {to or 'this request'} (error {code})",
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


@contextmanager
def context(settings: Settings, sender: SmsSender, clock: FakeClock) -> Iterator[AccountContext]:
    """The account service like tests/conftest.py's `ctx`, but sending through `sender`."""
    engine = make_engine(settings.database_url)
    upgrade(engine)
    yield account_context(engine, settings, sender, clock)
    engine.dispose()


def sends_recorded(ctx: AccountContext) -> int:
    """Rows in the send quota table (a failed send must leave none)."""
    with ctx.read() as db:
        return db.execute(sa.select(sa.func.count()).select_from(SmsSendRow)).scalar_one()


PHONE = "+14155552671"


def add_phone(ctx: AccountContext, number: str = PHONE) -> tuple[SignedIn, PhoneNumber]:
    """A fresh account (inside its 10-minute step-up window) with one unverified phone."""
    user = sign_up(ctx)
    return user, accounts.create_phone(ctx, user.token, number)


def refused(ctx: AccountContext, user: SignedIn, phone: PhoneNumber) -> AccountError:
    with pytest.raises(AccountError) as caught:
        accounts.prepare_verification(ctx, user.token, phone.id)
    return caught.value


def retry_and_verify(ctx: AccountContext, server: FakeServer, user: SignedIn, phone: PhoneNumber) -> None:
    """Ask again at once (a failed send used no cooldown), then verify with the delivered code."""
    delivered = len(server.delivered)
    accounts.prepare_verification(ctx, user.token, phone.id)
    assert len(server.delivered) == delivered + 1
    verified = accounts.attempt_verification(ctx, user.token, phone.id, server.last_code(phone.phone_number))
    assert verified.verification.status == "verified"
    assert sends_recorded(ctx) == 1
