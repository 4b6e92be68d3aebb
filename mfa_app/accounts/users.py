"""Users: sign-up, sign-in with a second factor once MFA is on, sign-out, the user resource and
the security events."""

from __future__ import annotations

import re

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from mfa_app.accounts import backup_codes, events, lockout, sessions, sms_codes
from mfa_app.accounts.access import all_of, has_mfa, mfa_phones, signed_in
from mfa_app.accounts.context import AccountContext
from mfa_app.accounts.crypto import new_id
from mfa_app.accounts.errors import AccountError, signed_out
from mfa_app.accounts.mfa_codes import send_to_mfa_phone
from mfa_app.accounts.models import SecondFactor, SecurityEvent, SignInAttempt, SignInResult, User
from mfa_app.accounts.numbers import mask
from mfa_app.accounts.passwords import check_new_password
from mfa_app.accounts.phones import to_resource
from mfa_app.store.tables import SessionRow, UserRow, VerificationRow

# No control characters (PostgreSQL refuses a NUL in any text; no address has one).
_EMAIL = re.compile(r"^[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+$")
_MAX_EMAIL = 254


def normalise_email(email: str) -> str:
    email = email.strip().lower()
    if len(email) > _MAX_EMAIL or not _EMAIL.match(email):
        raise AccountError("form_param_format_invalid", "Enter a valid email address, like name@example.com.")
    return email


def sign_up(ctx: AccountContext, email: str, password: str) -> SignInResult:
    email = normalise_email(email)
    check_new_password(password)
    password_hash = ctx.hashing.hash_password(password)

    def work(db: Session) -> SignInResult:
        if db.exec(select(UserRow).where(col(UserRow.email) == email)).first() is not None:
            raise _email_taken()
        user = UserRow(id=new_id("user"), email=email, password_hash=password_hash, created_at=ctx.now())
        db.add(user)
        db.flush()
        token = sessions.create(ctx, db, user.id, "first_factor", pending=False)
        events.record(db, user.id, "user.signed_up", "", ctx.now())
        return SignInResult(attempt=SignInAttempt(status="complete"), session_token=token)

    try:
        return ctx.write(work)
    except IntegrityError:  # the same email signed up at the same moment
        raise _email_taken() from None


def sign_in(ctx: AccountContext, email: str, password: str) -> SignInResult:
    """Check the password; with MFA on, the session waits for a second factor."""
    incorrect = AccountError("form_password_incorrect", "Email address or password is incorrect.")
    try:
        email = normalise_email(email)
    except AccountError:
        raise incorrect from None
    with ctx.read() as db:
        user = db.exec(select(UserRow).where(col(UserRow.email) == email)).first()
    if user is None:
        ctx.hashing.hash_password(password)  # take as long as a real check
        raise incorrect
    password_ok = lockout.check_password(ctx, user, password)

    def work(db: Session) -> SignInResult:
        lockout.settle_password(ctx, db, user.id, password_ok, incorrect)
        if has_mfa(db, user.id):
            token = sessions.create(ctx, db, user.id, "first_factor", pending=True)
            return SignInResult(attempt=_needs_second_factor(db, user.id), session_token=token)
        token = sessions.create(ctx, db, user.id, "first_factor", pending=False)
        events.record(db, user.id, "user.signed_in", "password", ctx.now())
        return SignInResult(attempt=SignInAttempt(status="complete"), session_token=token)

    return ctx.write(work)


def prepare_second_factor(
    ctx: AccountContext, token: str, phone_id: str, client_ip: str | None = None
) -> SignInAttempt:
    """Send a sign-in code to one of the user's MFA phones. `client_ip`, the address of the
    client asking, is recorded with the send."""
    with ctx.read() as db:
        session = sessions.find(ctx, db, token, pending=True)
        attempt = _needs_second_factor(db, session.user_id)
    send_to_mfa_phone(ctx, session, phone_id, "sign_in", client_ip)
    return attempt


def attempt_second_factor(ctx: AccountContext, token: str, strategy: str, code: str) -> SignInAttempt:
    """Finish a sign-in with an SMS code (`phone_code`) or a backup code (`backup_code`)."""
    complete = SignInAttempt(status="complete")
    if strategy == "backup_code":
        with ctx.read() as db:
            session = sessions.find(ctx, db, token, pending=True)

        def finish(db: Session) -> SignInAttempt:
            _complete(ctx, db, sessions.find(ctx, db, token, pending=True), "backup code")
            return complete

        return backup_codes.redeem(ctx, session.user_id, code, finish)
    if strategy != "phone_code":
        raise AccountError("strategy_for_user_invalid", "Choose a text message code or a backup code.")

    def live_code(db: Session) -> tuple[UserRow, VerificationRow | None]:
        session = sessions.find(ctx, db, token, pending=True)
        user = db.get(UserRow, session.user_id)
        if user is None:
            raise signed_out()
        return user, sms_codes.latest_for_session(db, session.id, "sign_in")

    verdict = sms_codes.verdict_for(ctx, live_code, code)

    def work(db: Session) -> SignInAttempt:
        user, verification = live_code(db)
        sms_codes.check_code(ctx, db, user, verification, code, verdict)
        _complete(ctx, db, sessions.find(ctx, db, token, pending=True), "text message code")
        return complete

    return ctx.write(work)


def sign_out(ctx: AccountContext, token: str) -> None:
    sessions.revoke(ctx, token)


def get_user(ctx: AccountContext, token: str) -> User:
    """The signed-in user (asked by every page load: the session's "last active" too)."""
    with ctx.read() as db:
        session, user = signed_in(ctx, db, token)
        resource = user_resource(ctx, db, user, len(backup_codes.unused(db, user.id)))
    sessions.note_activity(ctx, session)
    return resource


def user_resource(ctx: AccountContext, db: Session, user: UserRow, unused_backup_codes: int) -> User:
    mfa = has_mfa(db, user.id)
    return User(
        id=user.id,
        email_address=user.email,
        two_factor_enabled=mfa,
        backup_code_enabled=mfa and unused_backup_codes > 0,
        phone_numbers=[to_resource(db, ctx, p) for p in all_of(db, user.id)],
    )


def security_events(ctx: AccountContext, token: str, limit: int = 20) -> list[SecurityEvent]:
    with ctx.read() as db:
        _, user = signed_in(ctx, db, token)
        return events.newest_first(db, user.id, limit)


def second_factors(db: Session, user_id: str) -> list[SecondFactor]:
    factors = [
        SecondFactor(
            strategy="phone_code",
            phone_number_id=p.id,
            safe_identifier=mask(p.phone_number),
            default=p.default_second_factor,
        )
        for p in mfa_phones(db, user_id)
    ]
    if backup_codes.unused(db, user_id):
        factors.append(SecondFactor(strategy="backup_code"))
    return factors


def _needs_second_factor(db: Session, user_id: str) -> SignInAttempt:
    return SignInAttempt(status="needs_second_factor", supported_second_factors=second_factors(db, user_id))


def _complete(ctx: AccountContext, db: Session, session: SessionRow, how: str) -> None:
    sessions.complete_second_factor(ctx, db, session)
    events.record(db, session.user_id, "user.signed_in", f"password and {how}", ctx.now())


def _email_taken() -> AccountError:
    return AccountError("form_identifier_exists", "An account with this email address already exists. Sign in instead.")
