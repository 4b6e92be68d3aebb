"""The base of every page state: who is asking, resolved from the HttpOnly session cookie on
each event (never from Reflex's client token), and a way to call the service off the event loop.

Handlers that wait on argon2id or on the SMS provider are background events: a normal handler
holds the tab's state lock until it returns, and with Redis that lock expires after 10 s
(LockExpiredError under load). They take the lock (`async with self`) only to read and write
vars, and start by refusing a second run while one is busy (background events are not queued):
state/busy.py's guard."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

import reflex as rx
from reflex.config import get_config
from reflex.event import EventSpec

from mfa_app import accounts, routes
from mfa_app.accounts.models import User
from mfa_app.identity import BuiltInAccounts, Request
from mfa_app.state import connections, service
from mfa_app.state.service import context

T = TypeVar("T")


class SessionState(rx.State):
    loaded: rx.Field[bool] = rx.field(False)
    signed_in: rx.Field[bool] = rx.field(False)
    session_ended: rx.Field[bool] = rx.field(False)  # signed out by the service (expired, revoked), not by the person
    # Why nobody could say whether the visitor is signed in (the host's identity, such as Clerk,
    # isn't answering: a 5xx refusal), shown instead of the signed-out text; "" otherwise.
    unavailable: rx.Field[str] = rx.field("")

    # Whose view data the tab's states hold: a keyed hash of the session (tab_owner.py).
    _owner: str = ""

    def _sid(self) -> str:
        # In a background event `self` is a StateProxy, whose `router` builds a proxy of the root
        # state on every read: the socket's id (constant) is read from the state behind it.
        return getattr(self, "__wrapped__", self).router.session.session_id

    def _request(self) -> Request:
        """The cookies (kept apart by connections.py) and headers of this socket's handshake."""
        sid = self._sid()
        return Request(
            cookies=connections.cookies(sid),
            headers=dict(self.router.headers.raw_headers),
            connected_at=connections.connected_at(sid),
        )

    def _current_owner(self) -> str:
        """With the built-in accounts: the session cookie, or else the pending sign-in. With a
        host's identity, which mfa_app can't ask here (it may read a database): every cookie of
        the handshake, which names the host's sign-in among others."""
        if not service.built_in_accounts():
            header = connections.cookie_header(self._sid())
            return context().hmac("tab-owner", "cookies", header) if header else ""
        token = connections.cookie(self._sid(), routes.SESSION_COOKIE)
        if token:
            return context().hmac("tab-owner", "session", token)
        pending = connections.pending_sign_in(self._sid())
        return context().hmac("tab-owner", "pending", pending) if pending else ""

    def _claim_tab(self) -> None:
        """The tab's view data now belongs to this connection's current session or sign-in
        (called under the state lock, right after the sign-in changed it)."""
        self._owner = self._current_owner()

    async def _call(self, fn: Callable[..., T], *args: Any) -> T:
        """Call a service function for the signed-in session (the service checks the session,
        ownership and re-verification), in a worker thread so the event loop stays free (which
        pool: service.call's choice)."""
        request = self._request()
        return await service.call(fn, *args, token=lambda: service_token(request))

    async def _check_signed_in(self) -> User | None:
        try:
            user = await self._call(accounts.get_user)
        except accounts.AccountError as exc:
            self._note_signed_in(False, exc)
            return None
        self._note_signed_in(True)
        return user

    def _note_signed_in(self, signed_in: bool, refusal: accounts.AccountError | None = None) -> None:
        """What the page's load learnt: signed in, or not (`refusal`: the service's reason)."""
        self.signed_in, self.loaded = signed_in, True
        self.unavailable = refusal.message if refusal is not None and refusal.status >= 500 else ""
        self.session_ended = not signed_in and not self.unavailable and self._had_session()

    def _had_session(self) -> bool:
        """The browser still has a built-in session cookie the service no longer accepts (it
        expired, or was signed out elsewhere). A host's sign-ins end as the host says."""
        return service.built_in_accounts() and bool(connections.cookie(self._sid(), routes.SESSION_COOKIE))


def service_token(request: Request) -> str:
    """The token the service knows this request's sign-in by ("" when signed out): the built-in
    accounts' session cookie, or the session key of the host's signed-in user (recorded by the
    service the first time it is seen). Blocking: the host's identity may read its database."""
    identity = service.current().identity
    if isinstance(identity, BuiltInAccounts):
        return request.cookies.get(routes.SESSION_COOKIE, "")
    who = identity.signed_in(request)
    return host_token(who) if who is not None else ""


def host_token(who: accounts.HostUser) -> str:
    """The service token of a host's signed-in user ("" for one mfa_app can't record: no valid
    email address). Blocking."""
    try:
        return accounts.adopt_host_sign_in(service.context(), who)
    except accounts.AccountError:
        return ""


def go_to_backend(path: str) -> EventSpec:
    """A full page navigation to one of the backend's HTTP routes, or to an absolute URL (never
    a client-side route change, which would stay inside the single-page app)."""
    url = path if "://" in path else get_config().api_url.rstrip("/") + path
    return rx.call_script(f"window.location.assign({json.dumps(url)})")


def post_to_backend(path: str, fields: dict[str, str]) -> EventSpec:
    """A full page navigation that POSTs `fields` as a form to one of the backend's HTTP routes:
    the browser sends the page's Origin with a POST (how /auth/session knows the app's page
    sent it), and the fields stay out of URLs, browser history and access logs."""
    url = get_config().api_url.rstrip("/") + path
    return rx.call_script(
        f"(() => {{ const form = Object.assign(document.createElement('form'), {{method: 'post', action: {json.dumps(url)}}});"
        f" for (const [name, value] of Object.entries({json.dumps(fields)}))"
        " form.append(Object.assign(document.createElement('input'), {type: 'hidden', name, value}));"
        " document.body.append(form); form.submit(); })()"
    )


def focus(element_id: str) -> EventSpec:
    """Move the keyboard focus to an element: a busy button is disabled, which drops the focus,
    so when an action ends the focus goes where its outcome is (a message, a field to retry)."""
    return rx.call_script(f"document.getElementById({json.dumps(element_id)})?.focus()")


async def hand_off_session(token: str, next_path: str) -> EventSpec:
    """Send the browser to trade a one-time nonce for the HttpOnly session cookie."""
    nonce = await service.call(accounts.start_handoff, token=token)
    return post_to_backend(routes.AUTH_SESSION, {"nonce": nonce, "next": next_path})
