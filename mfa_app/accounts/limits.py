"""Limits on sending SMS, against SMS-pumping fraud: a country allowlist, hourly caps per phone
number and per account, and a global per-minute cap. The counts live in the database, so they
hold across workers."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session

from mfa_app.accounts.errors import AccountError
from mfa_app.accounts.numbers import region_of
from mfa_app.settings import Settings
from mfa_app.store.tables import SmsSendRow

log = logging.getLogger("mfa_app.sms.limits")
HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)


def check_country(settings: Settings, e164: str) -> None:
    allowed = settings.allowed_countries()
    if allowed and region_of(e164) not in allowed:
        raise AccountError(
            "unsupported_country_code",
            "Text messages can't be sent to numbers in this country. Use a number from a supported country.",
        )


def check_global_rate(db: Session, settings: Settings, now: datetime) -> None:
    """The app-wide per-minute cap, a tripwire against SMS-pumping floods. It is read outside the
    sending transaction on purpose: under SERIALIZABLE isolation a count over every recent send
    would make each send conflict with every other one, and a tripwire needs no exactness."""
    if _sent_since(db, now - MINUTE) >= settings.sms_global_per_minute:
        log.critical(
            "SMS global cap of %d per minute reached: all sending is paused (possible SMS pumping)",
            settings.sms_global_per_minute,
        )
        raise AccountError(
            "sms_send_error", "Text messages can't be sent right now. Try again in a few minutes.", status=503
        )


def check_send_allowed(db: Session, settings: Settings, user_id: str, e164: str, now: datetime) -> None:
    """The allowlist and the hourly caps per phone number and per account (exact: checked in the
    transaction that records the send)."""
    check_country(settings, e164)
    if _sent_since(db, now - HOUR, SmsSendRow.phone_number == e164) >= settings.sms_per_phone_per_hour:
        raise _too_many("this phone number")
    if _sent_since(db, now - HOUR, SmsSendRow.user_id == user_id) >= settings.sms_per_account_per_hour:
        raise _too_many("your account")


def _sent_since(db: Session, since: datetime, *where) -> int:
    query = sa.select(sa.func.count()).select_from(SmsSendRow).where(SmsSendRow.sent_at > since, *where)
    return db.execute(query).scalar_one()


def _too_many(target: str) -> AccountError:
    return AccountError(
        "too_many_requests",
        f"Too many codes were sent to {target} in the last hour. Try again later.",
        status=429,
    )
