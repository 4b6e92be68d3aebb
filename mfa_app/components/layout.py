"""The frame of every page, and what signed-out visitors of the account pages see."""

from __future__ import annotations

import reflex as rx
from reflex_components_core.core.banner import has_connection_errors

from mfa_app import routes
from mfa_app.state.session import SessionState


def layout(*children: rx.Component) -> rx.Component:
    """The page in a centred column. While the backend can't be reached (the "Reconnecting…"
    notice is up) its form controls are disabled: what they send would be lost."""
    return rx.el.main(
        rx.container(
            rx.el.fieldset(
                rx.vstack(*children, spacing="4", align="start"),
                disabled=has_connection_errors,
                class_name="page-controls",
            ),
            size="2",
            padding_y="2em",
            padding_x="1em",
        ),
    )


def section(*children: rx.Component) -> rx.Component:
    """One part of a settings page: a card with its heading and a line on what it is for."""
    return rx.card(rx.vstack(*children, spacing="3", width="100%"), width="100%", size="3", class_name="section")


def _loading() -> rx.Component:
    """What shows while the page connects and the session is checked: the page's outline."""
    return rx.vstack(
        rx.skeleton(rx.box(height="2.25em", width="60%")),
        rx.skeleton(rx.box(height="1em", width="40%")),
        rx.skeleton(rx.box(height="9em", width="100%")),
        rx.skeleton(rx.box(height="6em", width="100%")),
        spacing="4",
        width="100%",
        aria_busy="true",
        id="page-loading",
    )


def signed_in_only(state: type[SessionState], *children: rx.Component) -> rx.Component:
    """The page's outline until the session is checked (the reference's isLoaded), then the page,
    or the reference's signed-out text (what ended the session, when it ended) with a link to
    sign in and come back."""
    sign_in_here = routes.SIGN_IN + "?next=" + rx.State.router.page.path  # back to this page after
    return rx.cond(
        ~state.loaded,
        _loading(),
        rx.cond(
            state.signed_in,
            rx.fragment(*children),
            rx.vstack(
                rx.cond(
                    state.session_ended,
                    rx.callout(
                        "Your session has ended: it expired, or it was signed out from another device.",
                        icon="info",
                        color_scheme="amber",
                        high_contrast=True,
                        width="100%",
                    ),
                ),
                # The page's one heading (the reference's text, word for word).
                rx.heading("You must be logged in to access this page", as_="h1", size="5"),
                rx.link("Sign in", href=sign_in_here),
            ),
        ),
    )
