"""`event`: Reflex's `rx.event`, typed for mypy. Reflex types its decorator through the return of
`EventNamespace.__new__`, which mypy does not read (it takes any `__new__` to make an instance of
its class), so each handler would be an `EventNamespace`, "not callable" where a page passes it
arguments. The same decorator, with the signature Reflex declares: a page's handler call is
checked against the handler's parameters."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVarTuple, overload

import reflex as rx
from reflex.event import EventCallback

Args = TypeVarTuple("Args")


@overload
def event(fn: Callable[[Any, *Args], Any], /) -> EventCallback[*Args]: ...


@overload
def event(*, background: bool) -> Callable[[Callable[[Any, *Args], Any]], EventCallback[*Args]]: ...


def event(fn: Any = None, /, **options: Any) -> Any:
    return rx.event(**options) if fn is None else rx.event(fn, **options)
