"""Event payloads checked against the handler's annotations before any handler runs.

Any page can call any handler by name with any payload over the websocket; Reflex passes the
payload through as the client sent it (an int where a str is declared, a list for an id, missing
or extra arguments). A value of the wrong type is replaced by the empty value of the declared
type, which every handler already refuses as a wrong value ("" is no phone id, {} a form with no
code), so a wrong type gets the same answer as a wrong value and never an exception.

Reflex's generic `setvar(name, value)` handler, which every state has, calls `set_<name>(value)`
past this check: no mfa_app page uses it, so it is refused."""

from __future__ import annotations

import functools
import typing
from typing import Any

from reflex.middleware import Middleware
from reflex.state import BaseState, State, StateUpdate

EMPTY: dict[type, Any] = {str: "", bool: False, int: 0, dict: {}, list: []}


def checked(value: Any, declared: Any) -> Any:
    """`value` when it has the declared type (for dict[str, str] and list[str], every item too),
    else the declared type's empty value."""
    origin = typing.get_origin(declared) or declared
    item_types = typing.get_args(declared)
    if origin not in EMPTY:
        raise TypeError(f"handler argument type {declared!r} has no empty value")
    empty = type(EMPTY[origin])()
    if origin is int:
        return value if isinstance(value, int) and not isinstance(value, bool) else empty
    if not isinstance(value, origin):
        return empty
    if origin is dict and item_types:
        key_type, value_type = item_types
        return {
            k: v if isinstance(v, value_type) else EMPTY[value_type]
            for k, v in value.items()
            if isinstance(k, key_type)
        }
    if origin is list and item_types and not all(isinstance(item, item_types[0]) for item in value):
        return empty
    return value


REFUSED_HANDLERS = frozenset({"setvar"})


@functools.cache
def _arguments(event_name: str) -> dict[str, Any] | None:
    """The declared arguments of the mfa_app handler `event_name` names; None for other events
    (Reflex's own, a host's)."""
    state_path, _, handler_name = event_name.rpartition(".")
    try:
        state_cls = State.get_class_substate(state_path)
    except ValueError:
        return None
    handler = state_cls.event_handlers.get(handler_name)
    if handler is None or not state_cls.__module__.startswith("mfa_app."):
        return None
    hints = typing.get_type_hints(handler.fn)
    hints.pop("return", None)
    return hints


def refused(event_name: str) -> bool:
    return _arguments(event_name) is not None and event_name.rpartition(".")[2] in REFUSED_HANDLERS


def check_payload(event_name: str, payload: dict) -> dict:
    """The payload with exactly the handler's arguments, each of its declared type."""
    arguments = _arguments(event_name)
    if arguments is None:
        return payload
    return {name: checked(payload.get(name), declared) for name, declared in arguments.items()}


class PayloadTypes(Middleware):
    async def preprocess(self, app, state: BaseState, event) -> StateUpdate | None:
        if refused(event.name):
            return StateUpdate()  # answered with nothing: the handler does not run
        fixed = check_payload(event.name, event.payload)
        if fixed is not event.payload:
            event.payload.clear()
            event.payload.update(fixed)
        return None
