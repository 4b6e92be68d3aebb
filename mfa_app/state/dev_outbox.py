"""/dev/outbox: the latest messages of the local outbox, so a person trying the app can read
the codes. Registered only when the outbox provider is on."""

from __future__ import annotations

import dataclasses

import reflex as rx

from mfa_app.dev_only import is_local_client
from mfa_app.sms.outbox import OutboxSender
from mfa_app.state.events import event
from mfa_app.state.service import current


@dataclasses.dataclass
class OutboxMessage:
    recipient: str
    body: str
    sent_at: str


class DevOutboxState(rx.State):
    messages: rx.Field[list[OutboxMessage]] = rx.field(default_factory=list)

    @event
    def load(self):
        # The state class is registered whatever the provider, so this handler can be called by
        # name even when the page is not: read the outbox only when it is the provider in use,
        # and only for a client on this machine.
        settings = current().settings
        local = is_local_client(self.router.session.client_ip, self.router.headers.raw_headers)
        if settings.sms_provider != "outbox" or not local:
            self.messages = []
            return
        latest = OutboxSender(settings.sms_outbox).messages()[-20:]
        self.messages = [OutboxMessage(m["to"], m["body"], m["sent_at"]) for m in reversed(latest)]
