"""What every service function works with: the database, the SMS and email senders, the settings,
and an injectable clock, random source and way to run work after answering (so tests control
time, codes and when emails go)."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, TypeVar, cast

from sqlalchemy.engine import Engine
from sqlmodel import Session

from mfa_app.accounts.crypto import Hashing, keyed_hash
from mfa_app.accounts.errors import AccountError, RefusedAfterCommit
from mfa_app.mail import EmailSender, make_email_sender
from mfa_app.settings import Settings
from mfa_app.sms.base import SmsSender
from mfa_app.store import db as store

if TYPE_CHECKING:
    from mfa_app.accounts.code_service import CodeService
    from mfa_app.accounts.mirror import FactorMirror

T = TypeVar("T")
log = logging.getLogger("mfa_app.accounts")


def utcnow() -> datetime:
    return datetime.now(UTC)


@lru_cache(maxsize=1)
def _background() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=2, thread_name_prefix="deferred")


def in_background(work: Callable[[], object]) -> None:
    """Run `work` in a thread of this process, after the caller has answered."""
    _background().submit(_logged, work)


def _logged(work: Callable[[], object]) -> None:
    try:
        work()
    except Exception:
        log.exception("deferred work failed")


@dataclass
class AccountContext:
    engine: Engine
    sender: SmsSender
    settings: Settings
    secret_key: bytes
    clock: Callable[[], datetime] = utcnow
    rng: secrets.SystemRandom = field(default_factory=secrets.SystemRandom)
    hashing: Hashing = field(default_factory=Hashing)
    email: EmailSender | None = None  # None: the provider the settings name
    defer: Callable[[Callable[[], object]], None] = in_background
    # A host app's check of one of its users' passwords (user id, password), for step-up
    # re-verification; None: mfa_app's own password hashes (the built-in accounts).
    check_password: Callable[[str, str], bool] | None = None
    # Where the host's identity keeps its own copy of the second factor (mfa_app/accounts/
    # mirror.py: Clerk's); None: mfa_app's tables alone.
    mirror: FactorMirror | None = None
    # The host's sign-out of its own sessions (user id, which session keys), for mfa_app's list
    # of sessions (mfa_app/identity.py: SessionSignOut); None: mfa_app's records alone.
    sign_out_host_sessions: Callable[[str, Callable[[str], bool]], None] | None = None
    # Where the host's identity sends and checks the text-message codes itself (code_service.py:
    # Clerk's); None: mfa_app makes them and sends them with `sender`.
    code_service: CodeService | None = None

    def __post_init__(self) -> None:
        if self.email is None:
            self.email = make_email_sender(self.settings)

    def now(self) -> datetime:
        return self.clock()

    def hmac(self, *parts: str) -> str:
        return keyed_hash(self.secret_key, *parts)

    def read(self):
        return store.reading(self.engine)

    def write(self, work: Callable[[Session], T]) -> T:
        """Run `work` in one serializable transaction. `work` raises an AccountError to refuse
        with nothing changed, or RefusedAfterCommit to refuse after committing (a counted try)."""

        def run(db: Session) -> tuple[T | None, AccountError | None]:
            try:
                return work(db), None
            except RefusedAfterCommit as refused:
                return None, refused.error

        result, refusal = store.writing(self.engine, run)
        if refusal is not None:
            raise refusal
        return cast(T, result)
