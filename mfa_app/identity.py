"""Who is signed in: the protocol a host app implements so mfa_app's pages work on its users.

mfa_app asks on every event of its pages (and whenever a host page asks `Mfa.access`), from the
request: the cookies and headers of the page's websocket handshake (or of an HTTP request).
The host answers with its user's id, a secret that names this sign-in and changes at each new
sign-in (its session cookie's value, or its session id), and the user's email address (shown,
and where mfa_app's security notices go). `check_password`, where the host has passwords, lets
a user without MFA confirm a sensitive change (step-up re-verification) with theirs.

`BuiltInAccounts` is mfa_app's own implementation (sign-up, sign-in, passwords and sessions of
its own), the one the standalone app runs on."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from sqlalchemy.engine import Engine
from starlette.routing import BaseRoute

from mfa_app.accounts import AccountContext, HostUser, build_context
from mfa_app.accounts.code_service import CodeService
from mfa_app.accounts.mirror import FactorMirror
from mfa_app.settings import Settings
from mfa_app.sms.base import SmsSender

__all__ = ["BuiltInAccounts", "HostUser", "Identity", "MirrorRoutes", "PasswordCheck", "Request", "SessionSignOut"]


@dataclass(frozen=True)
class Request:
    """What mfa_app knows of a request: its cookies and headers (names in lower case), and for
    a page's event, when its websocket connected (time.time()): the cookies are the handshake's,
    as old as the connection (an identity with short-lived tokens checks them at that time).
    None for an HTTP request, whose cookies are the browser's of now."""

    cookies: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    connected_at: float | None = None


@runtime_checkable
class Identity(Protocol):
    def signed_in(self, request: Request) -> HostUser | None:
        """The signed-in user of this request, or None. Called in a worker thread: it may read
        the host's database."""
        ...


@runtime_checkable
class PasswordCheck(Protocol):
    def check_password(self, user_id: str, password: str) -> bool:
        """Whether `password` is this user's (for step-up re-verification)."""
        ...


# What mfa_app does with a change a mirror reports (accounts.follow_mirror): the user's id and
# the mirror's verified numbers, each with whether it is reserved for MFA there.
FollowMirror = Callable[[str, Mapping[str, bool]], int]


@runtime_checkable
class MirrorRoutes(Protocol):
    def http_routes(self, follow: FollowMirror) -> list[BaseRoute]:
        """HTTP routes mfa_app adds next to the host's (a webhook endpoint the identity's own
        service calls when a user's second factor changed there), which call `follow` with what
        the identity has now. Empty when not configured."""
        ...


@runtime_checkable
class SessionSignOut(Protocol):
    def sign_out_sessions(self, user_id: str, which: Callable[[str], bool]) -> None:
        """Sign out, at the host, every active sign-in of this user whose session key `which`
        accepts: the person ended it (or every other one) from mfa_app's list of sessions.
        Called before mfa_app ends its own record; raise an AccountError when the host could
        not, and nothing is ended. Without it only mfa_app's record ends (mfa_app's pages and
        `Mfa.access` refuse that sign-in, the host's own pages don't know)."""
        ...


class BuiltInAccounts:
    """mfa_app's own accounts: its sign-up, sign-in and password-reset pages, its passwords and
    its session cookie. Mounted with it, mfa_app is a standalone app (see mfa_app/mfa_app.py)."""


def context_for(
    identity: Identity | BuiltInAccounts,
    settings: Settings,
    *,
    engine: Engine | None = None,
    sms_sender: SmsSender | None = None,
) -> AccountContext:
    """The service's context on `identity`: what of the optional protocols it implements (its
    password check, its copy of the second factor, its sign-out of sessions, its sending of the
    text-message codes) the rules use."""
    return build_context(
        settings,
        engine=engine,
        sms_sender=sms_sender,
        check_password=identity.check_password if isinstance(identity, PasswordCheck) else None,
        mirror=identity if isinstance(identity, FactorMirror) else None,
        sign_out_host_sessions=identity.sign_out_sessions if isinstance(identity, SessionSignOut) else None,
        code_service=identity if isinstance(identity, CodeService) else None,
    )
