"""The HTTP routes that own the session cookie. Page scripts never see the session token:
a signed-in page POSTs a one-time nonce here in a form, and this route answers with an
HttpOnly, SameSite=Strict cookie and a redirect back to the page. Likewise a password reset
link's token leaves the URL here, for a cookie of its own (open_reset_link).

Both routes answer only requests from the app's own pages (mfa_app/origins.py): otherwise a
link or a form on another site could sign the browser in to the attacker's account (login
CSRF, with a nonce the attacker got from signing in) or sign it out. A refused request
changes nothing: the nonce stays usable by the page that holds it, for its one minute."""

from __future__ import annotations

import html
from urllib.parse import urlsplit

from reflex.config import get_config
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse
from starlette.routing import Route

from mfa_app import accounts, origins, routes
from mfa_app.accounts.recovery import RESET_TTL
from mfa_app.state.service import context

NOT_FROM_THE_APP = "This request did not come from one of mfa_app's pages, so nothing was done."


def frontend_url(path: str) -> str:
    """An absolute URL on the app's frontend; anything but a local path goes to the manage page."""
    if not path.startswith("/") or path.startswith("//"):
        path = routes.paths.manage_mfa
    return (get_config().deploy_url or "").rstrip("/") + path


def _secure() -> bool:
    return urlsplit(get_config().deploy_url or "").scheme == "https"


def refused(message: str, status: int = 403) -> HTMLResponse:
    """A plain page that says what happened, with the way back to the app."""
    body = (
        '<!doctype html><html lang="en"><meta charset="utf-8"><title>mfa_app</title>'
        f"<p>{html.escape(message, quote=False)}</p>"
        f'<p><a href="{html.escape(frontend_url("/"))}">Back to mfa_app</a></p></html>'
    )
    return HTMLResponse(body, status_code=status, headers={"Cache-Control": "no-store"})


async def start_session(request: Request):
    """Trade the nonce of a form POST from the app's page (never a link: GET is refused) for
    a fresh session token in the cookie."""
    if request.method != "POST" or not origins.from_app_page(request.headers):
        return refused(NOT_FROM_THE_APP)
    form = await request.form()
    try:
        token = accounts.finish_handoff(context(), str(form.get("nonce", "")), request.headers.get("user-agent", ""))
    except accounts.AccountError as exc:
        return refused(exc.message, exc.status)
    response = RedirectResponse(frontend_url(str(form.get("next", ""))), status_code=303)
    response.set_cookie(
        routes.SESSION_COOKIE,
        token,
        max_age=context().settings.session_ttl_s,
        httponly=True,
        samesite="strict",
        secure=_secure(),
        path="/",
    )
    response.headers["Cache-Control"] = "no-store"
    return response


async def end_session(request: Request):
    """Revoke the session (if any) and clear the cookie. The manage page comes here with a GET
    navigation (window.location.assign), so GET is answered too, from the app's pages only."""
    if not origins.from_app_page(request.headers):
        return refused(NOT_FROM_THE_APP)
    token = request.cookies.get(routes.SESSION_COOKIE, "")
    if token:
        accounts.sign_out(context(), token)
    response = RedirectResponse(frontend_url(routes.SIGN_IN), status_code=303)
    response.delete_cookie(routes.SESSION_COOKIE, path="/", httponly=True, samesite="strict", secure=_secure())
    return response


async def open_reset_link(request: Request):
    """A reset email's link: keep its token in an HttpOnly cookie for the reset page (whose
    state reads it on each event and never stores it), so the token is in no page URL, history
    entry, Referer or page state. The link stays unused until the new password is set."""
    response = RedirectResponse(frontend_url(routes.RESET_PASSWORD), status_code=303)
    token = request.query_params.get("token", "")
    if token:
        response.set_cookie(
            routes.RESET_COOKIE,
            token,
            max_age=int(RESET_TTL.total_seconds()),
            httponly=True,
            samesite="strict",
            secure=_secure(),
            path="/",
        )
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


auth_routes = Starlette(
    routes=[
        Route(routes.AUTH_SESSION, start_session, methods=["GET", "POST"]),
        Route(routes.AUTH_SIGN_OUT, end_session, methods=["GET", "POST"]),
        Route(routes.AUTH_PASSWORD_RESET, open_reset_link, methods=["GET"]),
    ]
)
