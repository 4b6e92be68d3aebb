"""The busy guard of a background handler that must not run twice at once: background events are
not queued, so a double click would start a second run while the first waits on the service.

    error = ""

    def ended() -> None:  # under the state lock, in the update that turns `busy` off
        self.error = error

    async with Busy(self, error="", then=ended) as run:
        if run.refused:  # already busy
            return
        ...  # outside the state lock: call the service, set `error`

Entering takes the state lock: a run already busy is refused; else the var turns on, with the
fields given. However the block ends, the lock is taken again: the var turns off and `then` runs
(`keep()` in the block leaves the state as it is: the caller's next update says what happened)."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any, Generic, cast

from typing_extensions import TypeVar

T = TypeVar("T", default=None)  # without `read`, `values` is None


class Busy(Generic[T]):
    """`value`: what the var holds while busy (True, or the running action's name for a `str`
    var, which is "" when idle); `read`: what to read under the starting lock (`values`);
    `refuse_if`: one more reason to refuse, asked under that lock once the var is off."""

    def __init__(
        self,
        state: Any,
        value: bool | str = True,
        *,
        var: str = "busy",
        read: Callable[[], T] | None = None,
        refuse_if: Callable[[], bool] | None = None,
        then: Callable[[], Awaitable[None] | None] | None = None,
        **start: Any,
    ) -> None:
        self._state, self._value, self._var, self._start = state, value, var, start
        self._read, self._refuse_if, self._then = read, refuse_if, then
        self._kept = False
        self.refused = False
        self.values: T = cast(T, None)  # `read`'s, once entered

    def keep(self) -> None:
        """Leave the state as it is when the block ends (still busy)."""
        self._kept = True

    async def __aenter__(self) -> Busy[T]:
        async with self._state:
            if getattr(self._state, self._var) or (self._refuse_if is not None and self._refuse_if()):
                self.refused = True
                return self
            setattr(self._state, self._var, self._value)
            for name, value in self._start.items():
                setattr(self._state, name, value)
            if self._read is not None:
                self.values = self._read()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self.refused or self._kept:
            return
        async with self._state:
            setattr(self._state, self._var, "" if isinstance(self._value, str) else False)
            if self._then is not None:
                ended = self._then()
                if inspect.isawaitable(ended):
                    await ended
