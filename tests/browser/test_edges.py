"""The backend's edges against other sites, against the running app: the websocket and CORS
accept the app's own origin only. The other origins are made up: http://attacker.test, and
127.0.0.1 on another port (the same *site* as the app: a browser sends the SameSite=Strict
session cookie along with its requests)."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest
import socketio

from mfa_app import routes
from tests.browser.conftest import App
from tests.browser.test_events import Page as SocketPage

pytestmark = pytest.mark.scale_out  # also on `reflex run --env prod`

OTHER_SITE = "http://attacker.test"
SAME_SITE_OTHER_PORT = "http://127.0.0.1:9"  # nothing listens there


def backend(app: App) -> str:
    """The backend's URL as the pages use it: their websocket, the session-cookie routes."""
    if app.server is not None:
        return app.url  # production: one port
    from reflex.config import get_config

    return get_config().api_url.rstrip("/")


@pytest.mark.parametrize("origin", [OTHER_SITE, SAME_SITE_OTHER_PORT, "null"])
def test_the_websocket_refuses_a_handshake_from_another_origin(app: App, origin: str):
    """A page elsewhere could open the app's websocket with the person's cookie and act for
    them (a cross-site websocket hijack): the handshake's Origin decides."""
    with pytest.raises(socketio.exceptions.ConnectionError):
        SocketPage(backend(app), None, origin=origin)


def test_the_websocket_accepts_the_apps_own_origin(app: App):
    page = SocketPage(backend(app), None, origin=app.url)
    try:
        page.open(routes.SIGN_IN)
    finally:
        page.close()


def preflight(url: str, origin: str) -> dict[str, str]:
    request = urllib.request.Request(
        url,
        method="OPTIONS",
        headers={"Origin": origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return {k.lower(): v for k, v in response.headers.items()}
    except urllib.error.HTTPError as refused:  # Starlette answers a foreign preflight with 400
        return {k.lower(): v for k, v in refused.headers.items()}


@pytest.mark.parametrize("path", [routes.AUTH_SESSION, routes.AUTH_SIGN_OUT, "/ping"])
def test_cors_answers_the_apps_origin_only(app: App, path: str):
    for foreign in (OTHER_SITE, SAME_SITE_OTHER_PORT):
        assert "access-control-allow-origin" not in preflight(f"{backend(app)}{path}", foreign)
    ours = preflight(f"{backend(app)}{path}", app.url)
    assert ours["access-control-allow-origin"] == app.url
