"""A change to a user's second factor made at the factor mirror itself (Clerk's dashboard or its
<UserProfile/>, an administrator's "Disable MFA"), taken here: mfa_app's challenge and pages then
go by what the mirror's own sign-in asks for, and mfa_app's next push (mirror.py) does not put
the old setup back. The mirror says when (mfa_app/clerk/webhooks.py); what counts is what it has
now, read from it, never what its message says. Taken as is: the mirror's own rules allowed it,
so no step-up and no default-phone refusal here, and nothing is pushed back."""

from __future__ import annotations

from collections.abc import Mapping

import sqlalchemy as sa
from sqlmodel import Session, col

from mfa_app.accounts import events
from mfa_app.accounts.access import all_of, mfa_phones
from mfa_app.accounts.context import AccountContext
from mfa_app.accounts.numbers import mask
from mfa_app.accounts.phones import turn_off_mfa
from mfa_app.store.tables import PhoneRow, UserRow, VerificationRow


def follow_mirror(ctx: AccountContext, user_id: str, at_mirror: Mapping[str, bool]) -> int:
    """`at_mirror`: the verified numbers (E.164) the mirror has for the user, each with whether
    it is reserved for MFA there. Each verified phone of mfa_app's, by number: gone at the
    mirror, removed here; reserved or released there, the same here. The default stays with its
    phone while that one stays reserved, else goes to the oldest MFA phone left; with none left
    MFA is off (the backup codes deleted). Numbers only the mirror has are left alone (added in
    the mirror's own UI, never here), and so are phones not verified yet. How many phones
    changed (0 for a user mfa_app doesn't know)."""

    def work(db: Session) -> int:
        if db.get(UserRow, user_id) is None:
            return 0
        had_mfa, changed = bool(mfa_phones(db, user_id)), 0
        for phone in all_of(db, user_id):
            reserved = at_mirror.get(phone.phone_number)
            if phone.verified_at is None or reserved == phone.reserved_for_second_factor:
                continue
            changed += 1
            if reserved is None:
                db.execute(sa.delete(VerificationRow).where(col(VerificationRow.phone_id) == phone.id))
                db.delete(phone)
                events.record(db, user_id, "mirror.phone.removed", mask(phone.phone_number), ctx.now())
                continue
            phone.reserved_for_second_factor = reserved
            if not reserved:
                phone.default_second_factor = False
            db.add(phone)
            kind = "mirror.phone.reserved" if reserved else "mirror.phone.disabled"
            events.record(db, user_id, kind, mask(phone.phone_number), ctx.now())
        db.flush()
        left = sorted(mfa_phones(db, user_id), key=lambda p: (p.created_at, p.id))
        if left and not any(p.default_second_factor for p in left):
            db.execute(sa.update(PhoneRow).where(col(PhoneRow.id) == left[0].id).values(default_second_factor=True))
        if had_mfa and not left:
            turn_off_mfa(db, ctx, user_id)
        return changed

    return ctx.write(work)
