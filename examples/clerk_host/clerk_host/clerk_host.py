"""An example host on Clerk's users: a Reflex app whose sign-in is Clerk's (ClerkJS, loaded from
the instance's Frontend API) and that mounts mfa_app under /settings/security with
`ClerkIdentity`. mfa_app reads who is signed in from the `__session` cookie ClerkJS keeps fresh,
and keeps the phones, MFA and backup codes it sets up on the Clerk user, so Clerk's own sign-in
asks for them. The settings come from CLERK_SECRET_KEY, CLERK_JWT_KEY and CLERK_PUBLISHABLE_KEY
(docs/clerk.md)."""

from __future__ import annotations

import os

import reflex as rx

import mfa_app
from mfa_app.clerk import ClerkIdentity
from mfa_app.components.clerk_js import clerk_js

PUBLISHABLE_KEY = os.environ.get("CLERK_PUBLISHABLE_KEY", "")
SIGN_IN_ID = "clerk-sign-in"


def header() -> rx.Component:
    return rx.el.header(
        rx.flex(
            rx.link(rx.text("Clerk host", size="4", weight="bold"), href="/"),
            rx.button(
                "Sign out",
                variant="soft",
                on_click=rx.call_script("window.clerkReady?.then((clerk) => clerk.signOut({redirectUrl: '/sign-in'}))"),
            ),
            justify="between",
            align="center",
            padding="1em",
        ),
    )


def frame(content: rx.Component) -> rx.Component:
    """The host's layout, around its own pages and around mfa_app's."""
    return rx.fragment(header(), rx.el.main(content))


def sign_in_page() -> rx.Component:
    """Clerk's <SignIn/>, mounted by ClerkJS; it asks for the second factor mfa_app set up."""
    return frame(
        rx.container(
            rx.heading("Sign in", as_="h1"),
            rx.el.div(id=SIGN_IN_ID),
            on_mount=rx.call_script(
                f"window.clerkReady?.then((clerk) => clerk.mountSignIn(document.getElementById('{SIGN_IN_ID}')))"
            ),
        )
    )


class HomeState(rx.State):
    email: str = ""

    @rx.event
    async def load(self):
        # Clerk's sign-in is not enough: mfa_app's access says whether its second factor is done
        # (a Clerk sign-in that did not pass one waits at /settings/security/second-factor).
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


app = rx.App(head_components=clerk_js(PUBLISHABLE_KEY))
mfa = mfa_app.mount(app, identity=ClerkIdentity(), prefix="/settings/security", sign_in="/sign-in", layout=frame)
app.add_page(home_page, route="/", title="Home", on_load=HomeState.load)
app.add_page(sign_in_page, route="/sign-in", title="Sign in")
