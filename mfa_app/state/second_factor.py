"""What the sign-in's second step and the re-verification dialog share: sending a code to one of
the user's MFA phones, from a background handler (the SMS provider may take seconds)."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable

import reflex as rx

from mfa_app import accounts
from mfa_app.accounts.models import SecondFactor

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

    method: str = "phone_code"  # phone_code / backup_code
    phones: list[SecondFactorPhone] = []
    backup_code_available: bool = False
    sent_to: str = ""
    busy: bool = False
    sending: bool = False
    error: str = ""

    @rx.event
    def use_backup_code(self):
        self.method, self.error = "backup_code", ""


async def send_code(state, phone_id: str, send: Callable[[], Awaitable[object]]) -> None:
    """`state` has `sending`, `error`, `method`, `sent_to` and `phones` (each with `id` and
    `masked`); `send` asks the service to send the code. A second send while one runs is refused."""
    async with state:
        if state.sending:
            return
        state.sending, state.error, state.method = True, "", "phone_code"
    error, sent_to = "", ""
    try:
        await send()
        sent_to = next((p.masked for p in state.phones if p.id == phone_id), "")
    except accounts.AccountError as exc:
        error = exc.message
    finally:
        async with state:
            state.sending, state.error = False, error
            if sent_to:
                state.sent_to = sent_to
