"""Sessions: random server-issued tokens, stored as HMACs, expiring and revocable, with the time
and level of the last verification (for step-up re-verification)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

import sqlalchemy as sa
from sqlmodel import Session, select

from mfa_app.accounts.context import AccountContext
from mfa_app.accounts.crypto import new_id, session_token
from mfa_app.accounts.errors import reverification_required, signed_out
from mfa_app.accounts.user_agent import MAX_LENGTH as MAX_USER_AGENT
from mfa_app.store.tables import SessionRow

Level = Literal["first_factor", "second_factor"]
PENDING_TTL = timedelta(minutes=10)
_RANK = {"first_factor": 1, "second_factor": 2}


def create(ctx: AccountContext, db: Session, user_id: str, level: Level, *, pending: bool) -> str:
    """A new session; returns its token (the only copy in the clear)."""
    now = ctx.now()
    token = session_token()
    ttl = PENDING_TTL if pending else timedelta(seconds=ctx.settings.session_ttl_s)
    db.add(
        SessionRow(
            id=new_id("sess"),
            token_hmac=ctx.hmac("session", token),
            user_id=user_id,
            created_at=now,
            expires_at=now + ttl,
            second_factor_pending=pending,
            last_verified_at=now,
            last_verified_level=level,
        )
    )
    return token


def find(ctx: AccountContext, db: Session, token: str, *, pending: bool = False) -> SessionRow:
    """The live session behind `token` (a signed-in one, or with pending=True one waiting for its
    second factor); signed_out otherwise."""
    if not token:
        raise signed_out()
    row = db.exec(select(SessionRow).where(SessionRow.token_hmac == ctx.hmac("session", token))).first()
    if row is None or row.revoked_at is not None or row.expires_at <= ctx.now() or row.second_factor_pending != pending:
        raise signed_out()
    return row


def revoke(ctx: AccountContext, token: str) -> None:
    def work(db: Session) -> None:
        db.execute(
            sa.update(SessionRow)
            .where(SessionRow.token_hmac == ctx.hmac("session", token), SessionRow.revoked_at.is_(None))
            .values(revoked_at=ctx.now())
        )

    ctx.write(work)


def complete_second_factor(ctx: AccountContext, db: Session, session: SessionRow) -> None:
    now = ctx.now()
    session.second_factor_pending = False
    session.expires_at = now + timedelta(seconds=ctx.settings.session_ttl_s)
    mark_verified(ctx, session, "second_factor")
    db.add(session)


def mark_verified(ctx: AccountContext, session: SessionRow, level: Level) -> None:
    session.last_verified_at = ctx.now()
    session.last_verified_level = level


def require_recent_verification(ctx: AccountContext, session: SessionRow, needed: Level) -> None:
    """Strict step-up: the session verified at `needed` level (the strongest factor the user has)
    within the configured window (10 minutes by default)."""
    max_age = timedelta(seconds=ctx.settings.reverification_max_age_s)
    fresh = ctx.now() - session.last_verified_at <= max_age
    strong_enough = _RANK[session.last_verified_level] >= _RANK[needed]
    if not (fresh and strong_enough):
        raise reverification_required()


# How stale "last active" may be: a session's activity is written at most once a minute.
ACTIVITY_RESOLUTION = timedelta(minutes=1)


def note_activity(ctx: AccountContext, session: SessionRow) -> None:
    """The session was used just now. Written only when the last note is a minute old, so an
    active page costs at most one write a minute."""
    now = ctx.now()
    stale = now - ACTIVITY_RESOLUTION
    if session.last_active_at is not None and session.last_active_at > stale:
        return

    def work(db: Session) -> None:
        db.execute(
            sa.update(SessionRow)
            .where(SessionRow.id == session.id)
            .where(sa.or_(SessionRow.last_active_at.is_(None), SessionRow.last_active_at <= stale))
            .values(last_active_at=now)
        )

    ctx.write(work)


HANDOFF_TTL = timedelta(seconds=60)


def start_handoff(ctx: AccountContext, token: str) -> str:
    """A one-time nonce, valid one minute, that the browser trades at an HTTP route for the
    session cookie. The page's websocket never needs to carry a usable session token."""
    nonce = session_token()

    def work(db: Session) -> None:
        row = find(ctx, db, token)
        row.handoff_hmac = ctx.hmac("handoff", nonce)
        row.handoff_expires_at = ctx.now() + HANDOFF_TTL
        db.add(row)

    ctx.write(work)
    return nonce


def finish_handoff(ctx: AccountContext, nonce: str, user_agent: str = "") -> str:
    """Trade a handoff nonce for a fresh session token (the one seen before is rotated out),
    noting the browser's User-Agent for the list of sessions."""

    def work(db: Session) -> str:
        row = db.exec(select(SessionRow).where(SessionRow.handoff_hmac == ctx.hmac("handoff", nonce))).first()
        if row is None or row.handoff_expires_at <= ctx.now() or row.revoked_at is not None:
            raise signed_out()
        token = session_token()
        row.token_hmac = ctx.hmac("session", token)
        row.handoff_hmac = None
        row.handoff_expires_at = None
        row.user_agent = user_agent[:MAX_USER_AGENT] or None
        row.last_active_at = ctx.now()
        db.add(row)
        return token

    return ctx.write(work)
