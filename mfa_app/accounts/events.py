"""Security events: every sign-in, lockout and MFA change, for the user to see, and as one JSON
line each on the `mfa_app.security` logger, for the team's log system."""

from __future__ import annotations

import json
import logging
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from mfa_app.accounts.models import SecurityEvent
from mfa_app.store.tables import SecurityEventRow

security_log = logging.getLogger("mfa_app.security")


def record(db: Session, user_id: str, kind: str, detail: str, now: datetime, client: str | None = None) -> None:
    """Store the event; log it once the transaction commits (a rolled-back or retried attempt
    logs nothing). `client`: the address of the client that caused it, when known."""
    db.add(SecurityEventRow(user_id=user_id, kind=kind, detail=detail, created_at=now))
    line = json.dumps({"time": now.isoformat(), "user_id": user_id, "kind": kind, "detail": detail, "client": client})
    sa.event.listen(db, "after_commit", lambda _db: security_log.info(line), once=True)


def newest_first(db: Session, user_id: str, limit: int) -> list[SecurityEvent]:
    rows = db.exec(
        select(SecurityEventRow)
        .where(col(SecurityEventRow.user_id) == user_id)
        .order_by(col(SecurityEventRow.created_at).desc(), col(SecurityEventRow.id).desc())
        .limit(limit)
    ).all()
    return [SecurityEvent(kind=r.kind, detail=r.detail, created_at=r.created_at) for r in rows]
