"""The base of every page state: who is asking, resolved from the HttpOnly session cookie on
each event (never from Reflex's client token), and a way to call the service off the event loop.

Handlers that wait on argon2id or on the SMS provider are background events: a normal handler
holds the tab's state lock until it returns, and with Redis that lock expires after 10 s
(LockExpiredError under load). They take the lock (`async with self`) only to read and write
vars, and start by refusing a second run while one is busy (background events are not queued)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any, TypeVar

import reflex as rx
from reflex.config import get_config

from mfa_app import accounts, routes
from mfa_app.state import connections
from mfa_app.state.service import context, run_hashing

T = TypeVar("T")


class SessionState(rx.State):
    loaded: bool = False
    signed_in: bool = False
    session_ended: bool = False  # signed out by the service (expired, revoked), not by the person

    # Whose view data the tab's states hold: a keyed hash of the session (tab_owner.py).
    _owner: str = ""

    def _sid(self) -> str:
        return self.router.session.session_id

    def _token(self) -> str:
        """The session token from this socket's handshake cookie (connections.py keeps it)."""
        return connections.cookie(self._sid(), routes.SESSION_COOKIE)

    def _current_owner(self) -> str:
        token = self._token()
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
        ownership and re-verification), in a worker thread so the event loop stays free."""
        return await asyncio.to_thread(fn, context(), self._token(), *args)

    async def _call_hashing(self, fn: Callable[..., T], *args: Any) -> T:
        """`_call` for the service functions that check or make argon2id hashes."""
        return await run_hashing(fn, context(), self._token(), *args)

    async def _check_signed_in(self) -> accounts.User | None:
        try:
            user = await self._call(accounts.get_user)
        except accounts.AccountError:
            user = None
        self.signed_in = user is not None
        # The browser still has a session cookie the service no longer accepts.
        self.session_ended = user is None and bool(self._token())
        self.loaded = True
        return user


def go_to_backend(path: str) -> rx.event.EventSpec:
    """A full page navigation to one of the backend's HTTP routes (never a client-side route
    change, which would stay inside the single-page app)."""
    url = get_config().api_url.rstrip("/") + path
    return rx.call_script(f"window.location.assign({json.dumps(url)})")


def post_to_backend(path: str, fields: dict[str, str]) -> rx.event.EventSpec:
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


def focus(element_id: str) -> rx.event.EventSpec:
    """Move the keyboard focus to an element: a busy button is disabled, which drops the focus,
    so when an action ends the focus goes where its outcome is (a message, a field to retry)."""
    return rx.call_script(f"document.getElementById({json.dumps(element_id)})?.focus()")


async def hand_off_session(token: str, next_path: str) -> rx.event.EventSpec:
    """Send the browser to trade a one-time nonce for the HttpOnly session cookie."""
    nonce = await asyncio.to_thread(accounts.start_handoff, context(), token)
    return post_to_backend(routes.AUTH_SESSION, {"nonce": nonce, "next": next_path})
