"""What the sign-in's second step, the host challenge and the re-verification dialog share:
the second step's view data, sending a code to one of the user's MFA phones from a background
handler (the SMS provider may take seconds), and the wait for the next resend."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import reflex as rx

from mfa_app import accounts
from mfa_app.accounts.models import SecondFactor
from mfa_app.accounts.sms_codes import RESEND_COOLDOWN
from mfa_app.state.busy import Busy
from mfa_app.state.events import event

# Where the focus returns when the service refuses a code.
CODE_ID = "code"


@dataclasses.dataclass
class SecondFactorPhone:
    id: str
    masked: str


def phones_of(factors: list[SecondFactor]) -> list[SecondFactorPhone]:
    """The MFA phones among a sign-in's second factors, in the service's order (default first)."""
    return [
        SecondFactorPhone(f.phone_number_id or "", f.safe_identifier or "")
        for f in factors
        if f.strategy == "phone_code"
    ]


class SecondFactorState(rx.State, mixin=True):
    """The view data of a sign-in's second step (mfa_app/components/second_factor.py lays it
    out); each state that has the step sends and checks the codes its own way."""

    method: rx.Field[str] = rx.field("phone_code")  # phone_code / backup_code
    phones: rx.Field[list[SecondFactorPhone]] = rx.field(default_factory=list)
    backup_code_available: rx.Field[bool] = rx.field(False)
    sent_to: rx.Field[str] = rx.field("")
    # The wait for the next resend, counted down in the page (components/resend_button.py).
    resend_in: rx.Field[int] = rx.field(0)
    resend_serial: rx.Field[int] = rx.field(0)
    busy: rx.Field[bool] = rx.field(False)
    sending: rx.Field[bool] = rx.field(False)
    error: rx.Field[str] = rx.field("")

    if TYPE_CHECKING:  # each state that has the step checks the code its own way

        @event
        def verify(self, form_data: dict) -> None: ...

    @event
    def use_backup_code(self):
        self.method, self.error = "backup_code", ""

    @event
    def use_text_message(self):
        self.method, self.error = "phone_code", ""

    @event
    def clear_error(self):
        """The person types again: the message about the last try is done with."""
        self.error = ""


def set_resend_wait(state, seconds: int) -> None:
    """Start the wait for the next resend (`resend_in`, `resend_serial`): the page counts it down.
    The serial is the moment the wait ends, in ms of the server's clock: a new number for each
    wait, and what `resend_waiting` compares with."""
    state.resend_in = max(0, seconds)
    state.resend_serial = int(time.time() * 1000) + state.resend_in * 1000 if seconds > 0 else 0


def resend_waiting(state) -> bool:
    return state.resend_in > 0 and state.resend_serial > time.time() * 1000


async def send_code(state, phone_id: str, send: Callable[[], Awaitable[object]]) -> bool:
    """`state` has `sending`, `error`, `method`, `sent_to`, `resend_in` and `resend_serial`,
    `backup_code_available` and `phones` (each with `id` and `masked`); `send` asks the service
    to send the code. A second send while one runs is refused. True when a new wait for the next
    resend starts.

    The countdown is the only place the wait is said: a send refused because a code went out
    moments ago is no error (that code still works), only the countdown's start."""
    error, sent_to, resend_in = "", "", 0

    def masked() -> str:
        return next((p.masked for p in state.phones if p.id == phone_id), "")

    def code_still_works() -> bool:
        """A code went out moments ago, and it still works: say where it went, send none."""
        if not resend_waiting(state):
            return False
        state.error, state.method, state.sent_to = "", "phone_code", masked()
        return True

    def ended() -> None:
        state.error = error
        set_resend_wait(state, resend_in)
        if sent_to:
            state.sent_to = sent_to

    async with Busy(
        state, var="sending", error="", method="phone_code", refuse_if=code_still_works, read=masked, then=ended
    ) as run:
        if run.refused:
            return False
        try:
            await send()
            sent_to, resend_in = run.values, int(RESEND_COOLDOWN.total_seconds())
        except accounts.AccountError as exc:
            if exc.code == "verification_code_too_many_requests":
                sent_to, resend_in = run.values, int(exc.meta.get("seconds_left", 0))
            else:
                error = exc.message
                if exc.meta.get("seconds_left") and state.backup_code_available:
                    error += " Or use a backup code."
    return resend_in > 0
