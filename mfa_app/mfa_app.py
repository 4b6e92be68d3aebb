"""The standalone app (`make run`): a Reflex app that mounts mfa_app on its built-in accounts,
as any host app mounts it on its own users (see the README's "Add it to your Reflex app")."""

from __future__ import annotations

import reflex as rx

from mfa_app import routes
from mfa_app.failures import backend_exception_handler
from mfa_app.identity import BuiltInAccounts
from mfa_app.mounting import mount


def index() -> rx.Component:
    return rx.fragment()


app = rx.App(backend_exception_handler=backend_exception_handler)
mount(app, identity=BuiltInAccounts(), prefix="/account")
app.add_page(index, route="/", on_load=rx.redirect(routes.paths.manage_mfa))
