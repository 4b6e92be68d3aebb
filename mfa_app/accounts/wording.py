"""How the account's facts read on the pages: security events as sentences, counts in words."""

from __future__ import annotations

from mfa_app.accounts.errors import count
from mfa_app.accounts.models import SecurityEvent

# Each event kind as a sentence; {detail} is the event's detail (a masked number, a device...).
_EVENT_SENTENCES = {
    "user.signed_up": "Account created",
    "user.signed_in": "Signed in with {detail}",
    "user.locked": "Account locked after {detail}",
    "phone.added": "Phone number {detail} added",
    "phone.verified": "Phone number {detail} verified",
    "phone.reserved": "Phone number {detail} reserved for MFA",
    "phone.disabled": "Phone number {detail} no longer used for MFA",
    "phone.made_default": "Default MFA phone changed to {detail}",
    "phone.removed": "Phone number {detail} removed",
    "mfa.disabled": "MFA turned off",
    "backup_codes.generated": "New backup codes generated ({detail})",
    "backup_code.used": "Backup code used",
    "password.reset_requested": "Password reset link sent",
    "password.reset": "Password changed with a reset link ({detail})",
    "session.revoked": "Signed out {detail}",
    "sessions.revoked_others": "Signed out of other sessions ({detail})",
    "support.unlocked": "Account unlocked {detail}",
    "support.sessions_revoked": "Sessions signed out by support ({detail})",
    "support.mfa_reset": "MFA turned off by support ({detail})",
    # Changes made in the account's sign-in service (Clerk) itself, taken here (follow.py).
    "mirror.phone.removed": "Phone number {detail} removed in your account's sign-in service",
    "mirror.phone.reserved": "Phone number {detail} reserved for MFA in your account's sign-in service",
    "mirror.phone.disabled": "Phone number {detail} no longer used for MFA in your account's sign-in service",
}


def event_sentence(event: SecurityEvent) -> str:
    sentence = _EVENT_SENTENCES.get(event.kind, event.kind + " {detail}")
    return sentence.format(detail=event.detail).strip()


def unused_backup_codes(n: int) -> str:
    """ "1 unused backup code left.", "10 unused backup codes left."; none left says what to do."""
    if n == 0:
        return "No unused backup codes left. Generate a new set to keep a way in without your phone."
    return f"{count(n, 'unused backup code', 'unused backup codes')} left."
