"""What every service function works with: the database, the SMS sender, the settings, and an
injectable clock and random source (so tests control time and codes)."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypeVar

from sqlalchemy.engine import Engine
from sqlmodel import Session

from mfa_app.accounts.crypto import Hashing, keyed_hash
from mfa_app.accounts.errors import AccountError
from mfa_app.settings import Settings
from mfa_app.sms.base import SmsSender
from mfa_app.store import db as store

T = TypeVar("T")
log = logging.getLogger("mfa_app.accounts")


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class AccountContext:
    engine: Engine
    sender: SmsSender
    settings: Settings
    secret_key: bytes
    clock: Callable[[], datetime] = utcnow
    rng: secrets.SystemRandom = field(default_factory=secrets.SystemRandom)
    hashing: Hashing = field(default_factory=Hashing)

    def now(self) -> datetime:
        return self.clock()

    def hmac(self, *parts: str) -> str:
        return keyed_hash(self.secret_key, *parts)

    def read(self):
        return store.reading(self.engine)

    def write(self, work: Callable[[Session], T | AccountError]) -> T:
        """Run `work` in one serializable transaction. `work` raises an AccountError to refuse
        with nothing changed, or returns one to refuse *after* committing (a counted failure)."""
        result = store.writing(self.engine, work)
        if isinstance(result, AccountError):
            raise result
        return result
