"""The sessions a user can see and end: each signed-in browser (named from its User-Agent),
when it signed in and was last active, and which one is asking. Ending one, or every other one,
is a sensitive change: it re-verifies first, like the phone actions, and is a security event.

On a host whose identity can sign its own sessions out (Clerk's), the host's sign-in ends first,
then mfa_app's record of it: when the host can't, nothing ends and the person reads why. A host
session key is never stored here, only its HMAC: the host lists its sessions and the ones whose
key has the HMAC of the ones to end are signed out."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session, col, select

from mfa_app.accounts import events
from mfa_app.accounts.access import require_step_up, signed_in
from mfa_app.accounts.context import AccountContext
from mfa_app.accounts.errors import not_found
from mfa_app.accounts.models import SignedInSession
from mfa_app.accounts.user_agent import describe, label
from mfa_app.store.db import changed_rows
from mfa_app.store.tables import SessionRow


def list_sessions(ctx: AccountContext, token: str) -> list[SignedInSession]:
    """The user's signed-in sessions: this one first, then the most recently active."""
    with ctx.read() as db:
        current, user = signed_in(ctx, db, token)
        rows = db.exec(_live(ctx, user.id)).all()
    listed = [_to_resource(row, current.id) for row in rows]
    return sorted(listed, key=lambda s: (not s.current, -s.last_active_at.timestamp()))


def revoke_session(ctx: AccountContext, token: str, session_id: str) -> None:
    """Sign out one of the user's sessions."""
    if ctx.sign_out_host_sessions is not None:
        with ctx.read() as db:
            current, user = signed_in(ctx, db, token)
            require_step_up(ctx, db, current)
            row = db.exec(_live(ctx, user.id).where(col(SessionRow.id) == session_id)).first()
            if row is None:
                raise not_found("session")
            ended = row.token_hmac
        ctx.sign_out_host_sessions(user.id, lambda key: ctx.hmac("session", key) == ended)

    def work(db: Session) -> None:
        current, user = signed_in(ctx, db, token)
        require_step_up(ctx, db, current)
        row = db.exec(_live(ctx, user.id).where(col(SessionRow.id) == session_id)).first()
        if row is None:
            raise not_found("session")
        row.revoked_at = ctx.now()
        db.add(row)
        events.record(db, user.id, "session.revoked", label(row.user_agent), ctx.now())

    ctx.write(work)


def revoke_other_sessions(ctx: AccountContext, token: str) -> int:
    """Sign out every session of the user but this one (those waiting for a second factor
    too); how many were signed out. At the host, every other sign-in of the user ends, those
    that never opened mfa_app's pages too."""
    if ctx.sign_out_host_sessions is not None:
        with ctx.read() as db:
            current, user = signed_in(ctx, db, token)
            require_step_up(ctx, db, current)
            kept = current.token_hmac
        ctx.sign_out_host_sessions(user.id, lambda key: ctx.hmac("session", key) != kept)

    def work(db: Session) -> int:
        current, user = signed_in(ctx, db, token)
        require_step_up(ctx, db, current)
        count = changed_rows(
            db,
            sa.update(SessionRow)
            .where(
                col(SessionRow.user_id) == user.id,
                col(SessionRow.id) != current.id,
                col(SessionRow.revoked_at).is_(None),
            )
            .where(col(SessionRow.expires_at) > ctx.now())
            .values(revoked_at=ctx.now()),
        )
        detail = "1 session" if count == 1 else f"{count} sessions"
        events.record(db, user.id, "sessions.revoked_others", detail, ctx.now())
        return count

    return ctx.write(work)


def _live(ctx: AccountContext, user_id: str):
    return select(SessionRow).where(
        col(SessionRow.user_id) == user_id,
        col(SessionRow.revoked_at).is_(None),
        col(SessionRow.expires_at) > ctx.now(),
        col(SessionRow.second_factor_pending).is_(False),
    )


def _to_resource(row: SessionRow, current_id: str) -> SignedInSession:
    browser, system = describe(row.user_agent)
    return SignedInSession(
        id=row.id,
        browser=browser,
        operating_system=system,
        signed_in_at=row.created_at,
        last_active_at=row.last_active_at or row.created_at,
        current=row.id == current_id,
    )
