"""The frame of every mfa_app page (inside the host's own, when it gave one to mount), its styles,
and what signed-out visitors of the account pages see."""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx
from reflex_components_core.core.banner import has_connection_errors

from mfa_app import routes
from mfa_app.components.forms import error_text
from mfa_app.state.session import SessionState

# mfa_app's own styles, on its own pages only (the style element is part of each page) and every
# rule under the frame's class, so a host's pages and its header around ours look as they did.
# The look otherwise follows the app's Radix theme.
FRAME_CLASS = "mfa-app"
_F = f".{FRAME_CLASS}"
STYLES = f"""
{_F} .phone-list {{ list-style: none; padding: 0; margin: 0.5em 0; display: grid; }}
/* A row: the number on the left, its actions lined up on the right. */
{_F} .phone-row {{ display: flex; gap: 0.5em 1em; align-items: center; justify-content: space-between;
  flex-wrap: wrap; padding: 0.6em 0; border-top: 1px solid var(--gray-a5); }}
{_F} .phone-row:first-child {{ border-top: none; }}
/* Narrow screens: the actions under the number, one full-width button each, none left alone. */
@media (max-width: 600px) {{
  {_F} .phone-row {{ flex-direction: column; align-items: stretch; }}
  {_F} .row-actions {{ display: grid !important; grid-template-columns: 1fr; }}
}}
{_F} .page-controls {{ border: none; margin: 0; padding: 0; min-width: 0; width: 100%; }}
{_F} .event-list {{ list-style: none; padding: 0; margin: 0; display: grid; gap: 0.35em; }}
{_F} .field-label {{ font-weight: 500; }}
{_F} .region-select {{ padding: 0.5em; border-radius: 6px; border: 1px solid var(--gray-7);
  background: var(--color-background); color: var(--gray-12); }}
{_F} #backup-codes {{ display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 0.5em 1.5em;
  list-style: none; margin: 0; padding: 1em; border: 1px solid var(--gray-6); border-radius: var(--radius-3);
  counter-reset: backup-code; }}
{_F} #backup-codes li {{ counter-increment: backup-code; }}
{_F} #backup-codes li::before {{ content: counter(backup-code) ". "; color: var(--gray-11);
  font-variant-numeric: tabular-nums; }}
{_F} .print-only {{ display: none; }}
/* Print, on the page that shows new backup codes: a sheet of the codes only, with the account and
   the date (the host's frame around the page is hidden too). */
@media print {{
  body * {{ visibility: hidden; }}
  #backup-codes-sheet, #backup-codes-sheet * {{ visibility: visible; }}
  #backup-codes-sheet {{ position: absolute; top: 0; left: 0; }}
  {_F} .print-only {{ display: block; }}
}}
/* Dark mode: Radix's solid indigo under white text is 4.3:1; one step darker reaches 4.5:1. */
.dark {_F} .rt-BaseButton.rt-variant-solid:not(.rt-high-contrast):not([data-accent-color="red"]):not(:disabled) {{
  background-color: #4561d6; }}
.dark {_F} .rt-BaseButton.rt-variant-solid:not(.rt-high-contrast):not([data-accent-color="red"]):not(:disabled):hover {{
  background-color: #3b55c4; }}
"""

# The host's frame around mfa_app's pages (its header, navigation), given to mount().
HostLayout = Callable[[rx.Component], rx.Component]
host_layout: HostLayout | None = None


def layout(*children: rx.Component) -> rx.Component:
    """The page in a centred column. While the backend can't be reached (the "Reconnecting…"
    notice is up) its form controls are disabled: what they send would be lost."""
    page = rx.el.div(
        rx.el.style(STYLES),
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
        class_name=FRAME_CLASS,
    )
    return host_layout(page) if host_layout is not None else rx.el.main(page)


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
    sign in and come back, or, when nobody could say who is signed in, why and "Try again"."""
    sign_in_here = routes.paths.sign_in + "?next=" + rx.State.router.page.path.to(str)  # back to this page after
    return rx.cond(
        ~state.loaded,
        _loading(),
        rx.cond(
            state.signed_in,
            rx.fragment(*children),
            rx.cond(state.unavailable != "", _unavailable(state), _signed_out(state, sign_in_here)),
        ),
    )


def _unavailable(state: type[SessionState]) -> rx.Component:
    """Nobody could say whether the visitor is signed in: the reason, and a way to ask again."""
    return rx.vstack(
        rx.heading("This page can't be shown right now", as_="h1", size="5"),
        error_text(state.unavailable),
        rx.button("Try again", on_click=rx.call_script("window.location.reload()")),
    )


def _signed_out(state: type[SessionState], sign_in_here) -> rx.Component:
    return rx.vstack(
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
    )
