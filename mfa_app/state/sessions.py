"""The manage page's list of signed-in sessions: sign out one, or every other one (sensitive
actions: re-verified first, then finished by the re-verification dialog)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime
from typing import Any

import reflex as rx

from mfa_app import accounts
from mfa_app.state.busy import Busy
from mfa_app.state.events import event
from mfa_app.state.reverify import NeedsReverification, SensitiveAction, call_sensitive
from mfa_app.state.session import SessionState, focus

STATUS_ID = "sessions-status"
REVOKE = SensitiveAction("sessions.revoke", "sign out another session")
REVOKE_OTHERS = SensitiveAction("sessions.revoke_others", "sign out of all other sessions")


@dataclasses.dataclass
class SessionView:
    id: str
    device: str  # "Firefox on Windows"
    signed_in: str
    last_active: str
    current: bool


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


class SessionsState(SessionState):
    sessions: rx.Field[list[SessionView]] = rx.field(default_factory=list)
    running: rx.Field[str] = rx.field("")  # the action that runs (SensitiveAction.key), "" when none
    error: rx.Field[str] = rx.field("")
    notice: rx.Field[str] = rx.field("")

    @event
    async def load(self):
        self.running = self.error = self.notice = ""
        await self._refresh()

    async def _refresh(self) -> None:
        try:
            listed = await self._call(accounts.list_sessions)
        except accounts.AccountError:
            listed = []  # signed out: the page says so
        self.sessions = [
            SessionView(
                s.id, f"{s.browser} on {s.operating_system}", _when(s.signed_in_at), _when(s.last_active_at), s.current
            )
            for s in listed
        ]

    async def _act(self, action: SensitiveAction, args: list, fn, *fn_args, said: Callable[[Any], str]):
        """Run `action` on `args` (for background handlers), like the manage page's actions:
        `running` while it runs, re-verify if asked, say what happened and move the focus there."""
        notice, error, reverify = "", "", None

        async def ended() -> None:
            self.error, self.notice = error, notice
            await self._refresh()

        async with Busy(self, action.key(*args), var="running", error="", notice="", then=ended) as run:
            if run.refused:
                return
            try:
                notice = said(await call_sensitive(self, action, args, fn, *fn_args))
            except NeedsReverification as needed:
                reverify = needed.event
            except accounts.AccountError as exc:
                error = exc.message
        yield reverify if reverify is not None else focus(STATUS_ID)

    @event(background=True)
    async def revoke(self, session_id: str):
        async for update in self._act(
            REVOKE,
            [session_id],
            accounts.revoke_session,
            session_id,
            said=lambda _: "That session was signed out.",
        ):
            yield update

    @event(background=True)
    async def revoke_others(self):
        async for update in self._act(
            REVOKE_OTHERS,
            [],
            accounts.revoke_other_sessions,
            said=lambda count: f"Signed out of {count} other session{'' if count == 1 else 's'}.",
        ):
            yield update


REVOKE.finished_by(SessionsState.revoke)
REVOKE_OTHERS.finished_by(SessionsState.revoke_others)
