"""The Reflex app: the pages, the session-cookie HTTP routes, and the dev outbox when on."""

from __future__ import annotations

import logging

import reflex as rx

from mfa_app import routes
from mfa_app.http import auth_routes
from mfa_app.pages import add_phone, manage_mfa, sign_in  # noqa: F401  (registers the @rx.page routes)
from mfa_app.pages import password_reset  # noqa: F401
from mfa_app.pages.dev_outbox import dev_outbox
from mfa_app.settings import get_settings
from mfa_app.state.dev_outbox import DevOutboxState
from mfa_app.tasks import purge_periodically


def index() -> rx.Component:
    return rx.fragment()


# httpx logs each request's URL at INFO; a webhook URL may carry a credential.
logging.getLogger("httpx").setLevel(logging.WARNING)

app = rx.App(
    stylesheets=["/styles.css"],
    api_transformer=auth_routes,
)
app.add_page(index, route="/", on_load=rx.redirect(routes.MANAGE_MFA))
app.register_lifespan_task(purge_periodically)
if get_settings().sms_provider == "outbox":
    app.add_page(dev_outbox, route=routes.DEV_OUTBOX, title="SMS outbox", on_load=DevOutboxState.load)
