"""What the sign-in's second step and the re-verification dialog share: sending a code to one of
the user's MFA phones, from a background handler (the SMS provider may take seconds)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from mfa_app import accounts


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
