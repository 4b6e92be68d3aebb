"""/forgot-password and /reset-password: a reset link by email, then a new password."""

from __future__ import annotations

import reflex as rx

from mfa_app import routes
from mfa_app.components.forms import error_text, field, submit_button
from mfa_app.components.layout import layout
from mfa_app.state.password_reset import (
    DONE_ID,
    EMAIL_ID,
    PASSWORD_ID,
    SENT_ID,
    ForgotPasswordState,
    ResetPasswordState,
)


def _form(on_submit, *children: rx.Component) -> rx.Component:
    # Disabled until the page is connected to the backend, like the sign-in form: submitted
    # before then, the browser would send it itself as a GET.
    return rx.form(
        rx.el.fieldset(
            rx.vstack(*children, spacing="3", width="100%"),
            disabled=~rx.State.is_hydrated,
            style={"border": "none", "margin": "0", "padding": "0", "min_width": "0"},
        ),
        on_submit=on_submit,
        width="100%",
    )


def forgot_password() -> rx.Component:
    return layout(
        rx.heading("Forgot password?", as_="h1"),
        rx.cond(
            ForgotPasswordState.sent,
            rx.callout(
                "If an account uses that email address, we sent it a link to choose a new password. "
                "The link works once, for 30 minutes.",
                icon="mail",
                id=SENT_ID,
                tab_index=-1,
                role="status",
                width="100%",
            ),
            rx.text("Enter the email address of your account, and we'll send you a link to choose a new password."),
        ),
        error_text(ForgotPasswordState.error),
        _form(
            ForgotPasswordState.submit,
            field("Email address", EMAIL_ID, type="email", auto_complete="email"),
            submit_button("Send reset link", ForgotPasswordState.busy),
        ),
        rx.link("Back to sign in", href=routes.SIGN_IN),
    )


def _new_password() -> rx.Component:
    return rx.fragment(
        rx.text("Choose a new password: at least 8 characters, not a common one."),
        error_text(ResetPasswordState.error),
        _form(
            ResetPasswordState.submit,
            field("New password", PASSWORD_ID, type="password", auto_complete="new-password"),
            submit_button("Set new password", ResetPasswordState.busy),
        ),
    )


def _changed() -> rx.Component:
    return rx.vstack(
        rx.callout(
            "Your password was changed, and every device was signed out. Sign in with the new password.",
            icon="check",
            color_scheme="green",
            high_contrast=True,
            id=DONE_ID,
            tab_index=-1,
            role="status",
            width="100%",
        ),
        rx.link("Sign in", href=routes.SIGN_IN),
    )


def _refused() -> rx.Component:
    return rx.vstack(
        error_text(ResetPasswordState.error),
        rx.link("Ask for a new link", href=routes.FORGOT_PASSWORD),
    )


def reset_password() -> rx.Component:
    return layout(
        rx.heading("Reset password", as_="h1"),
        rx.cond(
            ResetPasswordState.loaded,
            rx.cond(
                ResetPasswordState.done,
                _changed(),
                rx.cond(ResetPasswordState.link_usable, _new_password(), _refused()),
            ),
        ),
    )
