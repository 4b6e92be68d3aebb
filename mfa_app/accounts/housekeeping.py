"""Housekeeping: rows that can no longer be used are deleted once they have been dead for
MFA_RETENTION_DAYS (30 by default, kept for looking into what happened): ended sessions (expired
or revoked) with their SMS codes, expired SMS codes, hand-off nonces and reset links, and SMS
sends. Security events go after MFA_SECURITY_EVENT_RETENTION_DAYS (365). Run by the backend's
periodic task (mfa_app/tasks.py) and by `python -m mfa_app.admin purge`.

What stays, whatever the settings: a code or link still live (it is dead before it is old), and
the rows the hourly limits count (the SMS budgets count sms_sends, the reset limits count
password_resets, over the last hour; a retention is at least one day)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import Session, col

from mfa_app.accounts import limits
from mfa_app.accounts.context import AccountContext
from mfa_app.store.db import changed_rows
from mfa_app.store.tables import PasswordResetRow, SecurityEventRow, SessionRow, SmsSendRow, VerificationRow


@dataclass(frozen=True)
class Purged:
    sessions: int
    verifications: int
    handoff_nonces: int
    reset_links: int
    sms_sends: int
    security_events: int


def purge(ctx: AccountContext) -> Purged:
    """Delete what has been dead long enough; how many rows of each kind went. One transaction
    per kind, so a purge never holds up the app's writes for long."""
    now = ctx.now()
    cutoff = now - timedelta(days=ctx.settings.retention_days)
    ended = sa.or_(col(SessionRow.revoked_at) < cutoff, col(SessionRow.expires_at) < cutoff)

    def sessions_and_codes(db: Session) -> tuple[int, int]:
        # A code expires 10 minutes after it is sent, used or not; the codes of an ended session
        # go with it (they reference it).
        of_ended = col(VerificationRow.session_id).in_(sa.select(col(SessionRow.id)).where(ended))
        codes = _delete(db, VerificationRow, sa.or_(col(VerificationRow.expires_at) < cutoff, of_ended))
        return _delete(db, SessionRow, ended), codes

    def handoff_nonces(db: Session) -> int:
        cleared = sa.update(SessionRow).where(col(SessionRow.handoff_expires_at) < cutoff)
        return changed_rows(db, cleared.values(handoff_hmac=None, handoff_expires_at=None))

    sessions, verifications = ctx.write(sessions_and_codes)
    sends_before = min(cutoff, now - limits.HOUR)  # the hourly SMS budgets count these
    events_before = now - timedelta(days=ctx.settings.security_event_retention_days)
    return Purged(
        sessions=sessions,
        verifications=verifications,
        handoff_nonces=ctx.write(handoff_nonces),
        # A link expires 30 minutes after it is asked for, used or not.
        reset_links=_purge(ctx, PasswordResetRow, col(PasswordResetRow.expires_at) < cutoff),
        sms_sends=_purge(ctx, SmsSendRow, col(SmsSendRow.sent_at) < sends_before),
        security_events=_purge(ctx, SecurityEventRow, col(SecurityEventRow.created_at) < events_before),
    )


def _purge(ctx: AccountContext, table, condition) -> int:
    return ctx.write(lambda db: _delete(db, table, condition))


def _delete(db: Session, table, condition) -> int:
    return changed_rows(db, sa.delete(table).where(condition))
