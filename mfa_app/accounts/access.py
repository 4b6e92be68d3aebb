"""Who is asking, and whether they verified recently enough for a sensitive change."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session, col

from mfa_app.accounts import sessions
from mfa_app.accounts.context import AccountContext
from mfa_app.accounts.errors import signed_out
from mfa_app.store.tables import PhoneRow, SessionRow, UserRow


def signed_in(ctx: AccountContext, db: Session, token: str) -> tuple[SessionRow, UserRow]:
    session = sessions.find(ctx, db, token)
    user = db.get(UserRow, session.user_id)
    if user is None:
        raise signed_out()
    return session, user


def has_mfa(db: Session, user_id: str) -> bool:
    query = (
        sa.select(sa.func.count())
        .select_from(PhoneRow)
        .where(
            col(PhoneRow.user_id) == user_id,
            col(PhoneRow.reserved_for_second_factor),
            col(PhoneRow.verified_at).is_not(None),
        )
    )
    return db.execute(query).scalar_one() > 0


def strongest_level(db: Session, user_id: str) -> sessions.Level:
    return "second_factor" if has_mfa(db, user_id) else "first_factor"


def require_step_up(ctx: AccountContext, db: Session, session: SessionRow) -> None:
    """Strict re-verification: the strongest factor the user has, within the last 10 minutes."""
    sessions.require_recent_verification(ctx, session, strongest_level(db, session.user_id))
