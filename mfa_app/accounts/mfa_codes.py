"""A code sent to one of the user's MFA phones, for a session: a sign-in's second factor or a
re-verification. Any other phone id (not the user's, not verified, not reserved) is not found."""

from __future__ import annotations

from mfa_app.accounts import sms_codes
from mfa_app.accounts.access import mfa_phones
from mfa_app.accounts.context import AccountContext
from mfa_app.accounts.errors import not_found
from mfa_app.store.tables import SessionRow


def send_to_mfa_phone(
    ctx: AccountContext, session: SessionRow, phone_id: str, purpose: sms_codes.Purpose, client_ip: str | None
) -> None:
    with ctx.read() as db:
        phone = next((p for p in mfa_phones(db, session.user_id) if p.id == phone_id), None)
    if phone is None:
        raise not_found()
    sms_codes.send_new_code(
        ctx,
        user_id=session.user_id,
        phone_id=phone.id,
        to=phone.phone_number,
        purpose=purpose,
        session_id=session.id,
        client_ip=client_ip,
    )
