"""Limits on sending SMS codes, against SMS pumping: fraud that earns per message delivered, to
numbers the fraudster chooses, asked for from accounts anyone can open.

Codes are drawn from two budgets that never share a count:
- MFA phones (sign-in and re-verification codes): numbers that passed a verification, reached
  only after the account's password. The app-wide per-minute cap counts these alone.
- new numbers (a code to verify a phone being added): any number a fresh account types, so the
  pumping target. A much smaller app-wide hourly cap, and one per client address.
A flood of the second kind exhausts only the second: sign-in codes keep going out. Per phone
number the hourly cap is counted within each budget too, so codes sent to someone's number from
other accounts never use up that number's sign-in codes. Per account, every code counts.

The counts live in the database, so they hold across workers. Each refusal says when to try
again: when enough of the oldest sends have left the window."""

from __future__ import annotations

import logging
import math
from datetime import datetime, timedelta
from typing import Literal

import sqlalchemy as sa
from sqlmodel import Session, col

from mfa_app.accounts.errors import AccountError, try_again_in
from mfa_app.accounts.numbers import region_of
from mfa_app.settings import Settings
from mfa_app.sms.base import Purpose
from mfa_app.store.tables import SmsSendRow

log = logging.getLogger("mfa_app.accounts.limits")
HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)

Budget = Literal["mfa_phone", "new_number"]
# How long a code sent works (accounts/sms_codes.py): here, where the refusals say it.
CODE_TTL = timedelta(minutes=10)
CODE_TTL_TEXT = f"{int(CODE_TTL / MINUTE)} minutes"
# Said with every refusal: a person waiting for a text should not throw away the one they have.
STILL_WORKS = f"A code you received in the last {CODE_TTL_TEXT} still works."
# Per budget: the setting of its app-wide cap, the cap's window, the refusal, what is paused.
_APP_WIDE = {
    "mfa_phone": ("sms_global_per_minute", MINUTE, "Text messages can't be sent right now.", "codes to MFA phones"),
    "new_number": (
        "sms_new_numbers_per_hour",
        HOUR,
        "Codes to new phone numbers can't be sent right now.",
        "codes to new numbers",
    ),
}


def budget_of(purpose: Purpose) -> Budget:
    return "new_number" if purpose == "phone_verification" else "mfa_phone"


def check_country(settings: Settings, e164: str) -> None:
    allowed = settings.allowed_countries()
    if allowed and region_of(e164) not in allowed:
        raise AccountError(
            "unsupported_country_code",
            "Text messages can't be sent to numbers in this country. Use a number from a supported country.",
        )


def check_app_wide(db: Session, settings: Settings, budget: Budget, now: datetime) -> None:
    """The budget's app-wide cap, a tripwire against SMS-pumping floods. It is read outside the
    sending transaction on purpose: under SERIALIZABLE isolation a count over every recent send
    would make each send conflict with every other one, and a tripwire needs no exactness."""
    limit, window, refusal, paused = _APP_WIDE[budget]
    cap = getattr(settings, limit)
    wait = _seconds_until_room(db, now, window, cap, _in(budget))
    if wait:
        log.critical("SMS cap MFA_%s=%d reached: %s are paused (possible SMS pumping)", limit.upper(), cap, paused)
        raise AccountError(
            "sms_send_error",
            f"{refusal} {try_again_in(wait)} {STILL_WORKS}",
            status=503,
            seconds_left=wait,
            limit=limit,
        )


def check_send_allowed(
    db: Session, settings: Settings, budget: Budget, *, user_id: str, e164: str, client_ip: str | None, now: datetime
) -> None:
    """The allowlist and the hourly caps per phone number (within the budget), per account and,
    for new numbers, per client address: exact, checked in the transaction that records the send."""

    def hourly_cap(limit: str, too_many: str, *where) -> None:
        wait = _seconds_until_room(db, now, HOUR, getattr(settings, limit), *where)
        if wait:
            message = f"{too_many} in the last hour. {try_again_in(wait)} {STILL_WORKS}"
            raise AccountError("too_many_requests", message, status=429, seconds_left=wait, limit=limit)

    check_country(settings, e164)
    same_budget, to_number = _in(budget), col(SmsSendRow.phone_number) == e164
    hourly_cap("sms_per_phone_per_hour", "Too many codes were sent to this phone number", same_budget, to_number)
    hourly_cap(
        "sms_per_account_per_hour", "Too many codes were sent for your account", col(SmsSendRow.user_id) == user_id
    )
    if budget == "new_number" and client_ip:
        asked = "Too many codes for new phone numbers were requested from your network"
        hourly_cap("sms_new_numbers_per_client_per_hour", asked, same_budget, col(SmsSendRow.client_ip) == client_ip)


def _in(budget: Budget) -> sa.ColumnElement[bool]:
    new_number = col(SmsSendRow.purpose) == "phone_verification"
    return new_number if budget == "new_number" else sa.not_(new_number)


def _seconds_until_room(db: Session, now: datetime, window: timedelta, cap: int, *where) -> int:
    """0 while fewer than `cap` sends matching `where` fall in the last `window`; otherwise the
    seconds until enough of the oldest of them have left it for one more."""
    in_window = (col(SmsSendRow.sent_at) > now - window, *where)
    sent = db.execute(sa.select(sa.func.count()).select_from(SmsSendRow).where(*in_window)).scalar_one()
    if sent < cap:
        return 0
    oldest_in_the_way = (
        sa.select(col(SmsSendRow.sent_at)).where(*in_window).order_by(col(SmsSendRow.sent_at)).offset(sent - cap)
    )
    room_at = db.execute(oldest_in_the_way.limit(1)).scalar_one() + window
    return max(1, math.ceil((room_at - now).total_seconds()))
