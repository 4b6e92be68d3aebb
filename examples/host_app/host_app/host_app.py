"""An example host: a small Reflex app with its own users, sign-up, sign-in and home page, that
mounts mfa_app under /settings/security. Everything mfa_app asks of a host is in this file:
the identity (who is signed in, their password check), the mount, and `after_password` in the
sign-in route."""

from __future__ import annotations

import os
from pathlib import Path

import reflex as rx
from reflex.config import get_config
from reflex_base.vars import VarData
from reflex_base.vars.base import Var
from reflex_base.vars.function import FunctionStringVar
from starlette.applications import Starlette
from starlette.requests import Request as HttpRequest
from starlette.responses import RedirectResponse
from starlette.routing import Route

import mfa_app
from host_app.users import User, Users
from mfa_app.origins import from_app_page

DATA = Path(os.environ.get("EXAMPLE_DATA_DIR", ".data/example")).resolve()
COOKIE = "host_session"
users = Users(DATA / "host.db")


class HostIdentity:
    """mfa_app's question, answered from the host's own session cookie."""

    def signed_in(self, request: mfa_app.Request) -> mfa_app.HostUser | None:
        token = request.cookies.get(COOKIE, "")
        user = users.by_session(token)
        return _host_user(user, token) if user else None

    def check_password(self, user_id: str, password: str) -> bool:
        return users.check_password(int(user_id), password)


def _host_user(user: User, token: str) -> mfa_app.HostUser:
    return mfa_app.HostUser(user_id=str(user.id), session_key=token, email=user.email)


# --- the host's sign-in: HTML forms posted to these routes, which own the HttpOnly cookie -------


def _frontend(path: str) -> str:
    return (get_config().deploy_url or "").rstrip("/") + path


def _signed_in(user: User, next_path: str) -> RedirectResponse:
    token = users.start_session(user)
    # After the password: the challenge when the user has MFA on (mfa_app counts this session as
    # signed in only once it passes), else straight on.
    where = mfa.after_password(_host_user(user, token), next_path)
    response = RedirectResponse(_frontend(where), status_code=303)
    response.set_cookie(COOKIE, token, httponly=True, samesite="strict", path="/")
    return response


async def register(request: HttpRequest):
    form = await request.form()
    email, password = str(form.get("email", "")), str(form.get("password", ""))
    if not from_app_page(request.headers) or "@" not in email or len(password) < 8:
        return RedirectResponse(_frontend("/register?error=invalid"), status_code=303)
    user = users.register(email, password)
    if user is None:
        return RedirectResponse(_frontend("/register?error=taken"), status_code=303)
    return _signed_in(user, "/")


async def login(request: HttpRequest):
    form = await request.form()
    user = users.check(str(form.get("email", "")), str(form.get("password", "")))
    if not from_app_page(request.headers) or user is None:
        return RedirectResponse(_frontend("/login?error=incorrect"), status_code=303)
    return _signed_in(user, "/")


async def sign_out(request: HttpRequest):
    if from_app_page(request.headers):
        users.end_session(request.cookies.get(COOKIE, ""))
    response = RedirectResponse(_frontend("/login"), status_code=303)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
    return response


host_routes = Starlette(
    routes=[
        Route("/host/register", register, methods=["POST"]),
        Route("/host/login", login, methods=["POST"]),
        Route("/host/sign-out", sign_out, methods=["POST"]),
    ]
)

# The backend's origin, known in the browser (the development frontend is on another port).
BACKEND = Var(
    _js_expr="getBackendURL(env.UPLOAD).origin",
    _var_data=VarData(
        imports={"$/utils/state": "getBackendURL", "$/env.json": rx.ImportVar(tag="env", is_default=True)}
    ),
).to(str)


# Reflex's forms always cancel the browser's own submission (to send an event instead): these
# send the form as the browser would, a plain POST to the action (no script, no websocket).
NATIVE_SUBMIT = FunctionStringVar.create("((_fields, ev) => ev.target.submit())")


# --- pages --------------------------------------------------------------------------------------


def header() -> rx.Component:
    return rx.el.header(
        rx.flex(
            rx.link(rx.text("Host app", size="4", weight="bold"), href="/"),
            rx.el.form(
                rx.button("Sign out", variant="soft", type="submit"),
                action=BACKEND + "/host/sign-out",
                method="post",
                on_submit=NATIVE_SUBMIT,
            ),
            justify="between",
            align="center",
            padding="1em",
        ),
    )


def frame(content: rx.Component) -> rx.Component:
    """The host's layout, around its own pages and around mfa_app's."""
    return rx.fragment(header(), rx.el.main(content))


class FormState(rx.State):
    error: str = ""

    @rx.event
    def load(self):
        reason = self.router.url.query_parameters.get("error", "")
        self.error = {
            "incorrect": "Email address or password is incorrect.",
            "taken": "An account with this email address already exists.",
            "invalid": "Enter an email address and a password of at least 8 characters.",
        }.get(reason, "")


def credentials_page(heading: str, action: str, button: str, autocomplete: str, other: rx.Component) -> rx.Component:
    """The register and sign-in pages: the same two fields, posted to the host's own route."""
    return frame(
        rx.container(
            rx.heading(heading, as_="h1"),
            rx.cond(FormState.error != "", rx.callout(FormState.error, color_scheme="red", role="alert")),
            rx.el.form(
                rx.vstack(
                    rx.el.label("Email address", html_for="email"),
                    rx.input(id="email", name="email", type="email", auto_complete="email", required=True),
                    rx.el.label("Password", html_for="password"),
                    rx.input(
                        id="password", name="password", type="password", auto_complete=autocomplete, required=True
                    ),
                    rx.button(button, type="submit"),
                    align="start",
                ),
                action=BACKEND + action,
                method="post",
                on_submit=NATIVE_SUBMIT,
            ),
            other,
        )
    )


def register_page() -> rx.Component:
    return credentials_page(
        "Create your account",
        "/host/register",
        "Create account",
        "new-password",
        rx.link("Already registered? Sign in", href="/login"),
    )


def login_page() -> rx.Component:
    return credentials_page(
        "Sign in to Host app",
        "/host/login",
        "Sign in",
        "current-password",
        rx.link("No account yet? Register", href="/register"),
    )


class HomeState(rx.State):
    email: str = ""

    @rx.event
    async def load(self):
        # mfa_app's helper: signed out, waiting for the second factor, or verified (only then
        # does it name the user). The redirect takes the visitor to sign in or to the challenge.
        access = await mfa.access(self)
        self.email = access.user.email if access.user else ""
        return mfa.redirect_for(access, self)


def home_page() -> rx.Component:
    return frame(
        rx.container(
            rx.heading("Home", as_="h1"),
            rx.text("Signed in as ", rx.text.strong(HomeState.email)),
            rx.link("Security settings", href="/settings/security/manage-mfa"),
        )
    )


app = rx.App(api_transformer=host_routes)
mfa = mfa_app.mount(
    app,
    identity=HostIdentity(),
    prefix="/settings/security",
    sign_in="/login",
    layout=frame,
    settings=mfa_app.Settings(
        data_dir=DATA,
        database_url=f"sqlite:///{DATA / 'host.db'}",  # mfa_app's tables beside the host's
        sms_outbox=DATA / "sms_outbox.jsonl",
        email_outbox=DATA / "email_outbox.jsonl",
    ),
)
app.add_page(home_page, route="/", title="Home", on_load=HomeState.load)
app.add_page(register_page, route="/register", title="Register", on_load=FormState.load)
app.add_page(login_page, route="/login", title="Sign in", on_load=FormState.load)
