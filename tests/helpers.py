"""What the unit tests share besides fixtures: the fake clock and outbox, fast hashing, and the
steps that set up a user (sign up, a verified phone, MFA on, re-verified, backup codes).
tests/conftest.py keeps the fixtures."""

from __future__ import annotations

import asyncio
import concurrent.futures
import re
import secrets
from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from argon2 import PasswordHasher
from sqlalchemy.engine import Engine

from mfa_app import accounts
from mfa_app.accounts.context import AccountContext
from mfa_app.accounts.crypto import Hashing
from mfa_app.mail import EmailOutbox
from mfa_app.settings import Settings
from mfa_app.sms.base import SmsSender
from mfa_app.sms.outbox import OutboxSender

T = TypeVar("T")


PASSWORD = "correct horse battery"


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def last_code_in(messages: list[dict[str, Any]], to: str | None = None) -> str:
    """The newest code among an outbox's messages (to `to`): the digits ending its body."""
    for message in reversed(messages):
        match = re.search(r"#(\d{6})$", message["body"])
        if match and (to is None or message["to"] == to):
            return match.group(1)
    raise AssertionError(f"no code sent to {to}")


def account_context(
    engine: Engine, settings: Settings, sender: SmsSender, clock: FakeClock, **more: Any
) -> AccountContext:
    """The account service the unit tests run on: `settings`' key, the test clock, fast hashing."""
    return AccountContext(
        engine=engine,
        sender=sender,
        settings=settings,
        secret_key=settings.resolved_secret_key(),
        clock=clock,
        hashing=fast_hashing(),
        **more,
    )


class Outbox(OutboxSender):
    def last_code(self, to: str | None = None) -> str:
        return last_code_in(self.messages(), to)


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
