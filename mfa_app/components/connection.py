"""What a person sees while the page can't reach the backend: a plain "Reconnecting…" notice
instead of Reflex's developer toast (which shows the websocket URL and error text)."""

from __future__ import annotations

import reflex as rx
from reflex_components_core.core.banner import has_connection_errors


def reconnecting_notice() -> rx.Component:
    return rx.cond(
        has_connection_errors,
        rx.box(
            rx.callout(
                "Reconnecting… Your changes wait until the connection is back.",
                icon="wifi_off",
                color_scheme="amber",
                high_contrast=True,
                role="alert",
            ),
            # Above the page, wherever the app's own frame puts things.
            position="fixed",
            top="0.75em",
            left="50%",
            transform="translateX(-50%)",
            z_index="1000",
            max_width="calc(100% - 2em)",
        ),
    )


def replace_reflex_overlay(app: rx.App) -> None:
    """Put the notice where Reflex's connection toaster and pulser would be."""
    app.app_wraps[(5, "Overlay")] = lambda stateful: reconnecting_notice() if stateful else None
