"""What an app that serves mfa_app's states must install once: the session cookie kept out of
Reflex's stored state, tab state bound to its session, payloads checked by type."""

from __future__ import annotations

import reflex as rx

from mfa_app.state import connections
from mfa_app.state.payloads import PayloadTypes
from mfa_app.state.tab_owner import TabOwner


def protect(app: rx.App) -> None:
    connections.install()
    # Before anything else sees the event: the owner check comes before the hydrate's snapshot.
    app.add_middleware(PayloadTypes(), index=0)
    app.add_middleware(TabOwner(), index=0)
