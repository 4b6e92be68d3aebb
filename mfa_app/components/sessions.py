"""The manage page's "Signed-in sessions": each browser, when it signed in and was last active,
"This device", "Sign out" per session and "Sign out of all other sessions"."""

from __future__ import annotations

import reflex as rx

from mfa_app.components.forms import error_text
from mfa_app.state.sessions import REVOKE, REVOKE_OTHERS, STATUS_ID, SessionsState, SessionView


def _session(session: SessionView) -> rx.Component:
    return rx.el.li(
        rx.vstack(
            rx.text(
                session.device,
                rx.cond(session.current, rx.badge("This device", margin_left="0.5em")),
                weight="medium",
            ),
            rx.text("Signed in ", session.signed_in, " · last active ", session.last_active, size="2"),
            spacing="0",
        ),
        rx.cond(
            ~session.current,
            rx.button(
                "Sign out",
                size="2",
                variant="soft",
                loading=SessionsState.running == REVOKE.key(session.id),
                on_click=SessionsState.revoke(session.id),
                id=REVOKE.key(session.id),  # where the focus returns after re-verifying
                aria_label="Sign out " + session.device,
            ),
        ),
        class_name="phone-row",
    )


def sessions_section() -> rx.Component:
    return rx.box(
        rx.heading("Signed-in sessions", as_="h2", size="4", id="signed-in-sessions"),
        # No live region of its own (the page's status region is the one): the focus moves here
        # when an action ends, which has screen readers read the outcome.
        rx.el.div(
            error_text(SessionsState.error),
            rx.cond(
                SessionsState.notice != "",
                rx.callout(SessionsState.notice, icon="check", color_scheme="green", high_contrast=True, width="100%"),
            ),
            id=STATUS_ID,
            tab_index=-1,
            width="100%",
        ),
        rx.el.ul(
            rx.foreach(SessionsState.sessions, _session),
            class_name="phone-list",
            aria_labelledby="signed-in-sessions",
        ),
        rx.cond(
            SessionsState.sessions.length() > 1,
            rx.button(
                "Sign out of all other sessions",
                variant="outline",
                loading=SessionsState.running == REVOKE_OTHERS.key(),
                on_click=SessionsState.revoke_others,
                id=REVOKE_OTHERS.key(),
            ),
        ),
        on_mount=SessionsState.load,
        width="100%",
    )
