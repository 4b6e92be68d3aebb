"""Who is asking, whether they have MFA on (which phones are MFA phones), and whether they
verified recently enough for a sensitive change."""

from __future__ import annotations

from sqlmodel import Session, col, select

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


def is_mfa_phone(phone: PhoneRow) -> bool:
    """The one rule for an MFA phone: verified, and reserved for the second factor."""
    return phone.reserved_for_second_factor and phone.verified_at is not None


def all_of(db: Session, user_id: str) -> list[PhoneRow]:
    query = (
        select(PhoneRow).where(col(PhoneRow.user_id) == user_id).order_by(col(PhoneRow.created_at), col(PhoneRow.id))
    )
    return list(db.exec(query).all())


def mfa_phones(db: Session, user_id: str) -> list[PhoneRow]:
    """The user's MFA phones, the default first, then by creation."""
    phones = [p for p in all_of(db, user_id) if is_mfa_phone(p)]
    return sorted(phones, key=lambda p: not p.default_second_factor)


def has_mfa(db: Session, user_id: str) -> bool:
    return bool(mfa_phones(db, user_id))


def strongest_level(db: Session, user_id: str) -> sessions.Level:
    return "second_factor" if has_mfa(db, user_id) else "first_factor"


def require_step_up(ctx: AccountContext, db: Session, session: SessionRow) -> None:
    """Strict re-verification: the strongest factor the user has, within the last 10 minutes."""
    sessions.require_recent_verification(ctx, session, strongest_level(db, session.user_id))
