"""Add mfa_app to a Reflex app: its pages under a prefix, on the app's own users.

    app = rx.App()
    mfa = mfa_app.mount(app, identity=MyIdentity(), prefix="/settings/security", sign_in="/login")

`identity` says who is signed in (mfa_app/identity.py); `mfa.after_password` sends a user
with MFA on from the host's sign-in to the second-factor challenge; `mfa.access` tells a host
page whether its visitor has passed it. One mount per app (and per backend process)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote

import reflex as rx
from reflex.app import default_backend_exception_handler
from reflex.event import EventSpec
from reflex.utils.prerequisites import get_states_dir
from sqlalchemy.engine import Engine
from starlette.applications import Starlette

from mfa_app import accounts, origins, routes
from mfa_app.accounts import HostUser
from mfa_app.components import layout as frame
from mfa_app.dev_only import refuse_outbox_in_production
from mfa_app.failures import backend_exception_handler
from mfa_app.identity import BuiltInAccounts, Identity, MirrorRoutes, Request
from mfa_app.logs import escape_every_log_record
from mfa_app.private_files import keep_private
from mfa_app.settings import Settings, get_settings
from mfa_app.sms.base import SmsSender
from mfa_app.state import connections, service
from mfa_app.state.protection import protect
from mfa_app.state.session import host_token
from mfa_app.tasks import purge_periodically


@dataclass(frozen=True)
class Access:
    """What a host page may show its visitor: nothing of the account when signed out, only the
    challenge while the second factor is due, everything once verified."""

    status: Literal["signed_out", "needs_second_factor", "verified"]
    user: HostUser | None = None


class Mfa:
    """The mounted package, as the host's own code uses it."""

    def __init__(self, paths: routes.Paths) -> None:
        self.paths = paths

    def after_password(self, user: HostUser, next_path: str = "/") -> str:
        """Call right after the host has checked the password and made the session `user`
        names: where to send the browser now (the challenge when the user has MFA on, else
        `next_path`). Blocking (one short transaction)."""
        next_path = routes.local_path(next_path, "/")
        if accounts.begin_host_sign_in(service.context(), user):
            return f"{self.paths.second_factor}?next={quote(next_path, safe='/')}"
        return next_path

    def access_for(self, request: Request) -> Access:
        """For the host's HTTP routes and code that has the request's cookies. Blocking."""
        identity = service.current().identity
        if isinstance(identity, BuiltInAccounts):
            raise TypeError("with the built-in accounts, ask the account service (accounts.get_user)")
        user = identity.signed_in(request)
        if user is None:
            return Access("signed_out")
        status = accounts.host_sign_in_status(service.context(), host_token(user))
        return Access(status, user if status == "verified" else None)

    async def access(self, state: rx.State) -> Access:
        """For a host state's event handler: its visitor, from the page's websocket handshake."""
        sid = state.router.session.session_id
        request = Request(
            cookies=connections.cookies(sid),
            headers=dict(state.router.headers.raw_headers),
            connected_at=connections.connected_at(sid),
        )
        return await asyncio.to_thread(self.access_for, request)

    def redirect_for(self, access: Access, state: rx.State) -> EventSpec | None:
        """For a host page's on_load handler: a redirect to the sign-in or to the challenge
        (coming back to this page after), or None when the visitor may see the page."""
        if access.status == "signed_out":
            return rx.redirect(self.paths.sign_in)
        if access.status == "needs_second_factor":
            here = routes.local_path(state.router.url.path, "/")
            return rx.redirect(f"{self.paths.second_factor}?next={quote(here, safe='/')}")
        return None


