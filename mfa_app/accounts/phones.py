"""Phone numbers: add, verify with an SMS code, reserve for MFA, make default, disable, remove."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session, col, select

from mfa_app.accounts import events, limits, mirror, sms_codes
from mfa_app.accounts.access import all_of, is_mfa_phone, mfa_phones, require_step_up, signed_in
from mfa_app.accounts.context import AccountContext
from mfa_app.accounts.crypto import new_id
from mfa_app.accounts.errors import AccountError, count, not_found
from mfa_app.accounts.models import DeletedObject, PhoneActionPreview, PhoneNumber, Verification
from mfa_app.accounts.notify import notify
from mfa_app.accounts.numbers import display, mask, parse_phone
from mfa_app.store.tables import BackupCodeRow, PhoneRow, UserRow, VerificationRow

MAX_PHONES_PER_ACCOUNT = 10
_DEFAULT_PHONE_REFUSALS = {
    "disable_for_mfa": AccountError(
        "form_disable_default_second_factor_not_allowed",
        "This is your default MFA phone. Make another phone the default before disabling this one.",
    ),
    "remove": AccountError(
        "second_factor_deletion_not_allowed",
        "This is your default MFA phone. Make another phone the default before removing this one.",
    ),
}

# Where the identity's own copy of the second factor can't change the default (Clerk's: its
# default is the phone reserved first while no other was), "Make default" can't be offered.
DEFAULT_IS_THE_FIRST = AccountError(
    "default_second_factor_fixed",
    "Your default MFA phone is the first one you turned on for MFA. Your account's sign-in service "
    "doesn't let it be changed here: to make another phone the default, turn MFA off and on again "
    "starting with that phone.",
)


def to_resource(db: Session, ctx: AccountContext, phone: PhoneRow) -> PhoneNumber:
    return PhoneNumber(
        id=phone.id,
        phone_number=phone.phone_number,
        verification=_verification(db, ctx, phone),
        reserved_for_second_factor=phone.reserved_for_second_factor,
        default_second_factor=phone.default_second_factor,
        created_at=phone.created_at,
    )


def _verification(db: Session, ctx: AccountContext, phone: PhoneRow) -> Verification:
    if phone.verified_at is not None:
        return Verification(status="verified")
    latest = sms_codes.latest_for_phone(db, phone.id, "phone_verification")
    if latest is None:
        return Verification(status="unverified")
    if latest.attempts >= sms_codes.MAX_TRIES:
        status = "failed"
    elif latest.expires_at <= ctx.now():
        status = "expired"
    else:
        status = "unverified"
    return Verification(status=status, attempts=latest.attempts, expire_at=latest.expires_at)


def owned(db: Session, user_id: str, phone_id: str) -> PhoneRow:
    """The user's phone with this id; someone else's id is simply not found."""
    phone = db.exec(select(PhoneRow).where(col(PhoneRow.id) == phone_id, col(PhoneRow.user_id) == user_id)).first()
    if phone is None:
        raise not_found()
    return phone


def list_phones(ctx: AccountContext, token: str) -> list[PhoneNumber]:
    with ctx.read() as db:
        _, user = signed_in(ctx, db, token)
        return [to_resource(db, ctx, p) for p in all_of(db, user.id)]


def create_phone(ctx: AccountContext, token: str, raw: str, default_region: str | None = None) -> PhoneNumber:
    """Add an unverified phone number. Adding a number that is already on the account but was
    never verified gives that one back, so an interrupted verification can be finished. Only a
    few may wait for verification at once: each is a number an SMS pumper could choose."""

    def work(db: Session) -> PhoneNumber:
        session, user = signed_in(ctx, db, token)
        require_step_up(ctx, db, session)
        e164 = parse_phone(raw, default_region or ctx.settings.default_region)
        limits.check_country(ctx.settings, e164)
        phones = all_of(db, user.id)
        existing = next((p for p in phones if p.phone_number == e164), None)
        if existing is not None and existing.verified_at is not None:
            raise AccountError("form_identifier_exists", "This phone number is already on your account.")
        if existing is not None:
            return to_resource(db, ctx, existing)
        if len(phones) >= MAX_PHONES_PER_ACCOUNT:
            raise AccountError(
                "too_many_phone_numbers",
                f"An account can have at most {MAX_PHONES_PER_ACCOUNT} phone numbers. Remove one first.",
            )
        unverified = sum(p.verified_at is None for p in phones)
        if unverified >= ctx.settings.unverified_phones_per_account:
            raise AccountError(
                "too_many_phone_numbers",
                f"You have {count(unverified, 'phone number', 'phone numbers')} waiting to be verified. "
                "Verify or remove one of them first.",
                limit="unverified_phones_per_account",
            )
        phone = PhoneRow(id=new_id("idn"), user_id=user.id, phone_number=e164, created_at=ctx.now())
        db.add(phone)
        events.record(db, user.id, "phone.added", mask(e164), ctx.now())
        return to_resource(db, ctx, phone)

    return ctx.write(work)


def prepare_verification(ctx: AccountContext, token: str, phone_id: str, client_ip: str | None = None) -> PhoneNumber:
    """Send a verification code to one of the user's unverified phones. `client_ip`: the address
    of the client asking (the Reflex states pass `self.router.session.client_ip`), for the
    per-client cap on codes to new numbers."""
    with ctx.read() as db:
        _, user = signed_in(ctx, db, token)
        phone = _unverified(db, user.id, phone_id)
        to = phone.phone_number
    sms_codes.send_new_code(
        ctx, user_id=user.id, phone_id=phone_id, to=to, purpose="phone_verification", client_ip=client_ip
    )
    with ctx.read() as db:
        return to_resource(db, ctx, owned(db, user.id, phone_id))


def attempt_verification(ctx: AccountContext, token: str, phone_id: str, code: str) -> PhoneNumber:
    def live_code(db: Session) -> tuple[UserRow, VerificationRow | None]:
        _, user = signed_in(ctx, db, token)
        return user, sms_codes.latest_for_phone(db, _unverified(db, user.id, phone_id).id, "phone_verification")

    verdict = sms_codes.verdict_for(ctx, live_code, code)

    def work(db: Session) -> tuple[PhoneNumber, list[str]]:
        _, user = signed_in(ctx, db, token)
        phone = _unverified(db, user.id, phone_id)
        verification = sms_codes.latest_for_phone(db, phone.id, "phone_verification")
        sms_codes.check_code(ctx, db, user, verification, code, verdict)
        phone.verified_at = ctx.now()
        db.add(phone)
        events.record(db, user.id, "phone.verified", mask(phone.phone_number), ctx.now())
        others = [p.phone_number for p in mfa_phones(db, user.id)]
        return to_resource(db, ctx, phone), others

    resource, others = mirror.write(ctx, token, work)
    notify(ctx, others, f"the phone number {mask(resource.phone_number)} was added to your account.")
    return resource


def set_reserved_for_second_factor(ctx: AccountContext, token: str, phone_id: str, reserved: bool) -> PhoneNumber:
    """Use a verified phone for MFA (the first one becomes the default), or stop using it."""

    def work(db: Session) -> tuple[PhoneNumber, bool]:
        session, user = signed_in(ctx, db, token)
        require_step_up(ctx, db, session)
        phone = owned(db, user.id, phone_id)
        if reserved:
            _reserve(db, ctx, phone)
            return to_resource(db, ctx, phone), False
        mfa_turned_off = _unreserve(db, ctx, phone)
        return to_resource(db, ctx, phone), mfa_turned_off

    resource, mfa_turned_off = mirror.write(ctx, token, work)
    if mfa_turned_off:
        notify(ctx, [resource.phone_number], "two-step verification was turned off for your account.")
    return resource


def make_default_second_factor(ctx: AccountContext, token: str, phone_id: str) -> PhoneNumber:
    if not mirror.chooses_default(ctx):
        raise DEFAULT_IS_THE_FIRST

    def work(db: Session) -> PhoneNumber:
        session, user = signed_in(ctx, db, token)
        require_step_up(ctx, db, session)
        phone = owned(db, user.id, phone_id)
        if not is_mfa_phone(phone):
            raise AccountError(
                "identification_update_second_factor_unverified", "Use this phone for MFA first, then make it default."
            )
        if not phone.default_second_factor:
            db.execute(sa.update(PhoneRow).where(col(PhoneRow.user_id) == user.id).values(default_second_factor=False))
            db.execute(sa.update(PhoneRow).where(col(PhoneRow.id) == phone.id).values(default_second_factor=True))
            db.refresh(phone)
            events.record(db, user.id, "phone.made_default", mask(phone.phone_number), ctx.now())
        return to_resource(db, ctx, phone)

    return ctx.write(work)


def destroy_phone(ctx: AccountContext, token: str, phone_id: str) -> DeletedObject:
    def work(db: Session) -> tuple[str, bool]:
        session, user = signed_in(ctx, db, token)
        require_step_up(ctx, db, session)
        phone = owned(db, user.id, phone_id)
        others = [p for p in mfa_phones(db, user.id) if p.id != phone.id]
        _refuse_the_default_while_others_remain(ctx, "remove", phone, others)
        was_mfa = is_mfa_phone(phone)
        number = phone.phone_number
        db.execute(sa.delete(VerificationRow).where(col(VerificationRow.phone_id) == phone.id))
        db.delete(phone)
        events.record(db, user.id, "phone.removed", mask(number), ctx.now())
        mfa_turned_off = was_mfa and not others
        if mfa_turned_off:
            turn_off_mfa(db, ctx, user.id)
        return number, mfa_turned_off

    number, mfa_turned_off = mirror.write(ctx, token, work)
    if mfa_turned_off:
        notify(ctx, [number], "this phone was removed and two-step verification was turned off for your account.")
    return DeletedObject(id=phone_id)


def preview_phone_action(ctx: AccountContext, token: str, action: str, phone_id: str) -> PhoneActionPreview:
    """What "disable_for_mfa" or "remove" would do to this phone, said before the person
    confirms: the same refusal the action would give, or what else it turns off."""
    if action not in _DEFAULT_PHONE_REFUSALS:
        raise AccountError("form_param_value_invalid", "Choose Disable for MFA or Remove from account.")
    with ctx.read() as db:
        _, user = signed_in(ctx, db, token)
        phone = owned(db, user.id, phone_id)
        in_use = is_mfa_phone(phone)
        others = [p for p in mfa_phones(db, user.id) if p.id != phone.id] if in_use else []
    number, removing = display(phone.phone_number), action == "remove"
    title = f"Remove {number}?" if removing else f"Disable {number} for MFA?"
    if in_use and phone.default_second_factor and others:
        return PhoneActionPreview(
            allowed=False,
            title=f"{number} is your default MFA phone",
            explanation=_default_refusal(ctx, action).message,
        )
    if in_use and not others:
        explanation = "This is your last MFA phone: MFA will be turned off and your backup codes will stop working."
    elif removing:
        explanation = "The phone number will be removed from your account."
    else:
        explanation = "The phone number stays on your account but will no longer be used for MFA."
    return PhoneActionPreview(
        allowed=True, title=title, explanation=explanation, confirm_label="Remove" if removing else "Disable"
    )


def _refuse_the_default_while_others_remain(
    ctx: AccountContext, action: str, phone: PhoneRow, others: list[PhoneRow]
) -> None:
    if phone.default_second_factor and others:
        refusal = _default_refusal(ctx, action)
        raise AccountError(refusal.code, refusal.message)


def _default_refusal(ctx: AccountContext, action: str) -> AccountError:
    """The refusal to disable or remove the default MFA phone while others remain; where the
    default can't be changed (Clerk), the way out is the other phones."""
    refusal = _DEFAULT_PHONE_REFUSALS[action]
    if mirror.chooses_default(ctx):
        return refusal
    verb = "removing" if action == "remove" else "disabling"
    return AccountError(
        refusal.code,
        f"This is your default MFA phone, which can't be changed here. Disable your other MFA phones before {verb} this one.",
    )


