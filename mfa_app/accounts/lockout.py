"""Lockout against guessing: 10 wrong passwords in a row, or 10 wrong second factors (SMS codes
and backup codes, at sign-in and at re-verification) since the last right one, lock the account
for an hour (MFA_LOCKOUT_MAX_ATTEMPTS, MFA_LOCKOUT_DURATION_S).

The two are counted apart so that knowing the password buys no extra second-factor guesses: a
right password clears only the password count, a right second factor only the second-factor
count. Codes typed while adding a phone are not counted here: each code dies after 5 wrong tries
and the sending limits bound new codes, and a signed-in person's typos must not lock them out of
signing in. The cost of the lockout: anyone who knows an address can lock it for an hour."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal, NoReturn

import sqlalchemy as sa
from sqlmodel import Session, col

from mfa_app.accounts import events
from mfa_app.accounts.context import AccountContext
from mfa_app.accounts.errors import AccountError, RefusedAfterCommit, signed_out, user_locked
from mfa_app.store.tables import UserRow

Factor = Literal["password", "second_factor"]
_COUNT = {"password": "password_failures", "second_factor": "second_factor_failures"}
_WRONG = {"password": "wrong passwords in a row", "second_factor": "wrong codes since the last right one"}


def ensure_not_locked(user: UserRow, now: datetime) -> None:
    if user.locked_until is not None and user.locked_until > now:
        raise user_locked(int((user.locked_until - now).total_seconds()) or 1)


def ensure_row_not_locked(db: Session, user_id: str, now: datetime) -> None:
    """ensure_not_locked on the user's row as this transaction sees it."""
    user = db.get(UserRow, user_id)
    if user is None:
        raise signed_out()
    ensure_not_locked(user, now)


def count_failure(ctx: AccountContext, db: Session, user_id: str, factor: Factor, error: AccountError) -> NoReturn:
    """Count one wrong `factor` atomically and refuse with `error` once that is committed
    (user_locked instead when the count reaches the limit, which starts both counts afresh)."""
    column = getattr(UserRow, _COUNT[factor])
    failures = db.execute(
        sa.update(UserRow).where(col(UserRow.id) == user_id).values({column: column + 1}).returning(column)
    ).scalar_one()
    if failures < ctx.settings.lockout_max_attempts:
        raise RefusedAfterCommit(error)
    duration = timedelta(seconds=ctx.settings.lockout_duration_s)
    db.execute(
        sa.update(UserRow)
        .where(col(UserRow.id) == user_id)
        .values(password_failures=0, second_factor_failures=0, locked_until=ctx.now() + duration)
    )
    events.record(db, user_id, "user.locked", f"{failures} {_WRONG[factor]}", ctx.now())
    raise RefusedAfterCommit(user_locked(int(duration.total_seconds())))


def clear_failures(db: Session, user_id: str, factor: Factor) -> None:
    """A right `factor`: its count starts again; the other one stands."""
    db.execute(sa.update(UserRow).where(col(UserRow.id) == user_id).values({_COUNT[factor]: 0}))


def check_password(ctx: AccountContext, user: UserRow, password: str) -> bool:
    """Whether `password` is the user's, checked before any transaction (argon2id takes a while):
    a locked account is refused first. A host app's own check when it gave one (its users have no
    password here), else the stored hash."""
    ensure_not_locked(user, ctx.now())
    if ctx.check_password is not None:
        return ctx.check_password(user.id, password)
    if not user.password_hash:  # a host's user, and the host checks no passwords for mfa_app
        raise AccountError("strategy_for_user_invalid", "Sign out and sign in again to confirm it's you.")
    return ctx.hashing.password_matches(user.password_hash, password)


def settle_password(ctx: AccountContext, db: Session, user_id: str, password_ok: bool, incorrect: AccountError) -> None:
    """In the write transaction after check_password: a wrong password counted and refused with
    `incorrect` (after committing), a right one clears the password count."""
    ensure_row_not_locked(db, user_id, ctx.now())
    if not password_ok:
        count_failure(ctx, db, user_id, "password", incorrect)
    clear_failures(db, user_id, "password")
