"""The backend's HTTP edges against other sites: the session-cookie routes answer only the app's
own pages (login CSRF, sign-out CSRF), and Reflex's CORS answers only the app's origin.

Requests are written the way browsers send them: Sec-Fetch-Site, Origin (on a POST; a GET
navigation carries none) and Referer. tests/browser/test_edges.py makes Chromium send them."""

from __future__ import annotations

import pytest
from reflex.config import get_config
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from mfa_app import accounts, origins, routes
from mfa_app.accounts.context import AccountContext
from mfa_app.settings import Settings
from mfa_app.state import service
from mfa_app.state.service import Setup
from tests.helpers import sign_up

APP = "https://mfa.example.com"  # the deploy URL: pages and backend on one origin
DEV_FRONTEND = "http://localhost:3000"  # `make run`: the pages on 3000, the backend on 8000

# What a browser sends for each way a request can reach the backend.
FROM_THE_APP_PAGE = {"Sec-Fetch-Site": "same-origin", "Origin": APP}
FROM_THE_DEV_PAGE = {"Sec-Fetch-Site": "same-site", "Origin": DEV_FRONTEND}
FROM_AN_OLD_BROWSER = {"Origin": APP}  # no Sec-Fetch-* headers
A_LINK_ON_ANOTHER_SITE = {"Sec-Fetch-Site": "cross-site", "Referer": "https://evil.example/"}
A_FORM_ON_ANOTHER_SITE = {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}
A_FORM_ON_A_SUBDOMAIN = {"Sec-Fetch-Site": "same-site", "Origin": "https://evil.example.com"}
A_PAGE_ON_ANOTHER_PORT = {"Sec-Fetch-Site": "same-site", "Origin": "https://mfa.example.com:8443"}
A_LINK_OPENED_FROM_MAIL = {"Sec-Fetch-Site": "none"}
AN_OPAQUE_ORIGIN = {"Origin": "null"}  # a sandboxed frame, a data: URL
NOTHING_TO_GO_BY = {}
FOREIGN = {
    "a link on another site": A_LINK_ON_ANOTHER_SITE,
    "a form on another site": A_FORM_ON_ANOTHER_SITE,
    "a form on a subdomain": A_FORM_ON_A_SUBDOMAIN,
    "a page on another port": A_PAGE_ON_ANOTHER_PORT,
    "a link opened from an e-mail": A_LINK_OPENED_FROM_MAIL,
    "an opaque origin": AN_OPAQUE_ORIGIN,
    "no headers to go by": NOTHING_TO_GO_BY,
}


@pytest.fixture
def deployed(monkeypatch):
    """The app deployed at APP (Reflex's deploy_url), MFA_ALLOWED_ORIGINS unset."""
    import mfa_app.mfa_app  # noqa: F401  (first: making the app reloads Reflex's config)

    monkeypatch.setattr(get_config(), "deploy_url", APP)
    monkeypatch.setattr(service, "current", lambda: Setup(settings=Settings()))


@pytest.fixture
def client(ctx: AccountContext, deployed, monkeypatch) -> TestClient:
    from mfa_app import http

    monkeypatch.setattr(http, "context", lambda: ctx)
    return TestClient(http.auth_routes, base_url=APP)


def trade(client: TestClient, nonce: str, headers: dict[str, str]):
    return client.post(
        routes.AUTH_SESSION,
        data={"nonce": nonce, "next": routes.paths.manage_mfa},
        headers=headers,
        follow_redirects=False,
    )


def assert_refused_plainly(response, status: int = 403) -> None:
    assert response.status_code == status
    assert "set-cookie" not in response.headers
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-store"
    assert "Traceback" not in response.text and "Error" not in response.text
    assert f'href="{APP}/"' in response.text  # the way back


# --- login CSRF: /auth/session --------------------------------------------------------------------


@pytest.mark.parametrize("headers", FOREIGN.values(), ids=FOREIGN.keys())
def test_the_nonce_trades_only_in_a_form_post_from_the_apps_page(ctx: AccountContext, client: TestClient, headers):
    """An attacker signs in, keeps the nonce their page was given, and gets it to the victim's
    browser: whatever way it comes, no cookie; the nonce is not used up by the refusal."""
    attacker = sign_up(ctx)
    nonce = accounts.start_handoff(ctx, attacker.token)

    refused = trade(client, nonce, headers)

    assert_refused_plainly(refused)
    assert "did not come from one of mfa_app's pages" in refused.text
    assert trade(client, nonce, FROM_THE_APP_PAGE).status_code == 303  # still the signing-in page's


