"""Clerk as mfa_app's identity: its users, signed in by Clerk's frontend, on mfa_app's pages
(docs/clerk.md). Needs the `clerk` extra (PyJWT with cryptography)."""

from mfa_app.clerk.identity import ClerkIdentity
from mfa_app.clerk.settings import ClerkSettings
from mfa_app.clerk.transport import ClerkUnavailable

__all__ = ["ClerkIdentity", "ClerkSettings", "ClerkUnavailable"]
