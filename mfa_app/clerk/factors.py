"""The user's second factor kept in Clerk too (mfa_app/accounts/mirror.py), so that Clerk's own
sign-in (ClerkJS's <SignIn/>) asks for what the user set up on mfa_app's pages.

Each change is pushed whole: the Clerk user is read (its phone_numbers), then brought to
mfa_app's setup, matched by E.164 number:
- a verified mfa_app phone is on the Clerk user, verified, reserved for the second factor as in
  mfa_app (created with POST /phone_numbers, or PATCHed); never made Clerk's primary number;
- a number the change removed is deleted (DELETE /phone_numbers/{id}); numbers the Clerk user
  has that mfa_app never had (added in Clerk's own UI) are left as they are;
- new backup codes: the old ones deleted first (DELETE /users/{id}/backup_code; whether an
  import replaces the earlier set is not documented, so it is not relied on), then the new ones
  imported (PATCH /users/{id} with backup_codes, in the clear: mfa_app keeps only argon2id
  hashes, which Clerk can't take, and bcrypt would be a dependency of its own);
- MFA turned off in mfa_app: the backup codes deleted and DELETE /users/{id}/mfa.

Protection is added before it is taken away: phones are created and reserved (mfa_app's default
first, since Clerk makes the first phone reserved while no other is the default), then the
backup codes replaced, then phones released and deleted, MFA disabled last. A push that fails
half-way leaves Clerk asking for at least what it asked before, except when that last step is
the one that failed (mirror.py then tells it to go back).

Clerk has no setter for the default second factor, so `chooses_default_second_factor` is False:
mfa_app then offers no "Make default" (docs/clerk.md)."""

from __future__ import annotations

from typing import Any

from mfa_app.accounts.mirror import FactorChange
from mfa_app.clerk.backend_api import BackendApi


class ClerkFactorMirror:
    chooses_default_second_factor = False

    def __init__(self, api: BackendApi) -> None:
        self._api = api

    def __repr__(self) -> str:
        return "ClerkFactorMirror()"

    def mirror_factors(self, change: FactorChange) -> None:
        user_id = change.user_id
        user = self._api.user(user_id)
        at_clerk: dict[str, dict[str, Any]] = {
            p["phone_number"]: p for p in user.get("phone_numbers") or [] if p.get("phone_number") and p.get("id")
        }
        wanted = {p.number: p for p in change.after.phones}
        unseen_codes = False  # backup codes Clerk made itself when a first phone was reserved

        # 1. Add protection: every mfa_app phone on the Clerk user, reserved as in mfa_app.
        for phone in sorted(wanted.values(), key=lambda p: not p.default_second_factor):
            clerk_phone = at_clerk.get(phone.number)
            if clerk_phone is None:
                answer = self._api.create_phone(user_id, phone.number, reserved=phone.reserved_for_second_factor)
            else:
                fields: dict[str, bool] = {}
                if not _verified(clerk_phone):
                    fields["verified"] = True
                if phone.reserved_for_second_factor and not clerk_phone.get("reserved_for_second_factor"):
                    fields["reserved_for_second_factor"] = True
                if not fields:
                    continue
                answer = self._api.update_phone(clerk_phone["id"], **fields)
            at_clerk[phone.number] = answer
            unseen_codes = unseen_codes or bool(answer.get("backup_codes"))

        # 2. The backup codes: the old ones never work once new ones are shown.
        codes = change.new_backup_codes
        if codes is not None or unseen_codes:
            self._api.delete_backup_codes(user_id)
        if codes:
            self._api.import_backup_codes(user_id, list(codes))

        # 3. Take protection away: phones released from MFA, numbers removed, MFA off.
        for phone in wanted.values():
            clerk_phone = at_clerk.get(phone.number)
            if clerk_phone and not phone.reserved_for_second_factor and clerk_phone.get("reserved_for_second_factor"):
                self._api.update_phone(clerk_phone["id"], reserved_for_second_factor=False)
        for number in {p.number for p in change.before.phones} - wanted.keys():
            clerk_phone = at_clerk.get(number)
            if clerk_phone is not None:
                self._api.delete_phone(clerk_phone["id"])
        if change.before.mfa_enabled and not change.after.mfa_enabled and not change.undo:
            self._api.delete_backup_codes(user_id)
            self._api.disable_mfa(user_id)

    def use_backup_code(self, user_id: str, code: str) -> bool:
        # Clerk's verify_totp checks a TOTP or a backup code and uses the backup code up. False:
        # not one of Clerk's codes (any more), which changes nothing there.
        return self._api.verify_totp(user_id, code)


def numbers_at_clerk(user: dict[str, Any]) -> dict[str, bool]:
    """The Clerk user's verified numbers, each with whether it is reserved for MFA there."""
    return {
        p["phone_number"]: bool(p.get("reserved_for_second_factor"))
        for p in user.get("phone_numbers") or []
        if p.get("phone_number") and _verified(p)
    }


def _verified(clerk_phone: dict[str, Any]) -> bool:
    verification = clerk_phone.get("verification") or {}
    return verification.get("status") == "verified"
