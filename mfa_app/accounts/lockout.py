"""Lockout: 10 failed attempts in a row (passwords, SMS codes and backup codes together) lock
the account for an hour."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session

from mfa_app.accounts import events
from mfa_app.accounts.errors import AccountError, user_locked
from mfa_app.store.tables import UserRow

MAX_FAILED_ATTEMPTS = 10
LOCK_DURATION = timedelta(hours=1)


def ensure_not_locked(user: UserRow, now: datetime) -> None:
    if user.locked_until is not None and user.locked_until > now:
        raise user_locked(int((user.locked_until - now).total_seconds()) or 1)


def count_failure(db: Session, user_id: str, error: AccountError, now: datetime) -> AccountError:
    """Count one failed attempt atomically; the error to give back (user_locked on the tenth)."""
    failures = db.execute(
        sa.update(UserRow)
        .where(UserRow.id == user_id)
        .values(password_failures=UserRow.password_failures + 1)
        .returning(UserRow.password_failures)
    ).scalar_one()
    if failures < MAX_FAILED_ATTEMPTS:
        return error
    db.execute(
        sa.update(UserRow).where(UserRow.id == user_id).values(password_failures=0, locked_until=now + LOCK_DURATION)
    )
    events.record(db, user_id, "user.locked", f"{failures} failed attempts in a row", now)
    return user_locked(int(LOCK_DURATION.total_seconds()))


def clear_failures(db: Session, user_id: str) -> None:
    db.execute(sa.update(UserRow).where(UserRow.id == user_id).values(password_failures=0, locked_until=None))
