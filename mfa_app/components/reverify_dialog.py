"""The step-up dialog: the strongest factor the user has, then the original action finishes."""

from __future__ import annotations

import reflex as rx

from mfa_app.components.forms import code_field, error_text, field, focus_element, submit_button
from mfa_app.components.second_factor import other_ways, sent_line
from mfa_app.state.reverify import ReverifyState


def _second_factor_form() -> rx.Component:
    return rx.vstack(
        sent_line(ReverifyState),
        rx.cond(
            ReverifyState.method == "backup_code",
            field("Backup code", "secret", auto_complete="off", spell_check=False, on_change=ReverifyState.clear_error),
            code_field(id="secret", on_change=ReverifyState.clear_error),
        ),
        width="100%",
    )


def reverify_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Confirm it's you"),
            rx.dialog.description(
                rx.cond(
                    ReverifyState.needs_password,
                    "Enter your password to continue.",
                    "Enter a code from a text message, or a backup code, to continue.",
                )
            ),
            rx.text("You asked to ", ReverifyState.purpose, ".", size="2", color_scheme="gray", high_contrast=True),
            rx.form(
                rx.vstack(
                    rx.cond(
                        ReverifyState.needs_password,
                        field(
                            "Password",
                            "secret",
                            type="password",
                            auto_complete="current-password",
                            on_change=ReverifyState.clear_error,
                        ),
                        _second_factor_form(),
                    ),
                    error_text(ReverifyState.error),
                    rx.cond(~ReverifyState.needs_password, other_ways(ReverifyState)),
                    rx.flex(
                        rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray", type="button")),
                        submit_button("Continue", ReverifyState.busy),
                        spacing="3",
                        justify="end",
                        width="100%",
                    ),
                    spacing="3",
                ),
                on_submit=ReverifyState.submit,
                reset_on_submit=True,
            ),
            # Radix gives the focus back to what had it when the dialog opened; the control that
            # started the action had lost it by then (disabled while busy): focus that control.
            on_close_auto_focus=focus_element(ReverifyState.return_focus),
        ),
        open=ReverifyState.is_open,
        on_open_change=ReverifyState.set_open,
    )
