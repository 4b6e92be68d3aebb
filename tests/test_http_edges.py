"""The backend's HTTP edges against other sites: Reflex's CORS answers only the app's origin,
which the websocket's handshake is held to as well (tests/browser/test_edges.py)."""

from __future__ import annotations

import pytest
from reflex.config import get_config
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from mfa_app import origins
from mfa_app.settings import Settings

APP = "https://mfa.example.com"  # the deploy URL: pages and backend on one origin


@pytest.fixture
def deployed(monkeypatch):
    """The app deployed at APP (Reflex's deploy_url), MFA_ALLOWED_ORIGINS unset."""
    import mfa_app.mfa_app  # noqa: F401  (first: making the app reloads Reflex's config)

    monkeypatch.setattr(get_config(), "deploy_url", APP)
    monkeypatch.setattr(origins, "get_settings", lambda: Settings())


# --- the allowed origins and Reflex's CORS ------------------------------------------------------------


def test_an_origin_is_written_as_browsers_write_it():
    assert origins.origin_of("https://MFA.example.com/sign-in?x=1") == "https://mfa.example.com"
    assert origins.origin_of("https://mfa.example.com:443/") == "https://mfa.example.com"
    assert origins.origin_of("http://127.0.0.1:3000") == "http://127.0.0.1:3000"
    assert origins.origin_of("http://[::1]:3000/") == "http://[::1]:3000"
    for nothing in ["", "null", "mfa.example.com", "javascript:alert(1)", "http://host:99999/"]:
        assert origins.origin_of(nothing) == ""


def test_the_allowed_origins_are_the_deploy_urls_unless_listed(monkeypatch):
    monkeypatch.setattr(get_config(), "deploy_url", "https://mfa.example.com/")
    monkeypatch.setattr(origins, "get_settings", lambda: Settings())
    assert origins.allowed() == {"https://mfa.example.com"}

    listed = Settings(allowed_origins=" https://mfa.example.com , https://login.example.com/ ")
    monkeypatch.setattr(origins, "get_settings", lambda: listed)
    assert origins.allowed() == {"https://mfa.example.com", "https://login.example.com"}


def test_the_allowed_origin_follows_the_deploy_url_after_the_app_is_made(monkeypatch):
    """AppHarness and `reflex run` settle deploy_url after the app module made Reflex's CORS
    middleware and socket server: both ask at each request."""
    import mfa_app.mfa_app as app_module

    config = get_config()
    monkeypatch.setattr(config, "deploy_url", APP)
    monkeypatch.setattr(origins, "get_settings", lambda: Settings())
    assert "*" not in config.cors_allowed_origins
    assert APP in config.cors_allowed_origins and list(config.cors_allowed_origins) == [APP]
    assert app_module.app.sio.eio.cors_allowed_origins(APP) is True
    monkeypatch.setattr(config, "deploy_url", "http://127.0.0.1:41234")
    assert APP not in config.cors_allowed_origins and "http://127.0.0.1:41234" in config.cors_allowed_origins
    assert app_module.app.sio.eio.cors_allowed_origins(APP) is False


def test_cors_answers_the_apps_origin_only(deployed):
    """Reflex's CORS middleware, set up as Reflex sets it up (credentials allowed), with the
    app's config: Reflex's default ("*") answered any origin, credentials included."""
    import reflex as rx

    api = Starlette(routes=[Route("/ping", lambda request: PlainTextResponse("pong"))])
    rx.App._add_cors(api)
    client = TestClient(api, base_url=APP)
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}

    foreign = client.options("/ping", headers={"Origin": "https://evil.example", **preflight})
    assert "access-control-allow-origin" not in foreign.headers
    assert "access-control-allow-origin" not in client.get("/ping", headers={"Origin": "https://evil.example"}).headers

    ours = client.options("/ping", headers={"Origin": APP, **preflight})
    assert ours.headers["access-control-allow-origin"] == APP
    assert ours.headers["access-control-allow-credentials"] == "true"
