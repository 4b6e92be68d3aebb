"""/dev/outbox: the latest messages of the local outbox, so a person trying the app can read
the codes. Registered only when the outbox provider is on."""

from __future__ import annotations

import dataclasses

import reflex as rx

from mfa_app.settings import get_settings
from mfa_app.sms.outbox import OutboxSender


@dataclasses.dataclass
class OutboxMessage:
    recipient: str
    body: str
    sent_at: str


class DevOutboxState(rx.State):
    messages: list[OutboxMessage] = []

    @rx.event
    def load(self):
        # The state class is registered whatever the provider, so this handler can be called by
        # name even when the page is not: read the outbox only when it is the provider in use.
        settings = get_settings()
        if settings.sms_provider != "outbox":
            self.messages = []
            return
        latest = OutboxSender(settings.sms_outbox).messages()[-20:]
        self.messages = [OutboxMessage(m["to"], m["body"], m["sent_at"]) for m in reversed(latest)]
