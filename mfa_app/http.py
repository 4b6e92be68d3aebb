"""The HTTP routes that own the session cookie. Page scripts never see the session token:
a signed-in page sends the browser here with a one-time nonce, and this route answers with an
HttpOnly, SameSite=Strict cookie and a redirect back to the page. Likewise a password reset
link's token leaves the URL here, for a cookie of its own (open_reset_link)."""

from __future__ import annotations

from urllib.parse import urlsplit

from reflex.config import get_config
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse
from starlette.routing import Route

from mfa_app import accounts, routes
from mfa_app.accounts.recovery import RESET_TTL
from mfa_app.state.service import context


def frontend_url(path: str) -> str:
    """An absolute URL on the app's frontend; anything but a local path goes to the manage page."""
    if not path.startswith("/") or path.startswith("//"):
        path = routes.MANAGE_MFA
    return get_config().deploy_url.rstrip("/") + path


def _secure() -> bool:
    return urlsplit(get_config().deploy_url or "").scheme == "https"


async def start_session(request: Request):
    try:
        nonce, user_agent = request.query_params.get("nonce", ""), request.headers.get("user-agent", "")
        token = accounts.finish_handoff(context(), nonce, user_agent)
    except accounts.AccountError as exc:
        return PlainTextResponse(exc.message, status_code=exc.status)
    response = RedirectResponse(frontend_url(request.query_params.get("next", "")), status_code=303)
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
    """Revoke the session (if any) and clear the cookie."""
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
        Route(routes.AUTH_SESSION, start_session, methods=["GET"]),
        Route(routes.AUTH_SIGN_OUT, end_session, methods=["GET", "POST"]),
        Route(routes.AUTH_PASSWORD_RESET, open_reset_link, methods=["GET"]),
    ]
)
