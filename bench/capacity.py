"""Capacity at a service level: open-loop load at rising rates until the service level breaks.

At each rate, flows start as a seeded Poisson process for a fixed time, each a person with
think time between events (load.run_open_loop); the step then waits for its flows to end. A
step holds the service level when every flow completed without an error, the p99 of the light
events (every timed step but the argon2id ones, connects and the hand-off POST included) is under
LIGHT_P99_MS and the p99 of the argon2id events under HASHING_P99_MS. The capacity is the highest
rate that held, every lower one having held too. The rates double until a step breaks, then one
more step between the last that held and the first that broke narrows the figure to a factor 1.41.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from bench.load import Recorder
from bench.report import percentile

LIGHT_P99_MS = 100.0
HASHING_P99_MS = 1000.0


@dataclass
class Plan:
    first_rate: float  # flows/s of the first step
    max_rate: float  # no step above it (the client's own limits)
    step_s: float  # arrivals per step, in seconds
    min_flows: int  # a slow rate's step lasts longer: this many arrivals expected at least
    think_scale: float  # times THINK_S
    drain_s: float  # how long a step waits for its last flows, after the last arrival
    budget_s: float  # no new step once a search has run this long

    def step_duration(self, rate: float) -> float:
        return max(self.step_s, self.min_flows / rate)


def service_level(rec: Recorder, hashing_kinds: set[str], arrived: int, parts: set[str]) -> dict:
    """The step's figures and whether they hold the service level (and if not, what broke).
    `parts`: marks timed inside another kind's span, left out (their kind counts)."""
    timed = {kind: values for kind, values in rec.latencies.items() if kind not in parts and values}
    light = [v for kind, values in timed.items() if kind not in hashing_kinds for v in values]
    heavy = [v for kind, values in timed.items() if kind in hashing_kinds for v in values]
    light_p99 = round(percentile(light, 0.99), 1) if light else None
    heavy_p99 = round(percentile(heavy, 0.99), 1) if heavy else None
    broke = []
    if rec.errors or rec.flows_done < arrived:
        broke.append(f"{len(rec.errors)} errors")
    if light_p99 is not None and light_p99 >= LIGHT_P99_MS:
        broke.append(f"light p99 {light_p99:,.0f} ms")
    if heavy_p99 is not None and heavy_p99 >= HASHING_P99_MS:
        broke.append(f"argon2id p99 {heavy_p99:,.0f} ms")
    by_kind = {kind: percentile(values, 0.99) for kind, values in timed.items()}
    return {
        "slowest_p99_ms": {k: round(v, 1) for k, v in sorted(by_kind.items(), key=lambda kv: -kv[1])[:3]},
        "flows": rec.flows_done,
        "arrived": arrived,
        "errors": len(rec.errors),
        "error_messages": rec.errors[:5],
        "light_p99_ms": light_p99,
        "light_p50_ms": round(percentile(light, 0.5), 1) if light else None,
        "hashing_p99_ms": heavy_p99,
        "holds": not broke,
        "broke": ", ".join(broke),
    }


def search(step: Callable[[float], dict], plan: Plan, log: Callable[[str], None], what: str) -> dict:
    """Run `step(rate)` (a dict from service_level, plus the step's CPU) at rising rates; the
    highest rate that held, the steps, and what ended the search."""
    started = time.monotonic()
    steps: list[dict] = []
    held, broke_at, rate, narrowed = 0.0, math.inf, plan.first_rate, False
    while True:
        if time.monotonic() - started > plan.budget_s:
            ended = f"time budget of {plan.budget_s:.0f} s spent"
            break
        result = {"rate": round(rate, 3), **step(rate)}
        steps.append(result)
        log(
            f"{what}: {rate:.2f} flows/s {'holds' if result['holds'] else 'breaks: ' + result['broke']}; "
            f"light p99 {result['light_p99_ms']} ms, argon2id p99 {result['hashing_p99_ms']} ms, "
            f"{result['flows']}/{result['arrived']} flows"
        )
        if result["holds"]:
            held = rate
        else:
            broke_at = rate
        if broke_at == math.inf:  # still rising
            if rate * 2 > plan.max_rate:
                ended = f"the bench's highest rate held ({rate:g} flows/s)"
                break
            rate *= 2
        elif not held:
            ended = "the first rate broke the service level"
            break
        elif narrowed:
            ended = "one step between the last rate that held and the first that broke"
            break
        else:
            rate, narrowed = math.sqrt(held * broke_at), True
    return {
        "capacity_flows_per_s": round(held, 3),
        "ended": ended,
        "first_break": next((s for s in steps if not s["holds"]), None),
        "steps": steps,
    }
