"""/account/manage-mfa: the reference's "User MFA Settings" page."""

from __future__ import annotations

import reflex as rx
from reflex.vars.base import Var

from mfa_app import routes
from mfa_app.components.backup_codes import backup_codes_section
from mfa_app.components.forms import error_text, notice_text
from mfa_app.components.layout import layout, section, signed_in_only
from mfa_app.components.phone_lists import available_phone_list, confirm_dialog, mfa_phone_list, unverified_phone_list
from mfa_app.components.reverify_dialog import reverify_dialog
from mfa_app.components.sessions import sessions_section
from mfa_app.state.manage_mfa import STATUS_ID, EventView, ManageMfaState


def _local_time(at: Var | str) -> Var:
    """The browser's own date and time for an ISO time, like "Dec 2, 2026, 9:30 AM"."""
    utc_iso = Var.create(at)  # in a page, the var of an event's `at` (a Var already: kept as is)
    return Var(
        _js_expr=f'new Date({utc_iso._js_expr}).toLocaleString(undefined, {{dateStyle: "medium", timeStyle: "short"}})',
        _var_data=utc_iso._get_all_var_data(),
    )


def _event(event: EventView) -> rx.Component:
    return rx.el.li(rx.text(rx.el.time(_local_time(event.at), date_time=event.at), " — ", event.text, size="2"))


def _security_events() -> rx.Component:
    return section(
        rx.heading("Recent security events", as_="h2", size="4", id="security-events"),
        rx.text("Sign-ins and changes to your account, newest first, in your own time zone.", size="2"),
        rx.el.ul(rx.foreach(ManageMfaState.events, _event), aria_labelledby="security-events", class_name="event-list"),
        rx.cond(
            ManageMfaState.more_events,
            rx.button("Show more", variant="ghost", on_click=ManageMfaState.show_more_events),
        ),
    )


def _header() -> rx.Component:
    """The page's heading, whose account it is, whether two-step verification is on, sign out."""
    on = ManageMfaState.two_factor_enabled
    return rx.flex(
        rx.vstack(
            rx.heading("User MFA Settings", as_="h1"),
            rx.text("Signed in as ", rx.text.strong(ManageMfaState.email), size="2"),
            rx.text(
                "Two-step verification: ",
                rx.badge(rx.cond(on, "On", "Off"), color_scheme=rx.cond(on, "green", "gray"), high_contrast=True),
                size="2",
                id="mfa-status-line",
            ),
            spacing="1",
        ),
        # Only where the mount has a sign-out to go to (a host's layout usually has its own).
        rx.button(
            "Sign out",
            variant="outline",
            loading=ManageMfaState.running == "sign_out",
            on_click=ManageMfaState.sign_out,
        )
        if routes.paths.sign_out
        else rx.fragment(),
        justify="between",
        align="start",
        gap="3",
        wrap="wrap",
        width="100%",
    )


def _phones() -> rx.Component:
    return section(
        rx.text(
            "When you sign in, a code is sent by text message to your default MFA phone. Keep a second phone "
            "or backup codes for when that phone is not at hand.",
            size="2",
        ),
        mfa_phone_list(),
        available_phone_list(),
        unverified_phone_list(),
        rx.link("Add a new phone number", href=routes.paths.add_phone),
    )


def manage_mfa() -> rx.Component:
    return layout(
        signed_in_only(
            ManageMfaState,
            _header(),
            rx.el.div(
                error_text(ManageMfaState.error),
                notice_text(ManageMfaState.notice),
                id=STATUS_ID,
                tab_index=-1,
                width="100%",
            ),
            _phones(),
            backup_codes_section(),
            section(sessions_section()),
            _security_events(),
            confirm_dialog(),
            reverify_dialog(),
        )
    )
