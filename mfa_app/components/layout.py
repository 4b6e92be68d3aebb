"""The frame of every page, and what signed-out visitors of the account pages see."""

from __future__ import annotations

import reflex as rx

from mfa_app import routes
from mfa_app.state.session import SessionState


def layout(*children: rx.Component) -> rx.Component:
    return rx.el.main(
        rx.container(rx.vstack(*children, spacing="4", align="start"), size="2", padding_y="2em"),
    )


def signed_in_only(state: type[SessionState], *children: rx.Component) -> rx.Component:
    """Nothing until the session is checked (like the reference's isLoaded), then the page or
    the reference's signed-out text with a link to sign in."""
    sign_in_here = routes.SIGN_IN + "?next=" + rx.State.router.page.path  # back to this page after
    return rx.cond(
        state.loaded,
        rx.cond(
            state.signed_in,
            rx.fragment(*children),
            rx.vstack(
                rx.cond(
                    state.session_ended,
                    rx.fragment(
                        rx.heading("Your session has ended", as_="h1", size="5"),
                        rx.text(
                            "You were signed out: the session expired, or it was signed out from another "
                            "device. You must be logged in to access this page."
                        ),
                    ),
                    # The page's one heading (the reference's text, word for word).
                    rx.heading("You must be logged in to access this page", as_="h1", size="5"),
                ),
                rx.link("Sign in", href=sign_in_here),
            ),
        ),
    )
