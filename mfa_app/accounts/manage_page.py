"""The manage-MFA page's data in one call: one session check and one read transaction for the
user with their phones, the backup codes left and the latest security events."""

from __future__ import annotations

from mfa_app.accounts import backup_codes, events, mirror, sessions
from mfa_app.accounts.access import signed_in
from mfa_app.accounts.context import AccountContext
from mfa_app.accounts.models import ManagePage
from mfa_app.accounts.users import user_resource


def manage_page(ctx: AccountContext, token: str, events_limit: int) -> ManagePage:
    with ctx.read() as db:
        session, user = signed_in(ctx, db, token)
        left = len(backup_codes.unused(db, user.id))
        resource = user_resource(ctx, db, user, left)
        verified = [p for p in resource.phone_numbers if p.verification.status == "verified"]
        mfa = [p for p in verified if p.reserved_for_second_factor]
        page = ManagePage(
            user=resource,
            mfa_phones=sorted(mfa, key=lambda p: not p.default_second_factor),
            available_phones=[p for p in verified if not p.reserved_for_second_factor],
            unverified_phones=[p for p in resource.phone_numbers if p not in verified],
            backup_codes_left=left if resource.two_factor_enabled else 0,
            events=events.newest_first(db, user.id, events_limit),
            can_choose_default=mirror.chooses_default(ctx),
        )
    sessions.note_activity(ctx, session)
    return page
