"""What support does for a user without a database console (`python -m mfa_app.admin`): find an
account, look at it (phones masked, MFA, lockout, recent security events), unlock it, sign out
all its sessions, and turn MFA off for a person who lost both the phone and the backup codes.
Every change is a security event naming the operator (the OS user who ran the command) and, for
an MFA reset, the reason given; the user is told by email that MFA was turned off."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from mfa_app.accounts import backup_codes, email_notices, events, mirror
from mfa_app.accounts.access import has_mfa
from mfa_app.accounts.context import AccountContext
from mfa_app.accounts.errors import AccountError
from mfa_app.accounts.models import SecurityEvent
from mfa_app.accounts.numbers import mask
from mfa_app.accounts.phones import all_of
from mfa_app.store.db import changed_rows
from mfa_app.store.tables import BackupCodeRow, PhoneRow, SessionRow, UserRow

FIND_LIMIT = 50
SHOWN_EVENTS = 10


@dataclass(frozen=True)
class PhoneSummary:
    masked: str
    verified: bool
    reserved_for_second_factor: bool
    default_second_factor: bool


@dataclass(frozen=True)
class AccountSummary:
    id: str
    email: str
    created_at: datetime
    two_factor_enabled: bool
    phones: list[PhoneSummary]
    backup_codes_left: int
    locked_until: datetime | None  # None when not locked now
    password_failures: int
    second_factor_failures: int
    signed_in_sessions: int
    recent_events: list[SecurityEvent]


@dataclass(frozen=True)
class MfaReset:
    phones: int  # phones no longer used for MFA
    backup_codes: int  # deleted
    notified: bool  # the email telling the user was sent


def find_accounts(ctx: AccountContext, text: str) -> list[tuple[str, str]]:
    """(id, email) of the accounts whose address contains `text`, by address."""
    pattern = "%" + text.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    query = select(col(UserRow.id), col(UserRow.email)).where(col(UserRow.email).like(pattern, escape="\\"))
    with ctx.read() as db:
        return [tuple(row) for row in db.exec(query.order_by(col(UserRow.email)).limit(FIND_LIMIT)).all()]


def show_account(ctx: AccountContext, email: str) -> AccountSummary:
    now = ctx.now()
    with ctx.read() as db:
        user = _account(db, email)
        live_sessions = (
            sa.select(sa.func.count())
            .select_from(SessionRow)
            .where(
                col(SessionRow.user_id) == user.id,
                col(SessionRow.revoked_at).is_(None),
                col(SessionRow.expires_at) > now,
                col(SessionRow.second_factor_pending).is_(False),
            )
        )
        mfa = has_mfa(db, user.id)
        return AccountSummary(
            id=user.id,
            email=user.email,
            created_at=user.created_at,
            two_factor_enabled=mfa,
            phones=[_phone(p) for p in all_of(db, user.id)],
            backup_codes_left=len(backup_codes.unused(db, user.id)) if mfa else 0,
            locked_until=user.locked_until if user.locked_until and user.locked_until > now else None,
            password_failures=user.password_failures,
            second_factor_failures=user.second_factor_failures,
            signed_in_sessions=db.execute(live_sessions).scalar_one(),
            recent_events=events.newest_first(db, user.id, SHOWN_EVENTS),
        )


def unlock(ctx: AccountContext, email: str, operator: str) -> bool:
    """End a lockout and start both failure counts afresh; whether the account was locked."""

    def work(db: Session) -> bool:
        user = _account(db, email)
        was_locked = user.locked_until is not None and user.locked_until > ctx.now()
        db.execute(
            sa.update(UserRow)
            .where(col(UserRow.id) == user.id)
            .values(locked_until=None, password_failures=0, second_factor_failures=0)
        )
        events.record(db, user.id, "support.unlocked", f"by {operator}", ctx.now())
        return was_locked

    return ctx.write(work)


def revoke_sessions(ctx: AccountContext, email: str, operator: str) -> int:
    """Sign out every session of the account (sign-ins waiting for a second factor too)."""

    def work(db: Session) -> int:
        user = _account(db, email)
        count = changed_rows(
            db,
            sa.update(SessionRow)
            .where(
                col(SessionRow.user_id) == user.id,
                col(SessionRow.revoked_at).is_(None),
                col(SessionRow.expires_at) > ctx.now(),
            )
            .values(revoked_at=ctx.now()),
        )
        events.record(db, user.id, "support.sessions_revoked", f"{count} by {operator}", ctx.now())
        return count

    return ctx.write(work)


def reset_mfa(ctx: AccountContext, email: str, operator: str, reason: str) -> MfaReset:
    """Turn MFA off for a person who lost the phone and the backup codes: no phone is used for
    MFA any more (they stay on the account), the backup codes are deleted, and the user is told
    by email. Sign-in then takes the password alone, until MFA is turned on again."""
    reason = " ".join(reason.split())
    if not reason:
        raise AccountError("reason_required", "Say why MFA is reset (--reason): it goes into the security events.")

    def work(db: Session) -> tuple[str, int, int]:
        user = _account(db, email)
        if not has_mfa(db, user.id):
            raise AccountError("mfa_not_enabled", f"MFA is not on for {user.email}: nothing to reset.")
        phones = changed_rows(
            db,
            sa.update(PhoneRow)
            .where(col(PhoneRow.user_id) == user.id, col(PhoneRow.reserved_for_second_factor))
            .values(reserved_for_second_factor=False, default_second_factor=False),
        )
        codes = changed_rows(db, sa.delete(BackupCodeRow).where(col(BackupCodeRow.user_id) == user.id))
        events.record(db, user.id, "support.mfa_reset", f"by {operator}: {reason}", ctx.now())
        return user.email, phones, codes

    with ctx.read() as db:
        user_id = _account(db, email).id
    # Where the identity keeps its own copy of the second factor (Clerk), MFA goes off there first.
    to, phones, codes = mirror.write_for_user(ctx, user_id, work)
    notified = email_notices.send(ctx, email_notices.mfa_reset_by_support(ctx, to))
    return MfaReset(phones=phones, backup_codes=codes, notified=notified)


def _phone(phone: PhoneRow) -> PhoneSummary:
    return PhoneSummary(
        masked=mask(phone.phone_number),
        verified=phone.verified_at is not None,
        reserved_for_second_factor=phone.reserved_for_second_factor,
        default_second_factor=phone.default_second_factor,
    )


def _account(db: Session, email: str) -> UserRow:
    user = db.exec(select(UserRow).where(col(UserRow.email) == email.strip().lower())).first()
    if user is None:
        raise AccountError("resource_not_found", f"No account has the email address {email.strip()!r}.", status=404)
    return user
