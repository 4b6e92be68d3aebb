"""The standalone app (`make run`): a Reflex app that mounts mfa_app on its built-in accounts,
as any host app mounts it on its own users (see the README's "Add it to your Reflex app")."""

from __future__ import annotations

import reflex as rx

from mfa_app import routes
from mfa_app.components.connection import replace_reflex_overlay
from mfa_app.failures import backend_exception_handler
from mfa_app.identity import BuiltInAccounts
from mfa_app.mounting import mount
from mfa_app.pages.not_found import not_found


def index() -> rx.Component:
    return rx.fragment()


app = rx.App(backend_exception_handler=backend_exception_handler)
mount(app, identity=BuiltInAccounts(), prefix="/account")
# App-wide choices a host makes for itself: a "Reconnecting…" notice instead of Reflex's
# developer toast, and a styled 404 page.
replace_reflex_overlay(app)
app.add_page(index, route="/", on_load=rx.redirect(routes.paths.manage_mfa))
app.add_page(not_found, route="404", title="Page not found")
