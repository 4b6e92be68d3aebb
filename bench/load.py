"""One load phase, for our socket.io sessions and the peer's HTTP clients alike, and a Recorder
that keeps each timed step's latency, the completed flows and the errors. Closed loop
(run_sessions): `sessions` concurrent sessions take flows from one queue until it is empty or
the phase's deadline passes. Open loop (run_open_loop): each flow starts at its own time (seeded
Poisson arrivals), whatever the others are doing, like people arriving.

In a paced or open-loop phase a person pauses before each event (ThinkTime); the pause ends
before the emit or the request, so it is never inside a latency."""

from __future__ import annotations

import asyncio
import random
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

T = TypeVar("T")

# What a person does before sending an event, and for how long (s) at think scale 1; each pause
# is drawn from ±50% around it.
CLICK = "read and click"
PHONE = "type the phone number"
SMS = "read the SMS and type the code"
PASSWORD = "type the password"
CODES = "read the backup codes"
THINK_S: dict[str, float] = {CLICK: 2.0, PHONE: 6.0, SMS: 10.0, PASSWORD: 5.0, CODES: 10.0}


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


class ThinkTime:
    """A person's pauses between events: THINK_S × scale, ±50%, from an RNG seeded per flow so
    that a run's pauses can be repeated."""

    def __init__(self, scale: float, seed: str) -> None:
        self.scale, self.rng = scale, random.Random(seed)

    async def pause(self, what: str) -> None:
        await asyncio.sleep(THINK_S[what] * self.scale * self.rng.uniform(0.5, 1.5))


async def pause(think: ThinkTime | None, what: str) -> None:
    if think is not None:
        await think.pause(what)


async def _run_one(flow: Callable[[T, Recorder], Awaitable[None]], item: T, rec: Recorder, prefix: str) -> None:
    start = time.perf_counter()
    try:
        await flow(item, rec)
        rec.flows_done += 1
        rec.flow_seconds.append(time.perf_counter() - start)
    except FlowError as exc:
        rec.errors.append(str(exc))
    except Exception as exc:  # every failure is counted and shown
        rec.errors.append(f"{prefix}{type(exc).__name__}: {exc}")


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
            await _run_one(flow, item, rec, prefix)

    start = time.perf_counter()
    tasks = [asyncio.create_task(session()) for _ in range(sessions)]
    _, pending = await asyncio.wait(tasks, timeout=deadline_s)
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.gather(*pending, return_exceptions=True)
        rec.errors.append(f"{prefix}phase deadline of {deadline_s:.0f} s passed: {len(pending)} sessions cancelled")
    return rec, time.perf_counter() - start


def arrivals(rate: float, duration_s: float, seed: int) -> list[float]:
    """The start times (s from the phase's start) of a Poisson process of `rate` flows/s over
    `duration_s`: exponential gaps from an RNG seeded with `seed` and the rate (one seed for
    every rate would repeat the same draws, scaled: every step as lucky or unlucky as the first)."""
    rng, t, out = random.Random(f"{seed}:{rate:g}"), 0.0, []
    while True:
        t += rng.expovariate(rate)
        if t >= duration_s:
            return out
        out.append(t)


async def run_open_loop(
    flows: list[T],
    starts: list[float],
    flow: Callable[[T, Recorder], Awaitable[None]],
    drain_s: float,
    prefix: str = "",
) -> tuple[Recorder, float]:
    """Start `flow` for each item of `flows` at its time in `starts`, each on its own, then wait
    up to `drain_s` after the last start for them to end (the ones still running then are
    cancelled and counted as errors). Returns the recorder and the wall time."""
    rec = Recorder()
    loop = asyncio.get_running_loop()
    t0 = loop.time()

    async def start_at(item: T, at: float) -> None:
        await asyncio.sleep(max(0.0, t0 + at - loop.time()))
        await _run_one(flow, item, rec, prefix)

    begin = time.perf_counter()
    tasks = [asyncio.create_task(start_at(item, at)) for item, at in zip(flows, starts, strict=True)]
    _, pending = await asyncio.wait(tasks, timeout=(starts[-1] if starts else 0.0) + drain_s) if tasks else ((), ())
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.gather(*pending, return_exceptions=True)
        rec.errors.append(f"{prefix}{len(pending)} flows still running {drain_s:.0f} s after the last arrival")
    return rec, time.perf_counter() - begin
