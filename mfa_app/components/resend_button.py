"""The resend button, counting its wait down in the page (resend_button.js): the server sets the
wait once when a code goes out, instead of a background event sending a state update every
second. The service still refuses a resend inside the cooldown; this is only its display."""

from __future__ import annotations

import reflex as rx
from reflex.vars.base import Var
from reflex_components_radix.themes.components.button import Button

_LIBRARY = rx.asset("resend_button.js", shared=True).importable_path


class ResendButton(Button):
    """A Radix button, disabled while its wait lasts; with `counting`, its label says the seconds
    left ("Resend code (12 s)"). Not a live region: a screen reader reads the count with the
    button's name when it comes to it, not every second."""

    library = _LIBRARY
    tag = "ResendButton"

    # The seconds left when the wait was set, and the number of that wait: a new code's wait
    # starts over even when it is as long as the last one.
    wait_seconds: Var[int]
    wait_serial: Var[int]
    # Where the page keeps the wait's deadline (sessionStorage), one key per state.
    store_key: Var[str]
    label: Var[str]
    counting: Var[bool]


def resend_button(label, state, *, counting: bool | Var[bool] = True, **props) -> rx.Component:
    """A button waiting for `state`'s resend countdown (`resend_in`, `resend_serial`)."""
    return ResendButton.create(
        wait_seconds=state.resend_in,
        wait_serial=state.resend_serial,
        store_key=state.get_full_name(),
        label=label,
        counting=counting,
        **props,
    )
