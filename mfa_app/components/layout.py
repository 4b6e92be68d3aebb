"""The frame of every mfa_app page (inside the host's own, when it gave one to mount), its styles,
and what signed-out visitors of the account pages see."""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx

from mfa_app import routes
from mfa_app.state.session import SessionState

# mfa_app's own styles, for its own pages only: every rule is under the frame's class, so a
# host's pages look as they did. The look otherwise follows the app's Radix theme.
FRAME_CLASS = "mfa-app"
STYLES = f"""
.{FRAME_CLASS} .phone-list {{ list-style: none; padding: 0; margin: 0.5em 0; display: grid; gap: 0.5em; }}
.{FRAME_CLASS} .phone-row {{ display: flex; gap: 10px; align-items: center; flex-wrap: wrap; }}
.{FRAME_CLASS} .field-label {{ font-weight: 500; }}
.{FRAME_CLASS} .region-select {{ padding: 0.5em; border-radius: 6px; border: 1px solid var(--gray-7);
  background: var(--color-background); color: var(--gray-12); }}
@media print {{ .{FRAME_CLASS} button, .{FRAME_CLASS} a, .{FRAME_CLASS} h2,
  .{FRAME_CLASS} ul:not(#backup-codes) {{ display: none !important; }} }}
"""

# The host's frame around mfa_app's pages (its header, navigation), given to mount().
HostLayout = Callable[[rx.Component], rx.Component]
host_layout: HostLayout | None = None


def layout(*children: rx.Component) -> rx.Component:
    page = rx.el.div(
        rx.el.style(STYLES),
        rx.container(rx.vstack(*children, spacing="4", align="start"), size="2", padding_y="2em"),
        class_name=FRAME_CLASS,
    )
    return host_layout(page) if host_layout is not None else rx.el.main(page)


def signed_in_only(state: type[SessionState], *children: rx.Component) -> rx.Component:
    """Nothing until the session is checked (like the reference's isLoaded), then the page or
    the reference's signed-out text with a link to sign in."""
    return rx.cond(
        state.loaded,
        rx.cond(
            state.signed_in,
            rx.fragment(*children),
            rx.vstack(
                # The page's one heading (the reference's text, word for word).
                rx.heading("You must be logged in to access this page", as_="h1", size="5"),
                rx.link("Sign in", href=routes.paths.sign_in),
            ),
        ),
    )
