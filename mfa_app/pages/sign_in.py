"""/sign-up and /sign-in, with the second step once MFA is on."""

from __future__ import annotations

import reflex as rx

from mfa_app import routes
from mfa_app.accounts.passwords import RULES as PASSWORD_RULES
from mfa_app.components.forms import error_text, field, submit_button
from mfa_app.components.layout import layout, section
from mfa_app.components.second_factor import second_factor_form
from mfa_app.state.sign_in import EMAIL_ID, PASSWORD_ID, SignInState, SignUpState


def _credentials(on_submit, busy, button: str, password_autocomplete: str, password_hint: str = "") -> rx.Component:
    # Disabled until the page is connected to the backend. A production build serves this form
    # as static HTML first: submitted before then, the browser would send it itself, as a GET
    # with the password in the URL (history, proxy logs), and typing would be lost.
    return rx.form(
        rx.el.fieldset(
            rx.vstack(
                field("Email address", EMAIL_ID, type="email", auto_complete="email"),
                field(
                    "Password", PASSWORD_ID, hint=password_hint, type="password", auto_complete=password_autocomplete
                ),
                submit_button(button, busy),
                spacing="3",
                width="100%",
            ),
            disabled=~rx.State.is_hydrated,
            style={"border": "none", "margin": "0", "padding": "0", "min_width": "0"},
        ),
        on_submit=on_submit,
        width="100%",
    )


def _sign_up_refused() -> rx.Component:
    """The service's reason; for an email address already in use, the way to sign in instead."""
    return rx.cond(
        SignUpState.refusal_kind == "form_identifier_exists",
        rx.callout(
            rx.fragment(
                "An account with this email address already exists. ",
                rx.link("Sign in instead", href=routes.SIGN_IN, underline="always"),
            ),
            icon="triangle_alert",
            color_scheme="red",
            role="alert",
            width="100%",
        ),
        error_text(SignUpState.error),
    )


def sign_up() -> rx.Component:
    return layout(
        section(
            rx.heading("Sign up", as_="h1", on_mount=SignUpState.load),
            _sign_up_refused(),
            _credentials(SignUpState.submit, SignUpState.busy, "Sign up", "new-password", password_hint=PASSWORD_RULES),
            rx.text("Already have an account? ", rx.link("Sign in", href=routes.SIGN_IN, underline="always")),
        ),
    )


def sign_in() -> rx.Component:
    return layout(
        section(
            rx.cond(
                SignInState.step == "second_factor",
                second_factor_form(SignInState),
                rx.vstack(
                    rx.heading("Sign in", as_="h1"),
                    error_text(SignInState.error),
                    _credentials(SignInState.submit, SignInState.busy, "Sign in", "current-password"),
                    rx.link("Forgot password?", href=routes.FORGOT_PASSWORD, underline="always"),
                    rx.text("No account yet? ", rx.link("Sign up", href=routes.SIGN_UP, underline="always")),
                    width="100%",
                ),
            ),
        ),
    )
