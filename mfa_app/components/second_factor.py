"""The second step of a sign-in, on the built-in sign-in page and on a host's challenge page."""

from __future__ import annotations

import reflex as rx

from mfa_app.components.forms import code_field, error_text, field, submit_button
from mfa_app.state.second_factor import CODE_ID, SecondFactorPhone, SecondFactorState


def _other_phone(state: type[SecondFactorState], phone: SecondFactorPhone) -> rx.Component:
    return rx.button(
        "Send code to " + phone.masked,
        variant="soft",
        type="button",
        loading=state.sending,
        on_click=state.send_code(phone.id),
    )


def second_factor_form(state: type[SecondFactorState]) -> rx.Component:
    """The second step of a sign-in: a code sent to the default MFA phone, another MFA phone, or
    a backup code."""
    return rx.vstack(
        rx.heading("Verify it's you", as_="h1"),
        rx.cond(
            state.method == "backup_code",
            rx.text("Enter one of your backup codes."),
            rx.cond(state.sent_to != "", rx.text("We sent a code to ", state.sent_to, ".")),
        ),
        rx.form(
            rx.vstack(
                rx.cond(
                    state.method == "backup_code",
                    field("Enter code", CODE_ID, auto_complete="off", spell_check=False),
                    code_field(id=CODE_ID, auto_focus=True),
                ),
                error_text(state.error),
                submit_button("Continue", state.busy),
                spacing="3",
                width="100%",
            ),
            on_submit=state.verify,
            reset_on_submit=True,
            width="100%",
        ),
        rx.flex(
            rx.foreach(state.phones, lambda phone: _other_phone(state, phone)),
            rx.cond(
                state.backup_code_available & (state.method != "backup_code"),
                rx.button("Use a backup code", variant="ghost", type="button", on_click=state.use_backup_code),
            ),
            spacing="2",
            wrap="wrap",
        ),
        width="100%",
    )
