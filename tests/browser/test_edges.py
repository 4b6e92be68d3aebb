"""The backend's edges against other sites, in Chromium: what another site (or another port of
this one) can make a signed-in or signing-in browser do. Chromium writes the Sec-Fetch-Site,
Origin and Referer headers itself, as for a person; the attackers' pages are served by
Playwright on made-up origins (http://attacker.test, and 127.0.0.1 on another port, which is
the same *site* as the app: its requests carry the SameSite=Strict session cookie).

Also: the websocket and CORS accept the app's own origin only, and an exception in a handler
shows the person no text of it."""

from __future__ import annotations

import json
import logging
import secrets
import urllib.error
import urllib.request
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest
import socketio
from playwright.sync_api import Page, Route, expect

from mfa_app import routes
from mfa_app.failures import MESSAGE
from mfa_app.http import NOT_FROM_THE_APP
from tests.browser.helpers import PASSWORD, App, sign_up
from tests.browser.test_events import Page as SocketPage

pytestmark = pytest.mark.scale_out  # also on `reflex run --env prod` (except the in-process ones)

OTHER_SITE = "http://attacker.test"
SAME_SITE_OTHER_PORT = "http://127.0.0.1:9"  # nothing listens there: Playwright serves it


def backend(app: App) -> str:
    """The backend's URL as the pages use it: their websocket, the session-cookie routes."""
    if app.server is not None:
        return app.url  # production: one port
    from reflex.config import get_config

    return get_config().api_url.rstrip("/")


def serve_attacker_page(page: Page, origin: str, body: str) -> str:
    """An HTML page at `origin`/ in this browser, as another site would serve it; its URL."""
    url = f"{origin}/"
    page.context.route(url, lambda route: route.fulfill(status=200, content_type="text/html", body=body))
    return url


def form(action: str, fields: dict[str, str]) -> str:
    inputs = "".join(f'<input type="hidden" name="{name}" value="{value}">' for name, value in fields.items())
    return f'<form method="post" action="{action}">{inputs}</form>'


def auto_post(action: str, fields: dict[str, str]) -> str:
    """A page that POSTs a form as soon as it loads."""
    return form(action, fields) + "<script>document.forms[0].submit()</script>"


def has_session_cookie(page: Page) -> bool:
    return any(cookie["name"] == routes.SESSION_COOKIE for cookie in page.context.cookies())


def test_a_nonce_signs_in_only_the_browser_that_signed_in(page: Page, app: App, new_page: Callable[..., Page]):
    """Login CSRF. The attacker signs in to their own account and holds back their browser's
    trip to /auth/session (here: Playwright pauses it), then gets the victim's browser to make
    it: as a link, or as a form on a page of another site or of another port of this one. The
    victim stays signed out each time, and the attacker's own page still signs in after that."""
    held: list[Route] = []
    page.route(lambda url: urlsplit(url).path == routes.AUTH_SESSION, lambda route: held.append(route))
    page.goto("/sign-up", timeout=60_000)  # may be the session's first page: the dev server compiles it
    page.get_by_label("Email address").fill(f"attacker-{secrets.token_hex(4)}@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    for _ in range(150):  # up to 15 s
        if held:
            break
        page.wait_for_timeout(100)
    request = held[0].request
    fields = parse_qs(request.post_data or urlsplit(request.url).query)
    nonce, trade = fields["nonce"][0], f"{backend(app)}{routes.AUTH_SESSION}"

    victim = new_page()
    victim.goto(f"{trade}?nonce={nonce}&next={routes.paths.manage_mfa}")
    expect(victim.get_by_text(NOT_FROM_THE_APP)).to_be_visible()
    for origin in (OTHER_SITE, SAME_SITE_OTHER_PORT):
        victim.goto(
            serve_attacker_page(victim, origin, auto_post(trade, {"nonce": nonce, "next": routes.paths.manage_mfa}))
        )
        expect(victim.get_by_text(NOT_FROM_THE_APP)).to_be_visible()
    assert not has_session_cookie(victim)

    held[0].continue_()
    expect(page.get_by_role("heading", name="User MFA Settings")).to_be_visible()
    assert has_session_cookie(page)


def test_other_sites_cannot_sign_the_browser_out(app: App, new_page: Callable[..., Page]):
    """Sign-out CSRF: a link on another site, and a form POST or a credentialed fetch from a page
    on another port of the same site (which the SameSite=Strict cookie goes along with)."""
    page = new_page()
    sign_up(page)
    sign_out = f"{backend(app)}{routes.AUTH_SIGN_OUT}"

    page.goto(serve_attacker_page(page, OTHER_SITE, f'<a href="{sign_out}">prize</a>'))
    page.get_by_role("link", name="prize").click()
    expect(page.get_by_text(NOT_FROM_THE_APP)).to_be_visible()
    fetch_then_post = (
        f"<script>fetch({json.dumps(sign_out)}, {{method: 'POST', mode: 'no-cors', credentials: 'include'}})"
        ".finally(() => document.forms[0].submit())</script>"
    )
    page.goto(serve_attacker_page(page, SAME_SITE_OTHER_PORT, form(sign_out, {}) + fetch_then_post))
    expect(page.get_by_text(NOT_FROM_THE_APP)).to_be_visible()

    page.goto(routes.paths.manage_mfa)
    expect(page.get_by_role("heading", name="User MFA Settings")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()  # from the app's own page: still works
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert not has_session_cookie(page)


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
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
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


def test_an_exception_in_a_handler_shows_the_person_no_text_of_it(page: Page, app: App, monkeypatch, caplog):
    """In development Reflex's own handler showed the exception's text (SQL and its bound
    parameters, here an email address) in the error toast."""
    if app.server is not None:
        pytest.skip("the exception is planted in the in-process backend of AppHarness")
    from mfa_app import accounts

    sign_up(page)
    leak = "(sqlite3.OperationalError) database is locked [SQL: SELECT * FROM users WHERE email = ?] [parameters: ('secret@example.com',)]"

    def fail(*args):
        raise RuntimeError(leak)

    monkeypatch.setattr(accounts, "manage_page", fail)  # what the manage page calls on load
    alerts: list[str] = []
    page.on("dialog", lambda dialog: (alerts.append(dialog.message), dialog.dismiss()))
    with caplog.at_level(logging.ERROR, logger="mfa_app"):
        page.reload()
        expect(page.get_by_text(MESSAGE)).to_be_visible()

    shown = page.content() + "".join(alerts)
    assert "secret@example.com" not in shown and "SELECT" not in shown and "RuntimeError" not in shown
    assert any("secret@example.com" in record.getMessage() for record in caplog.records)  # in the server's log
