"""An example host on Clerk's users: a Reflex app whose sign-in is Clerk's (ClerkJS, loaded from
the instance's Frontend API) and that mounts mfa_app under /settings/security with
`ClerkIdentity`. mfa_app reads who is signed in from the `__session` cookie ClerkJS keeps fresh,
and keeps the phones, MFA and backup codes it sets up on the Clerk user, so Clerk's own sign-in
asks for them. The settings come from CLERK_SECRET_KEY, CLERK_JWT_KEY and CLERK_PUBLISHABLE_KEY
(docs/clerk.md)."""

from __future__ import annotations

import base64
import json
import os

import reflex as rx

import mfa_app
from mfa_app.clerk import ClerkIdentity

PUBLISHABLE_KEY = os.environ.get("CLERK_PUBLISHABLE_KEY", "")
SIGN_IN_ID = "clerk-sign-in"


def frontend_api(publishable_key: str) -> str:
    """The instance's Frontend API host, which a publishable key carries: "pk_test_" or "pk_live_",
    then the host and a "$", base64-encoded (as Clerk's own SDKs read it)."""
    encoded = publishable_key.split("_", 2)[-1]
    return base64.b64decode(encoded + "=" * (-len(encoded) % 4)).decode().rstrip("$")


# ClerkJS from the instance's Frontend API, as Clerk's JavaScript quickstart loads it; then, for a
# page opened with a `__session` token that had expired (no tab renewed it in the last minute),
# one reload once ClerkJS has renewed it: mfa_app's websocket connected with the old token.
CLERK_JS = """((publishableKey, source) => {
  if (window.clerkReady) return;
  const token = document.cookie.split('; ').find((c) => c.startsWith('__session='))?.slice(10);
  const expiresAt = (jwt) => {
    try { return JSON.parse(atob(jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/'))).exp * 1000; }
    catch { return 0; }
  };
  const staleAtOpen = !token || expiresAt(token) < Date.now();
  window.clerkReady = new Promise((ready) => {
    const script = document.createElement('script');
    script.setAttribute('data-clerk-publishable-key', publishableKey);
    script.crossOrigin = 'anonymous';
    script.async = true;
    script.src = source;
    script.addEventListener('load', async () => { await window.Clerk.load(); ready(window.Clerk); });
    document.head.appendChild(script);
  });
  window.clerkReady.then((clerk) => { if (staleAtOpen && clerk.session) window.location.reload(); });
})"""


def clerk_js() -> list[rx.Component]:
    """ClerkJS on every page: it signs people in and renews the one-minute `__session` token."""
    if not PUBLISHABLE_KEY:
        return []
    source = f"https://{frontend_api(PUBLISHABLE_KEY)}/npm/@clerk/clerk-js@5/dist/clerk.browser.js"
    return [rx.script(f"{CLERK_JS}({json.dumps(PUBLISHABLE_KEY)}, {json.dumps(source)});")]


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


app = rx.App(head_components=clerk_js())
mfa = mfa_app.mount(app, identity=ClerkIdentity(), prefix="/settings/security", sign_in="/sign-in", layout=frame)
app.add_page(home_page, route="/", title="Home", on_load=HomeState.load)
app.add_page(sign_in_page, route="/sign-in", title="Sign in")