@pytest.mark.parametrize(
    "headers", [FROM_THE_APP_PAGE, A_LINK_ON_ANOTHER_SITE, A_LINK_OPENED_FROM_MAIL, NOTHING_TO_GO_BY]
)
def test_a_link_to_the_session_route_is_refused_whoever_sent_it(ctx: AccountContext, client: TestClient, headers):
    """Before, the page navigated to /auth/session?nonce=…: such a link, opened anywhere, signed
    the browser in. GET trades nothing now, not even from the app's page."""
    attacker = sign_up(ctx)
    nonce = accounts.start_handoff(ctx, attacker.token)

    response = client.get(routes.AUTH_SESSION, params={"nonce": nonce}, headers=headers, follow_redirects=False)

    assert_refused_plainly(response)
    assert trade(client, nonce, FROM_THE_APP_PAGE).status_code == 303


@pytest.mark.parametrize("headers", [FROM_THE_APP_PAGE, FROM_AN_OLD_BROWSER], ids=["same origin", "old browser"])
def test_the_apps_page_trades_the_nonce(ctx: AccountContext, client: TestClient, headers):
    person = sign_up(ctx)
    response = trade(client, accounts.start_handoff(ctx, person.token), headers)

    assert response.status_code == 303 and response.headers["location"] == f"{APP}{routes.paths.manage_mfa}"
    assert "secure" in response.headers["set-cookie"].lower()  # https deploy URL


def test_the_development_page_on_another_port_trades_the_nonce(ctx: AccountContext, client: TestClient, monkeypatch):
    monkeypatch.setattr(get_config(), "deploy_url", DEV_FRONTEND)
    person = sign_up(ctx)

    response = trade(client, accounts.start_handoff(ctx, person.token), FROM_THE_DEV_PAGE)

    assert response.status_code == 303 and routes.SESSION_COOKIE in response.headers["set-cookie"]


def test_a_used_or_unknown_nonce_is_refused_plainly(ctx: AccountContext, client: TestClient):
    person = sign_up(ctx)
    nonce = accounts.start_handoff(ctx, person.token)
    assert trade(client, nonce, FROM_THE_APP_PAGE).status_code == 303

    for bad in [nonce, "", "made-up"]:
        assert_refused_plainly(trade(client, bad, FROM_THE_APP_PAGE), status=401)


# --- sign-out CSRF: /auth/sign-out ----------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("headers", FOREIGN.values(), ids=FOREIGN.keys())
def test_sign_out_from_anywhere_but_the_apps_page_changes_nothing(
    ctx: AccountContext, client: TestClient, method, headers
):
    """A cross-site link or image, or a credentialed POST from a page on the same site (another
    port, a subdomain: the SameSite=Strict cookie goes along), used to revoke the session."""
    person = sign_up(ctx)
    client.cookies.set(routes.SESSION_COOKIE, person.token)

    response = client.request(method, routes.AUTH_SIGN_OUT, headers=headers, follow_redirects=False)

    assert_refused_plainly(response)
    assert accounts.get_user(ctx, person.token).email_address == person.email


@pytest.mark.parametrize(
    "deploy_url, headers",
    [
        (APP, {"Sec-Fetch-Site": "same-origin"}),  # production: one origin
        (DEV_FRONTEND, {"Sec-Fetch-Site": "same-site", "Referer": f"{DEV_FRONTEND}/"}),  # development
        (APP, {"Referer": f"{APP}{routes.paths.manage_mfa}"}),  # an old browser
    ],
    ids=["production", "development", "old browser"],
)
def test_sign_out_works_from_the_manage_pages_get_navigation(
    ctx: AccountContext, client: TestClient, monkeypatch, deploy_url, headers
):
    """The manage page signs out with window.location.assign: a GET navigation, no Origin header."""
    monkeypatch.setattr(get_config(), "deploy_url", deploy_url)
    person = sign_up(ctx)
    client.cookies.set(routes.SESSION_COOKIE, person.token)

    response = client.get(routes.AUTH_SIGN_OUT, headers=headers, follow_redirects=False)

    assert response.status_code == 303 and response.headers["location"] == f"{deploy_url}{routes.SIGN_IN}"
    with pytest.raises(accounts.AccountError):
        accounts.get_user(ctx, person.token)


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
    monkeypatch.setattr(service, "current", lambda: Setup(settings=Settings()))
    assert origins.allowed() == {"https://mfa.example.com"}

    listed = Settings(allowed_origins=" https://mfa.example.com , https://login.example.com/ ")
    monkeypatch.setattr(service, "current", lambda: Setup(settings=listed))
    assert origins.allowed() == {"https://mfa.example.com", "https://login.example.com"}


def test_the_allowed_origin_follows_the_deploy_url_after_the_app_is_made(monkeypatch):
    """AppHarness and `reflex run` settle deploy_url after the app module made Reflex's CORS
    middleware and socket server: both ask at each request."""
    import mfa_app.mfa_app as app_module

    config = get_config()
    monkeypatch.setattr(config, "deploy_url", APP)
    monkeypatch.setattr(service, "current", lambda: Setup(settings=Settings()))
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