def _unverified(db: Session, user_id: str, phone_id: str) -> PhoneRow:
    phone = owned(db, user_id, phone_id)
    if phone.verified_at is not None:
        raise AccountError("verification_already_verified", "This phone number is already verified.")
    return phone


def _reserve(db: Session, ctx: AccountContext, phone: PhoneRow) -> None:
    if phone.verified_at is None:
        raise AccountError("form_identifier_not_verified", "Verify this phone number before using it for MFA.")
    if phone.reserved_for_second_factor:
        return
    first = not mfa_phones(db, phone.user_id)
    phone.reserved_for_second_factor = True
    phone.default_second_factor = first
    db.add(phone)
    events.record(db, phone.user_id, "phone.reserved", mask(phone.phone_number), ctx.now())


def _unreserve(db: Session, ctx: AccountContext, phone: PhoneRow) -> bool:
    """Stop using `phone` for MFA; True when that turned MFA off."""
    if not phone.reserved_for_second_factor:
        return False
    others = [p for p in mfa_phones(db, phone.user_id) if p.id != phone.id]
    _refuse_the_default_while_others_remain(ctx, "disable_for_mfa", phone, others)
    phone.reserved_for_second_factor = False
    phone.default_second_factor = False
    db.add(phone)
    events.record(db, phone.user_id, "phone.disabled", mask(phone.phone_number), ctx.now())
    if others:
        return False
    turn_off_mfa(db, ctx, phone.user_id)
    return True


def turn_off_mfa(db: Session, ctx: AccountContext, user_id: str) -> None:
    """The last MFA phone is gone: MFA is off, and the backup codes stop working."""
    db.execute(sa.delete(BackupCodeRow).where(col(BackupCodeRow.user_id) == user_id))
    events.record(db, user_id, "mfa.disabled", "", ctx.now())
