"""/dev/outbox: the local outbox's latest messages (only with MFA_SMS_PROVIDER=outbox)."""

from __future__ import annotations

import reflex as rx

from mfa_app.components.layout import layout
from mfa_app.state.dev_outbox import DevOutboxState, OutboxMessage


def _message(message: OutboxMessage) -> rx.Component:
    return rx.el.li(
        rx.text(message.sent_at, " to ", message.recipient, size="2", weight="medium"),
        rx.el.pre(message.body, white_space="pre-wrap", overflow_wrap="anywhere"),  # no sideways scroll on a phone
    )


def dev_outbox() -> rx.Component:
    return layout(
        rx.heading("SMS outbox", as_="h1"),
        rx.text("Messages the app would have sent, newest first. Development only."),
        rx.button("Refresh", on_click=DevOutboxState.load),
        rx.el.ul(rx.foreach(DevOutboxState.messages, _message)),
    )
