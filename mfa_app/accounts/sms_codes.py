"""SMS codes: 6 digits, valid 10 minutes, single use, stored only as an HMAC, at most 5 tries,
resent no sooner than 30 seconds. Shared by phone verification, sign-in and re-verification.
Where the host's identity sends and checks the codes itself (code_service.py: Clerk's), the
same rules hold; the code is then the service's, asked about before the transaction using it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from mfa_app.accounts import limits, lockout
from mfa_app.accounts.code_service import Verdict
from mfa_app.accounts.context import AccountContext
from mfa_app.accounts.crypto import new_id, same, sms_code
from mfa_app.accounts.errors import AccountError, RefusedAfterCommit, count
from mfa_app.accounts.limits import CODE_TTL, CODE_TTL_TEXT
from mfa_app.settings import Settings
from mfa_app.sms.base import Purpose, SmsMessage, SmsSendError
from mfa_app.store.tables import PhoneRow, SmsSendRow, UserRow, VerificationRow

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
    service = ctx.code_service
    code = sms_code(ctx.rng) if service is None else ""  # the service's code: never seen here
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
        row.code_hmac = ctx.hmac("sms", row.id, code) if service is None else ""
        send = SmsSendRow(
            id=new_id("sms"), user_id=user_id, phone_number=to, purpose=purpose, client_ip=client_ip, sent_at=now
        )
        db.add(row)
        db.add(send)
        return row.id, send.id

    verification_id, send_id = ctx.write(reserve)
    try:
        if service is None:
            ctx.sender.send(SmsMessage(to=to, body=message_body(ctx.settings, code), purpose=purpose))
            return
        external_id = service.send_code(user_id, to)
    except SmsSendError as exc:
        ctx.write(lambda db: _take_back(db, verification_id, send_id))
        raise AccountError(exc.code, exc.message, status=502) from None
    except AccountError:
        ctx.write(lambda db: _take_back(db, verification_id, send_id))
        raise
    ctx.write(
        lambda db: db.execute(
            sa.update(VerificationRow).where(col(VerificationRow.id) == verification_id).values(external_id=external_id)
        )
    )


def latest_for_phone(db: Session, phone_id: str, purpose: Purpose) -> VerificationRow | None:
    return _latest(db, col(VerificationRow.phone_id) == phone_id, col(VerificationRow.purpose) == purpose)


def latest_for_session(db: Session, session_id: str, purpose: Purpose) -> VerificationRow | None:
    return _latest(db, col(VerificationRow.session_id) == session_id, col(VerificationRow.purpose) == purpose)


def verdict_for(
    ctx: AccountContext, find: Callable[[Session], tuple[UserRow, VerificationRow | None]], code: str
) -> Verdict | None:
    """For a code the host's code service sent: its answer on `code`, asked outside any write
    transaction, before `check_code` (given the same `find`: the signed-in user and the code
    the typed one is for) uses it. None for mfa_app's own codes, or when there is nothing the
    service could say (a malformed code, none live, a locked account): `check_code` refuses."""
    if ctx.code_service is None:
        return None
    code = _normalised(code)
    with ctx.read() as db:
        user, verification = find(db)
        if verification is None or verification.external_id is None or _refusal(ctx, user, verification, code):
            return None
        phone = db.get(PhoneRow, verification.phone_id)
        if phone is None:
            return None
        user_id, number, external_id = user.id, phone.phone_number, verification.external_id
    return Verdict(verification.id, ctx.code_service.check_code(user_id, number, external_id, code))


def check_code(
    ctx: AccountContext,
    db: Session,
    user: UserRow,
    verification: VerificationRow | None,
    code: str,
    verdict: Verdict | None = None,
) -> None:
    """Use `code` on `verification`, or refuse: with nothing changed (AccountError) for a
    malformed code, a missing, used or expired code or a locked account; after committing the
    wrong try (RefusedAfterCommit) for a wrong code. Sign-in and re-verification codes are
    second factors, under the lockout; a code for adding a phone is limited only by its tries.
    A code the host's code service sent is right when `verdict` (verdict_for's) says so."""
    now = ctx.now()
    code = _normalised(code)
    refusal = _refusal(ctx, user, verification, code)
    if refusal is not None:
        raise refusal
    assert verification is not None  # no refusal: there is a code to try
    second_factor = verification.purpose != "phone_verification"
    if verification.external_id is not None:
        service_says = verdict.check if verdict is not None and verdict.verification_id == verification.id else None
        if service_says == "expired":
            raise AccountError("verification_expired", "This code has expired. Request a new one.")
        if service_says in ("too_many_tries", "used"):
            raise too_many_tries() if service_says == "too_many_tries" else _already_used()
        if service_says is None:  # asked about another code meanwhile: ask again
            raise AccountError("verification_missing", "A new code was sent meanwhile. Enter the newest code.")
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
    if verification.external_id is not None:
        right = verdict is not None and verdict.check == "verified"
    else:
        right = same(ctx.hmac("sms", verification.id, code), verification.code_hmac)
    if not right:
        left = MAX_TRIES - tries
        what_next = f"{count(left, 'try', 'tries')} left." if left else "Request a new one."
        error = AccountError("form_code_incorrect", f"That code is incorrect. {what_next}", tries_left=left)
        if second_factor:
            lockout.count_failure(ctx, db, user.id, "second_factor", error)
        raise RefusedAfterCommit(error)
    db.execute(sa.update(VerificationRow).where(col(VerificationRow.id) == verification.id).values(consumed_at=now))
    if second_factor:
        lockout.clear_failures(db, user.id, "second_factor")


def _normalised(code: str) -> str:
    return "".join(code.split()).replace("-", "")  # as written in the SMS or pasted: "123 456", "123-456"


def _refusal(
    ctx: AccountContext, user: UserRow, verification: VerificationRow | None, code: str
) -> AccountError | None:
    """Why `code` can't be tried on `verification` at all (nothing is counted), or None."""
    now = ctx.now()
    if not (len(code) == 6 and code.isascii() and code.isdigit()):
        return AccountError("form_param_format_invalid", "Enter the 6-digit code from the text message.")
    if verification is None:
        return AccountError("verification_missing", "No code was sent yet. Request a code first.")
    if verification.purpose != "phone_verification":
        try:
            lockout.ensure_not_locked(user, now)
        except AccountError as locked:
            return locked
    if verification.consumed_at is not None:
        return _already_used()
    if verification.expires_at <= now:
        return AccountError("verification_expired", "This code has expired. Request a new one.")
    if verification.attempts >= MAX_TRIES:
        return too_many_tries()
    return None


def _already_used() -> AccountError:
    return AccountError("verification_already_verified", "This code was already used. Request a new one.")


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
