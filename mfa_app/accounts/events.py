"""Security events: every sign-in, lockout and MFA change, for the user to see."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from mfa_app.accounts.models import SecurityEvent
from mfa_app.store.tables import SecurityEventRow


def record(db: Session, user_id: str, kind: str, detail: str, now: datetime) -> None:
    db.add(SecurityEventRow(user_id=user_id, kind=kind, detail=detail, created_at=now))


def newest_first(db: Session, user_id: str, limit: int) -> list[SecurityEvent]:
    rows = db.exec(
        select(SecurityEventRow)
        .where(SecurityEventRow.user_id == user_id)
        .order_by(SecurityEventRow.created_at.desc(), SecurityEventRow.id.desc())
        .limit(limit)
    ).all()
    return [SecurityEvent(kind=r.kind, detail=r.detail, created_at=r.created_at) for r in rows]
