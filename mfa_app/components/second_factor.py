"""The second step of a sign-in (the built-in sign-in page, a host's challenge page) and what it
shares with the re-verification dialog: the line saying where the code went, and the other ways
to finish (resend, another phone, a backup code, back to a text)."""

from __future__ import annotations

import reflex as rx

from mfa_app.components.forms import code_field, error_text, field, submit_button
from mfa_app.components.resend_button import resend_button
from mfa_app.state.second_factor import CODE_ID, SecondFactorState


def sent_line(state) -> rx.Component:
    return rx.cond(
        state.method == "backup_code",
        rx.text("Enter one of your backup codes."),
        rx.cond(state.sent_to != "", rx.text("We sent a code to ", state.sent_to, ".")),
    )


def _phone_button(state, phone) -> rx.Component:
    """ "Resend code (N s)" for the phone the code went to, "Send code to …" for the others; all
    wait for the countdown."""
    this_phone = phone.masked == state.sent_to
    return resend_button(
        rx.cond(this_phone, "Resend code", "Send code to " + phone.masked),
        state,
        counting=this_phone,
        variant="soft",
        type="button",
        loading=state.sending,
        on_click=state.send_code(phone.id),
    )


def other_ways(state) -> rx.Component:
    return rx.flex(
        rx.cond(
            state.method == "backup_code",
            rx.cond(
                state.phones.length() > 0,
                rx.button(
                    "Use a text message instead", variant="ghost", type="button", on_click=state.use_text_message
                ),
            ),
            rx.fragment(
                rx.foreach(state.phones, lambda phone: _phone_button(state, phone)),
                rx.cond(
                    state.backup_code_available,
                    rx.button("Use a backup code", variant="ghost", type="button", on_click=state.use_backup_code),
                ),
            ),
        ),
        spacing="3",
        align="center",
        wrap="wrap",
        width="100%",
    )


def second_factor_form(state: type[SecondFactorState]) -> rx.Component:
    """A code sent to the default MFA phone, another MFA phone, or a backup code."""
    return rx.vstack(
        rx.heading("Verify it's you", as_="h1"),
        sent_line(state),
        rx.form(
            rx.vstack(
                rx.cond(
                    state.method == "backup_code",
                    field("Enter code", CODE_ID, auto_complete="off", spell_check=False, on_change=state.clear_error),
                    code_field(id=CODE_ID, auto_focus=True, on_change=state.clear_error),
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
        other_ways(state),
        width="100%",
    )
