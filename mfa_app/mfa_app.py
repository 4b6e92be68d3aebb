"""The Reflex app: the pages, the session-cookie HTTP routes, and the dev outbox when on."""

from __future__ import annotations

import logging

import reflex as rx
from reflex.utils.prerequisites import get_states_dir

from mfa_app import origins, routes
from mfa_app.components.connection import replace_reflex_overlay
from mfa_app.dev_only import refuse_outbox_in_production
from mfa_app.failures import backend_exception_handler
from mfa_app.http import auth_routes
from mfa_app.logs import escape_every_log_record
from mfa_app.pages import add_phone, manage_mfa, password_reset, sign_in  # noqa: F401  (registers the @rx.page routes)
from mfa_app.pages.dev_outbox import dev_outbox
from mfa_app.pages.not_found import not_found
from mfa_app.private_files import keep_private
from mfa_app.settings import get_settings
from mfa_app.state.dev_outbox import DevOutboxState
from mfa_app.state.protection import protect
from mfa_app.tasks import purge_periodically


def index() -> rx.Component:
    return rx.fragment()


refuse_outbox_in_production(get_settings())
escape_every_log_record()
# httpx logs each request's URL at INFO; a webhook URL may carry a credential.
logging.getLogger("httpx").setLevel(logging.WARNING)

settings = get_settings()
keep_private(settings.data_dir, get_states_dir())

app = rx.App(
    stylesheets=["/styles.css"],
    api_transformer=auth_routes,
    backend_exception_handler=backend_exception_handler,
)
protect(app)
replace_reflex_overlay(app)
# Reflex hands the socket server a copy of config.cors_allowed_origins made now, before the
# frontend's URL is settled (see mfa_app/origins.py): let it ask at each handshake instead.
assert app.sio is not None  # made by rx.App
app.sio.eio.cors_allowed_origins = origins.is_allowed
app.add_page(index, route="/", on_load=rx.redirect(routes.MANAGE_MFA))
app.add_page(not_found, route="404", title="Page not found")
app.register_lifespan_task(purge_periodically)
if settings.sms_provider == "outbox":
    app.add_page(dev_outbox, route=routes.DEV_OUTBOX, title="SMS outbox", on_load=DevOutboxState.load)
