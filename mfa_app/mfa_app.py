"""The standalone app (`make run`): a Reflex app that mounts mfa_app on its built-in accounts,
as any host app mounts it on its own users (see the README's "Add it to your Reflex app"); with
MFA_IDENTITY=clerk on Clerk's users instead (the user of the `__session` cookie, ClerkJS on
every page, no sign-up or sign-in pages of its own: docs/clerk.md)."""

from __future__ import annotations

import reflex as rx

from mfa_app import routes
from mfa_app.components.connection import replace_reflex_overlay
from mfa_app.failures import backend_exception_handler
from mfa_app.identity import BuiltInAccounts
from mfa_app.mounting import mount
from mfa_app.pages.not_found import not_found
from mfa_app.settings import get_settings


def index() -> rx.Component:
    return rx.fragment()


def _mounted() -> rx.App:
    if get_settings().identity != "clerk":
        app = rx.App(backend_exception_handler=backend_exception_handler)
        mount(app, identity=BuiltInAccounts(), prefix="/account")
        return app
    from mfa_app.clerk import ClerkIdentity, ClerkSettings
    from mfa_app.components.clerk_js import clerk_js

    clerk = ClerkSettings()
    app = rx.App(backend_exception_handler=backend_exception_handler, head_components=clerk_js(clerk.publishable_key))
    mount(app, identity=ClerkIdentity(clerk), prefix="/account", sign_in=clerk.sign_in_url or "/")
    return app


app = _mounted()
# App-wide choices a host makes for itself: a "Reconnecting…" notice instead of Reflex's
# developer toast, and a styled 404 page.
replace_reflex_overlay(app)
app.add_page(index, route="/", on_load=rx.redirect(routes.paths.manage_mfa))
app.add_page(not_found, route="404", title="Page not found")