def mount(
    app: rx.App,
    *,
    identity: Identity | BuiltInAccounts,
    prefix: str = "/account",
    sign_in: str = "",
    sign_out: str = "",
    settings: Settings | None = None,
    engine: Engine | None = None,
    sms_sender: SmsSender | None = None,
    layout: frame.HostLayout | None = None,
    on_second_factor: Callable[[HostUser], None] | None = None,
    dev_outbox: str = "/dev/outbox",
) -> Mfa:
    """Add mfa_app's pages and routes to `app`.

    identity: who is signed in (BuiltInAccounts: mfa_app's own sign-up, sign-in and sessions).
    prefix: where the pages go: {prefix}/manage-mfa, {prefix}/add-phone, {prefix}/second-factor.
    sign_in: the host's sign-in page, linked from the signed-out text.
    sign_out: where the manage page's "Sign out" goes ("" for no such button: the host has one).
    settings: limits, SMS provider, database URL... (default: the MFA_* environment variables).
    engine: a PostgreSQL engine of the host's to keep mfa_app's tables in (default: the URL).
    sms_sender: an SMS provider object (default: the one the settings name).
    layout: the host's frame around each page (a function of the page's content).
    on_second_factor: called with the user when a host sign-in passes its second factor."""
    settings = settings or get_settings()
    built_in = isinstance(identity, BuiltInAccounts)
    refuse_outbox_in_production(settings)
    service.configure(
        service.Setup(identity, settings, engine=engine, sms_sender=sms_sender, on_second_factor=on_second_factor)
    )
    routes.paths = routes.Paths.under(
        prefix,
        sign_in=sign_in or (routes.SIGN_IN if built_in else "/"),
        sign_out=sign_out or (routes.AUTH_SIGN_OUT if built_in else ""),
        dev_outbox=dev_outbox,
    )
    frame.host_layout = layout

    escape_every_log_record()
    # httpx logs each request's URL at INFO; a webhook URL may carry a credential.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    keep_private(settings.data_dir, get_states_dir())

    protect(app)
    # Reflex hands the socket server a copy of config.cors_allowed_origins made now, before the
    # frontend's URL is settled (see mfa_app/origins.py): let it ask at each handshake instead.
    if app.sio is not None:
        app.sio.eio.cors_allowed_origins = origins.is_allowed
    if app.backend_exception_handler is default_backend_exception_handler:
        app.backend_exception_handler = backend_exception_handler
    _add_pages(app, built_in, settings)
    if built_in:
        from mfa_app.http import auth_routes

        _add_api_transformer(app, auth_routes)
    if isinstance(identity, MirrorRoutes):
        identity_routes = identity.http_routes(_follow_mirror)
        if identity_routes:
            _add_api_transformer(app, Starlette(routes=identity_routes))
    app.register_lifespan_task(_migrate_then_purge)
    return Mfa(routes.paths)


def _add_pages(app: rx.App, built_in: bool, settings: Settings) -> None:
    from mfa_app.pages.add_phone import add_phone
    from mfa_app.pages.manage_mfa import manage_mfa
    from mfa_app.state.add_phone import AddPhoneState
    from mfa_app.state.manage_mfa import ManageMfaState

    paths = routes.paths
    app.add_page(manage_mfa, route=paths.manage_mfa, title="Manage MFA", on_load=ManageMfaState.load)
    app.add_page(add_phone, route=paths.add_phone, title="Add phone", on_load=AddPhoneState.load)
    if built_in:
        from mfa_app.pages.password_reset import forgot_password, reset_password
        from mfa_app.pages.sign_in import sign_in, sign_up
        from mfa_app.state.password_reset import ForgotPasswordState, ResetPasswordState
        from mfa_app.state.sign_in import SignInState

        app.add_page(sign_up, route=routes.SIGN_UP, title="Sign up")
        app.add_page(sign_in, route=routes.SIGN_IN, title="Sign in", on_load=SignInState.load)
        app.add_page(
            forgot_password, route=routes.FORGOT_PASSWORD, title="Forgot password", on_load=ForgotPasswordState.load
        )
        app.add_page(
            reset_password, route=routes.RESET_PASSWORD, title="Reset password", on_load=ResetPasswordState.load
        )
    else:
        from mfa_app.pages.challenge import challenge
        from mfa_app.state.challenge import ChallengeState

        app.add_page(challenge, route=paths.second_factor, title="Verify it's you", on_load=ChallengeState.load)
    if settings.sms_provider == "outbox":
        from mfa_app.pages.dev_outbox import dev_outbox
        from mfa_app.state.dev_outbox import DevOutboxState

        app.add_page(dev_outbox, route=paths.dev_outbox, title="SMS outbox", on_load=DevOutboxState.load)


def _follow_mirror(user_id: str, at_mirror: Mapping[str, bool]) -> int:
    """A change the identity reports (made in Clerk itself), taken by the service."""
    return accounts.follow_mirror(service.context(), user_id, at_mirror)


def _add_api_transformer(app: rx.App, transformer) -> None:
    """Next to the host's own: Reflex's api_transformer takes one or several."""
    existing = app.api_transformer
    if existing is None:
        app.api_transformer = transformer
    else:
        app.api_transformer = [*(existing if isinstance(existing, list | tuple) else [existing]), transformer]


async def _migrate_then_purge() -> None:
    """At each backend worker's start: bring the tables up to date (mfa_app/store/migrate.py),
    then purge what is long dead, periodically."""
    await asyncio.to_thread(service.context)
    await purge_periodically()
