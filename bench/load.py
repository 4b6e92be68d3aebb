"""One load phase, for our socket.io sessions and the peer's HTTP clients alike: `sessions`
concurrent sessions take flows from one queue until it is empty or the phase's deadline passes,
and a Recorder keeps each timed step's latency, the completed flows and the errors."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

T = TypeVar("T")


class FlowError(Exception):
    """A flow that could not finish; the message says at which step and why."""


@dataclass
class Recorder:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    flows_done: int = 0
    flow_seconds: list[float] = field(default_factory=list)

    def add(self, kind: str, ms: float) -> None:
        self.latencies[kind].append(ms)


async def run_sessions(
    flows: list[T],
    sessions: int,
    flow: Callable[[T, Recorder], Awaitable[None]],
    deadline_s: float,
    prefix: str = "",
) -> tuple[Recorder, float]:
    """Run `flow` once for each item of `flows`, `sessions` at a time, each session taking the
    next item as soon as its last flow ends. Returns the recorder and the wall time from the
    start to the last flow's end. `prefix` starts the error messages this function writes."""
    rec = Recorder()
    queue: asyncio.Queue[T] = asyncio.Queue()
    for item in flows:
        queue.put_nowait(item)

    async def session() -> None:
        while True:
            try:
                item = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            start = time.perf_counter()
            try:
                await flow(item, rec)
                rec.flows_done += 1
                rec.flow_seconds.append(time.perf_counter() - start)
            except FlowError as exc:
                rec.errors.append(str(exc))
            except Exception as exc:  # every failure is counted and shown
                rec.errors.append(f"{prefix}{type(exc).__name__}: {exc}")

    start = time.perf_counter()
    tasks = [asyncio.create_task(session()) for _ in range(sessions)]
    _, pending = await asyncio.wait(tasks, timeout=deadline_s)
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.gather(*pending, return_exceptions=True)
        rec.errors.append(f"{prefix}phase deadline of {deadline_s:.0f} s passed: {len(pending)} sessions cancelled")
    return rec, time.perf_counter() - start
