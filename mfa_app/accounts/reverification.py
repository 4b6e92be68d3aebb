"""Step-up re-verification: confirm the strongest factor the user has (the password without MFA,
an SMS code or a backup code with MFA) before a sensitive change."""

from __future__ import annotations

from sqlmodel import Session

from mfa_app.accounts import backup_codes, lockout, sessions, sms_codes
from mfa_app.accounts.access import signed_in, strongest_level
from mfa_app.accounts.context import AccountContext
from mfa_app.accounts.errors import AccountError, signed_out
from mfa_app.accounts.mfa_codes import send_to_mfa_phone
from mfa_app.accounts.models import Reverification
from mfa_app.accounts.users import second_factors
from mfa_app.store.tables import SessionRow, UserRow, VerificationRow


def reverification_status(ctx: AccountContext, token: str) -> Reverification:
    """Which factors a re-verification of this session can use."""
    with ctx.read() as db:
        _, user = signed_in(ctx, db, token)
        if strongest_level(db, user.id) == "first_factor":
            return Reverification(level="first_factor", factors=["password"], phones=[])
        factors = second_factors(db, user.id)
        phones = [f for f in factors if f.strategy == "phone_code"]
        strategies = ["phone_code"] + (["backup_code"] if len(factors) > len(phones) else [])
        return Reverification(level="second_factor", factors=strategies, phones=phones)


def prepare_reverification(ctx: AccountContext, token: str, phone_id: str, client_ip: str | None = None) -> None:
    """Send a re-verification code to one of the user's MFA phones. `client_ip`, the address of
    the client asking, is recorded with the send."""
    with ctx.read() as db:
        session, _ = signed_in(ctx, db, token)
    send_to_mfa_phone(ctx, session, phone_id, "reverification", client_ip)


def reverify(ctx: AccountContext, token: str, strategy: str, secret: str) -> None:
    """Re-verify this session with `strategy` (password, phone_code or backup_code)."""
    with ctx.read() as db:
        session, user = signed_in(ctx, db, token)
        level = strongest_level(db, user.id)
    allowed = ("password",) if level == "first_factor" else ("phone_code", "backup_code")
    if strategy not in allowed:
        raise AccountError(
            "strategy_for_user_invalid",
            "Confirm with your password."
            if level == "first_factor"
            else "Confirm with a text message code or a backup code.",
        )

    def mark(db: Session) -> None:
        row = db.get(SessionRow, session.id)
        if row is None:
            raise signed_out()
        sessions.mark_verified(ctx, row, level)
        db.add(row)

    if strategy == "backup_code":
        backup_codes.redeem(ctx, user.id, secret, mark)
    elif strategy == "phone_code":
        _reverify_with_code(ctx, token, secret, mark)
    else:
        _reverify_with_password(ctx, user, secret, mark)


def _reverify_with_code(ctx: AccountContext, token: str, code: str, mark) -> None:
    def live_code(db: Session) -> tuple[UserRow, VerificationRow | None]:
        session, user = signed_in(ctx, db, token)
        return user, sms_codes.latest_for_session(db, session.id, "reverification")

    verdict = sms_codes.verdict_for(ctx, live_code, code)

    def work(db: Session) -> None:
        user, verification = live_code(db)
        sms_codes.check_code(ctx, db, user, verification, code, verdict)
        mark(db)

    ctx.write(work)


def _reverify_with_password(ctx: AccountContext, user: UserRow, password: str, mark) -> None:
    password_ok = lockout.check_password(ctx, user, password)
    incorrect = AccountError("form_password_incorrect", "That password is incorrect.")

    def work(db: Session) -> None:
        lockout.settle_password(ctx, db, user.id, password_ok, incorrect)
        mark(db)

    ctx.write(work)
