"""The page for an address the app doesn't have."""

from __future__ import annotations

import reflex as rx

from mfa_app import routes
from mfa_app.components.layout import layout, section


def not_found() -> rx.Component:
    return layout(
        section(
            rx.heading("Page not found", as_="h1", size="6"),
            rx.text("There is no page at this address. It may have moved, or the link may be mistyped."),
            rx.flex(
                rx.button(rx.link("Go to your MFA settings", href=routes.paths.manage_mfa), as_child=True),
                rx.link("Sign in", href=routes.SIGN_IN),
                spacing="4",
                align="center",
                wrap="wrap",
            ),
        ),
    )
