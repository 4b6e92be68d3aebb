"""The step-up re-verification dialog: asks for the strongest factor the user has, then finishes
the action that needed it (like Clerk's useReverification)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import reflex as rx
from reflex.event import EventCallback

from mfa_app import accounts
from mfa_app.state import second_factor
from mfa_app.state.busy import Busy
from mfa_app.state.events import event
from mfa_app.state.second_factor import SecondFactorPhone, SecondFactorState
from mfa_app.state.session import SessionState


@dataclasses.dataclass(frozen=True)
class SensitiveAction:
    """An action that may ask the person to re-verify first ("remove a phone number"). Its `key`
    on the action's arguments is at once the name the dialog finishes it by, the id of the
    control that starts it (disabled while it runs, so it loses the focus: the dialog gives the
    focus back to it) and what the owning state's busy var holds while it runs. One value for
    the three, so the states and the components can't drift apart."""

    name: str  # "manage.remove": unique among the sensitive actions
    purpose: str  # what the dialog says it confirms: "remove a phone number from your account"

    def key(self, *args: Any) -> Any:
        """`name`, then each argument after a "-": a str for the states, a Var for components."""
        key: Any = self.name
        for arg in args:
            key = key + "-" + arg
        return key

    def finished_by(self, handler: Callable[..., object]) -> None:
        """The event the dialog calls, with the action's arguments, once the person is verified."""
        _FINISHERS[self.name] = (self, handler)


# The actions the dialog may finish, by name: filled in by the states that own them.
_FINISHERS: dict[str, tuple[SensitiveAction, Callable[..., object]]] = {}


class ReverifyState(SecondFactorState, SessionState):
    """The second factor's view data and handlers are the sign-in's (SecondFactorState); `method`
    may also be "password" here, for a user without MFA."""

    is_open: rx.Field[bool] = rx.field(False)
    needs_password: rx.Field[bool] = rx.field(False)
    # What the dialog confirms, in the person's words: "generate new backup codes".
    purpose: rx.Field[str] = rx.field("")
    # The id of the control that started the action (SensitiveAction.key).
    return_focus: rx.Field[str] = rx.field("")

    _retry_action: str = ""
    _retry_args: tuple = ()

    @event
    async def start(self, action: str, args: list):
        """Open the dialog for `action`, to be finished with `args` once verified."""
        if action not in _FINISHERS:
            return
        self._retry_action, self._retry_args = action, tuple(args)
        sensitive = _FINISHERS[action][0]
        self.purpose, self.return_focus = sensitive.purpose, sensitive.key(*args)
        self.error, self.sent_to, self.busy = "", "", False
        try:
            status = await self._call(accounts.reverification_status)
        except accounts.AccountError as exc:
            self.error = exc.message
            return
        self.needs_password = status.level == "first_factor"
        self.phones = [SecondFactorPhone(p.phone_number_id or "", p.safe_identifier or "") for p in status.phones]
        self.backup_code_available = "backup_code" in status.factors
        self.method = "password" if self.needs_password else "phone_code"
        self.is_open = True
        if self.phones:
            yield ReverifyState.send_code(self.phones[0].id)

    @event(background=True)
    async def send_code(self, phone_id: str):
        await second_factor.send_code(self, phone_id, lambda: self._call(accounts.prepare_reverification, phone_id))

    @event(background=True)
    async def submit(self, form_data: dict):
        verified, error, action, args = False, "", "", ()

        def ended() -> None:
            nonlocal action, args
            self.error = error
            action, args = self._retry_action, self._retry_args
            if verified:
                self._close()

        async with Busy(self, error="", refuse_if=self._nothing_to_finish, read=lambda: self.method, then=ended) as run:
            if run.refused:
                return
            try:
                await self._call(accounts.reverify, run.values, str(form_data.get("secret", "")))
                verified = True
            except accounts.AccountError as exc:
                error = exc.message
        # Cancelled while the check ran: verified, but nothing to finish.
        if verified and action in _FINISHERS:
            yield _FINISHERS[action][1](*args)

    @event
    def cancel(self):
        self._close()

    @event
    def set_open(self, is_open: bool):
        if not is_open:
            self._close()

    def _nothing_to_finish(self) -> bool:
        """Called by name without an open dialog, there is nothing to finish: don't spend the
        person's code (or count a failure) on it."""
        if not self.is_open or self._retry_action not in _FINISHERS:
            self._close()
            return True
        return False

    def _close(self) -> None:
        self.is_open, self.error, self.sent_to = False, "", ""
        self._retry_action, self._retry_args = "", ()


class NeedsReverification(Exception):
    """Raised by `call_sensitive`: the caller yields `event` to open the dialog."""

    def __init__(self, event: EventCallback[()]) -> None:
        self.event = event


async def call_sensitive(state: SessionState, action: SensitiveAction, args: list, fn, *fn_args):
    """Call a sensitive service function; when it answers session_reverification_required,
    raise NeedsReverification with the event that opens the dialog and later finishes `action`
    with `args`."""
    try:
        return await state._call(fn, *fn_args)
    except accounts.AccountError as exc:
        if exc.code == "session_reverification_required":
            raise NeedsReverification(ReverifyState.start(action.name, args)) from None
        raise
