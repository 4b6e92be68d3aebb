"""mfa_app: SMS-based multi-factor authentication for Reflex apps.

    import mfa_app
    mfa = mfa_app.mount(app, identity=MyIdentity(), prefix="/settings/security")

Importing the package creates no app, opens no database, writes no file and leaves logging
alone: all of that waits for `mount` (and the backend's start)."""

from mfa_app.identity import BuiltInAccounts, HostUser, Identity, PasswordCheck, Request, SessionSignOut
from mfa_app.mounting import Access, Mfa, mount
from mfa_app.settings import Settings

__all__ = [
    "Access",
    "BuiltInAccounts",
    "HostUser",
    "Identity",
    "Mfa",
    "PasswordCheck",
    "Request",
    "SessionSignOut",
    "Settings",
    "mount",
]
