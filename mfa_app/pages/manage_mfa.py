"""/account/manage-mfa: the reference's "User MFA Settings" page."""

from __future__ import annotations

import reflex as rx

from mfa_app import routes
from mfa_app.components.backup_codes import backup_codes_section
from mfa_app.components.forms import error_text, notice_text
from mfa_app.components.layout import layout, signed_in_only
from mfa_app.components.phone_lists import available_phone_list, confirm_dialog, mfa_phone_list
from mfa_app.components.reverify_dialog import reverify_dialog
from mfa_app.components.sessions import sessions_section
from mfa_app.state.manage_mfa import STATUS_ID, EventView, ManageMfaState


def _event(event: EventView) -> rx.Component:
    return rx.el.li(rx.text(event.when, " — ", event.text, " ", event.detail, size="2"))


def _security_events() -> rx.Component:
    return rx.box(
        rx.heading("Recent security events", as_="h2", size="4", id="security-events"),
        rx.el.ul(rx.foreach(ManageMfaState.events, _event), aria_labelledby="security-events"),
    )


def _sign_out() -> rx.Component:
    return rx.button(
        "Sign out",
        variant="outline",
        loading=ManageMfaState.busy == "sign_out",
        on_click=ManageMfaState.sign_out,
    )


def manage_mfa() -> rx.Component:
    return layout(
        signed_in_only(
            ManageMfaState,
            rx.flex(
                rx.heading("User MFA Settings", as_="h1"),
                _sign_out() if routes.paths.sign_out else rx.fragment(),
                justify="between",
                align="center",
                width="100%",
            ),
            rx.el.div(
                error_text(ManageMfaState.error),
                notice_text(ManageMfaState.notice),
                id=STATUS_ID,
                tab_index=-1,
                width="100%",
            ),
            mfa_phone_list(),
            available_phone_list(),
            rx.link("Add a new phone number", href=routes.paths.add_phone),
            backup_codes_section(),
            sessions_section(),
            _security_events(),
            confirm_dialog(),
            reverify_dialog(),
        )
    )
