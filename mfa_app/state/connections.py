"""What a tab's websocket connection carries that must never be stored: the session cookie of
its handshake, and a sign-in waiting for its second factor.

Reflex persists each tab's state (disk `.states/` or Redis), router data included, and that
router data holds the handshake's headers, `Cookie` among them. So the `Cookie` header is taken
out of the handshake's headers before Reflex copies them anywhere, and kept here instead: in
this process's memory, per socket (the worker that holds a socket processes all its events, the
background ones too), and dropped when the socket closes. Nothing here is ever persisted or sent
to the page. A reconnect is a new socket: it brings its cookie again, but a pending sign-in is
lost with the old socket (the person types the password again)."""

from __future__ import annotations

import time
from http.cookies import CookieError, SimpleCookie

from reflex.app import EventNamespace

_cookies: dict[str, dict[str, str]] = {}  # socket id -> the handshake's cookies, parsed once
_headers: dict[str, str] = {}  # socket id -> the handshake's Cookie header as it came
_connected_at: dict[str, float] = {}  # socket id -> when its handshake came (time.time())
_pending: dict[str, str] = {}  # socket id -> the token of a sign-in waiting for its second factor


def install() -> None:
    """Take the Cookie header out of every websocket handshake's headers (once per process)."""
    if getattr(EventNamespace, "_mfa_app_cookies_kept_apart", False):
        return
    build, disconnect = EventNamespace._build_static_router_data, EventNamespace.on_disconnect

    def build_static_router_data(self, sid: str, environ: dict) -> dict:
        router_data = build(self, sid, environ)
        keep_cookie(sid, router_data["headers"].pop("cookie", ""))
        return router_data

    def on_disconnect(self, sid: str):
        forget(sid)
        return disconnect(self, sid)

    EventNamespace._build_static_router_data = build_static_router_data  # type: ignore[method-assign]
    EventNamespace.on_disconnect = on_disconnect  # type: ignore[method-assign]
    EventNamespace._mfa_app_cookies_kept_apart = True


def cookies(sid: str) -> dict[str, str]:
    """The cookies of the socket's handshake, by name."""
    return dict(_cookies.get(sid, {}))


def cookie(sid: str, name: str) -> str:
    """The value of one cookie of the socket's handshake; "" when it has none."""
    return _cookies.get(sid, {}).get(name, "")


def cookie_header(sid: str) -> str:
    return _headers.get(sid, "")


def connected_at(sid: str) -> float | None:
    """When the socket's handshake came, so when its cookies were the browser's."""
    return _connected_at.get(sid)


def keep_cookie(sid: str, header: str) -> None:
    """What a handshake with this Cookie header keeps (tests that build a state by hand call
    it too): its cookies, parsed once for every event of the socket."""
    jar = SimpleCookie()
    try:
        jar.load(header)
    except CookieError:
        jar = SimpleCookie()
    _cookies[sid] = {name: morsel.value for name, morsel in jar.items()}
    _headers[sid] = header
    _connected_at[sid] = time.time()


def pending_sign_in(sid: str) -> str:
    return _pending.get(sid, "")


def keep_pending_sign_in(sid: str, token: str) -> None:
    """Remember (or, with "", forget) the socket's sign-in waiting for its second factor."""
    if token:
        _pending[sid] = token
    else:
        _pending.pop(sid, None)


def forget(sid: str) -> None:
    _cookies.pop(sid, None)
    _headers.pop(sid, None)
    _connected_at.pop(sid, None)
    _pending.pop(sid, None)
