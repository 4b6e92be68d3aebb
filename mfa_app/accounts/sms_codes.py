"""SMS codes: 6 digits, valid 10 minutes, single use, stored only as an HMAC, at most 5 tries,
resent no sooner than 30 seconds. Shared by phone verification, sign-in and re-verification."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from mfa_app.accounts import limits, lockout
from mfa_app.accounts.context import AccountContext
from mfa_app.accounts.crypto import new_id, same, sms_code
from mfa_app.accounts.errors import AccountError, RefusedAfterCommit, count
from mfa_app.accounts.limits import CODE_TTL, CODE_TTL_TEXT
from mfa_app.settings import Settings
from mfa_app.sms.base import Purpose, SmsMessage, SmsSendError
from mfa_app.store.tables import SmsSendRow, UserRow, VerificationRow

RESEND_COOLDOWN = timedelta(seconds=30)
MAX_TRIES = 5


def message_body(settings: Settings, code: str) -> str:
    """The app's name, the code, and an origin-bound last line (`@host #code`) that browsers and
    phones offer to fill in."""
    return (
        f"{settings.sms_app_name}: your verification code is {code}. It expires in {CODE_TTL_TEXT}. "
        "Don't share it with anyone.\n\n"
        f"@{settings.sms_origin_host} #{code}"
    )


def send_new_code(
    ctx: AccountContext,
    *,
    user_id: str,
    phone_id: str,
    to: str,
    purpose: Purpose,
    session_id: str | None = None,
    client_ip: str | None = None,
) -> None:
    """Record a new code and send it, within the sending limits of its budget (`client_ip`, the
    address of the client asking, when known, is counted for codes to new numbers). A failed send
    takes back the record, so it costs neither the cooldown nor the sending quota, and the
    previous code stays the live one."""
    code = sms_code(ctx.rng)
    budget = limits.budget_of(purpose)
    with ctx.read() as db:
        limits.check_app_wide(db, ctx.settings, budget, ctx.now())

    def reserve(db: Session) -> tuple[str, str]:
        now = ctx.now()
        # A code for a session (sign-in, re-verification) waits only for that session's last one:
        # a person who reloaded the sign-in and signed in again gets a code for the new sign-in
        # (the old one was for a sign-in that is gone). The hourly caps still count every send.
        same_session = () if session_id is None else (col(VerificationRow.session_id) == session_id,)
        latest = _latest(
            db, col(VerificationRow.phone_id) == phone_id, col(VerificationRow.purpose) == purpose, *same_session
        )
        if latest is not None and now - latest.created_at < RESEND_COOLDOWN:
            wait = int((RESEND_COOLDOWN - (now - latest.created_at)).total_seconds()) + 1
            raise AccountError(
                "verification_code_too_many_requests",
                f"A code was just sent. You can request a new one in {wait} seconds.",
                status=429,
                seconds_left=wait,
            )
        limits.check_send_allowed(db, ctx.settings, budget, user_id=user_id, e164=to, client_ip=client_ip, now=now)
        row = VerificationRow(
            id=new_id("ver"),
            user_id=user_id,
            phone_id=phone_id,
            session_id=session_id,
            purpose=purpose,
            code_hmac="",
            created_at=now,
            expires_at=now + CODE_TTL,
        )
        row.code_hmac = ctx.hmac("sms", row.id, code)
        send = SmsSendRow(
            id=new_id("sms"), user_id=user_id, phone_number=to, purpose=purpose, client_ip=client_ip, sent_at=now
        )
        db.add(row)
        db.add(send)
        return row.id, send.id

    verification_id, send_id = ctx.write(reserve)
    try:
        ctx.sender.send(SmsMessage(to=to, body=message_body(ctx.settings, code), purpose=purpose))
    except SmsSendError as exc:
        ctx.write(lambda db: _take_back(db, verification_id, send_id))
        raise AccountError(exc.code, exc.message, status=502) from None


def latest_for_phone(db: Session, phone_id: str, purpose: Purpose) -> VerificationRow | None:
    return _latest(db, col(VerificationRow.phone_id) == phone_id, col(VerificationRow.purpose) == purpose)


def latest_for_session(db: Session, session_id: str, purpose: Purpose) -> VerificationRow | None:
    return _latest(db, col(VerificationRow.session_id) == session_id, col(VerificationRow.purpose) == purpose)


def check_code(
    ctx: AccountContext, db: Session, user: UserRow, verification: VerificationRow | None, code: str
) -> None:
    """Use `code` on `verification`, or refuse: with nothing changed (AccountError) for a
    malformed code, a missing, used or expired code or a locked account; after committing the
    wrong try (RefusedAfterCommit) for a wrong code. Sign-in and re-verification codes are
    second factors, under the lockout; a code for adding a phone is limited only by its tries."""
    now = ctx.now()
    code = "".join(code.split()).replace("-", "")  # as written in the SMS or pasted: "123 456", "123-456"
    if not (len(code) == 6 and code.isascii() and code.isdigit()):
        raise AccountError("form_param_format_invalid", "Enter the 6-digit code from the text message.")
    if verification is None:
        raise AccountError("verification_missing", "No code was sent yet. Request a code first.")
    second_factor = verification.purpose != "phone_verification"
    if second_factor:
        lockout.ensure_not_locked(user, now)
    if verification.consumed_at is not None:
        raise AccountError("verification_already_verified", "This code was already used. Request a new one.")
    if verification.expires_at <= now:
        raise AccountError("verification_expired", "This code has expired. Request a new one.")
    tries = db.execute(
        sa.update(VerificationRow)
        .where(
            col(VerificationRow.id) == verification.id,
            col(VerificationRow.attempts) < MAX_TRIES,
            col(VerificationRow.consumed_at).is_(None),
        )
        .values(attempts=col(VerificationRow.attempts) + 1)
        .returning(col(VerificationRow.attempts))
    ).scalar_one_or_none()
    if tries is None:
        raise too_many_tries()
    if not same(ctx.hmac("sms", verification.id, code), verification.code_hmac):
        left = MAX_TRIES - tries
        what_next = f"{count(left, 'try', 'tries')} left." if left else "Request a new one."
        error = AccountError("form_code_incorrect", f"That code is incorrect. {what_next}", tries_left=left)
        if second_factor:
            lockout.count_failure(ctx, db, user.id, "second_factor", error)
        raise RefusedAfterCommit(error)
    db.execute(sa.update(VerificationRow).where(col(VerificationRow.id) == verification.id).values(consumed_at=now))
    if second_factor:
        lockout.clear_failures(db, user.id, "second_factor")


def too_many_tries() -> AccountError:
    return AccountError("verification_failed", "Too many incorrect tries for this code. Request a new one.")


def _latest(db: Session, *where) -> VerificationRow | None:
    query = (
        select(VerificationRow)
        .where(*where)
        .order_by(col(VerificationRow.created_at).desc(), col(VerificationRow.id).desc())
    )
    return db.exec(query.limit(1)).first()


def _take_back(db: Session, verification_id: str, send_id: str) -> None:
    db.execute(sa.delete(VerificationRow).where(col(VerificationRow.id) == verification_id))
    db.execute(sa.delete(SmsSendRow).where(col(SmsSendRow.id) == send_id))
