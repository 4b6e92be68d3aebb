"""`make bench` / `make bench QUICK=1`: every measurement of issues 5 and 15, in one run, then
bench/results/latest.json, report.md and chart.png.

    .venv/bin/python -m bench.run [--quick] [--no-scaleout] [--no-peer] [--no-startup] [--no-profile]
        [--paced-sessions N] [--think-scale X] [--out DIR]

Only loopback servers, each started here in its own process group and stopped at the end
(whatever happens); every phase has a time bound.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import itertools
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import psutil

import throwaway_servers
from bench import backup_check, capacity, codes, pageweight, procs, report, sessions, startup, write_contention
from bench import peer as peer_module
from bench.app_server import PASSWORD, ROOT, AppConfig, AppServer, BenchService, tool_env
from bench.capacity import Plan
from bench.load import THINK_S, Recorder, arrivals
from bench.peer import HASHING_KINDS as PEER_HASHING_KINDS
from bench.peer import KINDS as PEER_KINDS
from bench.peer import PeerServer, PeerUser, peer_open_loop, run_peer_load
from bench.profile import Profiler
from bench.sessions import HASHING_KINDS, KINDS, MARKS, SignInUser, User, idle_sessions, phone_number, run_load

ROUTES = ["/account/manage-mfa", "/account/add-phone", "/sign-in", "/sign-up", "/"]
FULL = {
    "counts": [1, 50, 200],
    "flows": {1: 10, 50: 100, 200: 200},
    "deadline_s": 900,
    "call_timeout_s": 300,
    "scaleout_counts": [1, 50, 200],
    # The open-loop capacity phases replace the paced one (`--paced-sessions 200` runs it).
    "paced_sessions": 0,
    "think_scale": 1.0,
    "write_contention": True,
    "capacity": Plan(first_rate=0.5, max_rate=32, step_s=10, min_flows=8, think_scale=0.2, drain_s=30, budget_s=150),
    "scaleout_capacity": True,
}
# QUICK takes under 3 minutes: fewer sessions, short capacity steps, one scale-out count.
QUICK = {
    "counts": [1, 10],
    "flows": {1: 2, 10: 10},
    "deadline_s": 150,
    "call_timeout_s": 90,
    "scaleout_counts": [10],
    "paced_sessions": 0,
    "think_scale": 0.1,
    "write_contention": False,
    "capacity": Plan(first_rate=0.5, max_rate=8, step_s=5, min_flows=6, think_scale=0.05, drain_s=15, budget_s=20),
    "scaleout_capacity": False,
}
MIXES = ("sign_in", "manage")
CAPACITY_SEED = 15
TARGET_SESSIONS = 200
SCALEOUT_WORKERS = 3
PACED_SEED = 5


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


class Phase:
    """CPU used by the servers and by this client process, machine-wide busy share, load."""

    def __init__(self, server_pids: list[int]) -> None:
        self.pids = server_pids
        self.start = time.perf_counter()
        self.server0 = _cpu(server_pids)
        self.client0 = sum(psutil.Process().cpu_times()[:2])
        self.machine0 = psutil.cpu_times()

    def end(self) -> dict:
        wall = time.perf_counter() - self.start
        server = _cpu(self.pids) - self.server0
        client = sum(psutil.Process().cpu_times()[:2]) - self.client0
        m1 = psutil.cpu_times()
        busy = sum(m1) - m1.idle - m1.iowait - (sum(self.machine0) - self.machine0.idle - self.machine0.iowait)
        total = sum(m1) - sum(self.machine0)
        return {
            "wall_s": round(wall, 2),
            "server_cpu_s": round(server, 3),
            "server_cpu_percent": round(100 * server / wall, 1) if wall else None,
            "client_cpu_percent": round(100 * client / wall, 1) if wall else None,
            "machine_busy_percent": round(100 * busy / total, 1) if total else None,
            "load_avg": round(os.getloadavg()[0], 2),
        }


def _per_flow(stats: dict, flows: int) -> float | None:
    if not flows or stats.get("server_cpu_percent") is None:
        return None
    return round(stats["server_cpu_percent"] / 100 * stats["wall_s"] * 1000 / flows, 1)


def _cpu(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        try:
            t = psutil.Process(pid).cpu_times()
            total += t.user + t.system
        except psutil.NoSuchProcess:
            pass
    return total


def hashing_bench() -> dict:
    """argon2id as the app uses it, in this process: wall ms (what a person waits, on this
    machine under its load) and CPU ms (all threads: the password hash runs 4 lanes)."""
    from mfa_app.accounts.crypto import Hashing

    h = Hashing()

    def median_ms(fn, repeats: int) -> tuple[float, float]:
        wall, cpu = [], []
        for _ in range(repeats):
            w, c = time.perf_counter(), time.process_time()
            fn()
            wall.append((time.perf_counter() - w) * 1000)
            cpu.append((time.process_time() - c) * 1000)
        return round(statistics.median(wall), 1), round(statistics.median(cpu), 1)

    password_hash = h.hash_password(PASSWORD)
    code_hash = h.hash_backup_code("abcde-fghjk")
    code = median_ms(lambda: h.hash_backup_code("abcde-fghjk"), 7)
    rows = {
        "password hash (argon2id t=3, 64 MiB, p=4)": median_ms(lambda: h.hash_password(PASSWORD), 3),
        "password verify": median_ms(lambda: h.password_matches(password_hash, PASSWORD), 3),
        "backup code hash (argon2id t=2, 19 MiB, p=1)": code,
        "backup code verify": median_ms(lambda: h.backup_code_matches(code_hash, "abcde-fghjk"), 7),
        "generate: 10 backup-code hashes": (round(10 * code[0], 1), round(10 * code[1], 1)),
    }
    return {name: {"wall_ms": wall, "cpu_ms": cpu} for name, (wall, cpu) in rows.items()}


def build_is_fresh() -> bool:
    """The production build in .web is newer than every file it is built from."""
    index = ROOT / ".web/build/client/account/manage-mfa/index.html"
    if not index.exists():
        return False
    built = index.stat().st_mtime
    sources = [ROOT / "rxconfig.py", ROOT / "requirements.txt"]
    for folder in ("mfa_app", "assets", "reflex.lock"):
        sources += [p for p in (ROOT / folder).rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    return all(p.stat().st_mtime < built for p in sources if p.exists())


def run_ours(
    name: str,
    config: AppConfig,
    logs: Path,
    counts: list[int],
    flows: dict[int, int],
    deadline_s: float,
    *,
    build: bool,
    memory_sessions: int = 0,
    profile_out: Path | None = None,
    paced: tuple[int, float] | None = None,
    capacity_plan: Plan | None = None,
) -> dict:
    """Start the app, then for each session count: create the users, run the flows back to back.
    With `paced` (sessions, think scale), last a paced phase: that many sessions, one flow each,
    with a person's think time between events. With `capacity_plan`, the open-loop capacity
    search of each mix."""
    service = BenchService(config)
    server = AppServer(config, logs, build=build, name=name)
    out: dict = {"session_counts": counts, "phases": {}, "latencies": {}}
    try:
        out["prod_start_s"] = round(server.wait_ready(600 if build else 180), 2)
        log(f"{name}: app up on {server.url} in {out['prod_start_s']} s ({len(server.worker_pids())} worker processes)")
        if build:
            out["page_weight"] = pageweight.measure(ROOT / ".web/build/client", ROUTES)
        if memory_sessions:
            out["memory"] = asyncio.run(idle_sessions(server.url, memory_sessions, server.rss_bytes))
            log(f"{name}: memory {out['memory']}")
        serial = 0
        for count in counts:
            users = _users(service, name, serial, flows[count])
            serial += flows[count]
            profiler = None
            if profile_out is not None and count == max(counts):
                pids = server.worker_pids()
                profiler = Profiler(pids[0], profile_out) if pids else None
            rec, out["phases"][str(count)] = _load_phase(server, config, service, users, count, deadline_s)
            if profiler is not None:
                out["profile"] = {**profiler.stop(), "phase": f"{name}, {count} sessions"}
            out["latencies"][str(count)] = rec.latencies
            log(f"{name}: {count} sessions: {_one_line(out['phases'][str(count)])}")
        if capacity_plan is not None:
            out["capacity"] = capacity_ours(server, config, service, name, serial, capacity_plan)
            serial += sum(s["arrived"] for c in out["capacity"].values() for s in c["steps"])
        if paced:
            count, scale = paced
            users = _users(service, name, serial, count)
            rec, phase = _load_phase(server, config, service, users, count, deadline_s, scale)
            out["paced"] = {
                "status": "ran",
                "sessions": count,
                "think_scale": scale,
                "think_s": THINK_S,
                "seed": PACED_SEED,
                **phase,
                "latencies": rec.latencies,
            }
            log(f"{name}: paced, {count} sessions, think scale {scale}: {_one_line(phase)}")
    finally:
        server.stop()
        service.close()
    return out


def capacity_ours(
    server: AppServer, config: AppConfig, service: BenchService, name: str, first_serial: int, plan: Plan
) -> dict:
    """The capacity search of each mix, on the running app: new users for each step (for the
    sign-in mix with their MFA phone set up already), phone numbers from `first_serial` on."""
    outbox = codes.outbox(config.outbox)
    serial = itertools.count(first_serial)

    def flows(mix: str, count: int) -> list:
        out: list = []
        for i in itertools.islice(serial, count):
            national, e164 = phone_number(i)
            email = f"{name}-{mix}-{i}-{os.urandom(3).hex()}@example.com"
            if mix == "sign_in":
                service.sign_up_with_mfa(email, e164)
                out.append(SignInUser(email, e164))
            else:
                out.append(User(service.sign_up(email), national, e164))
        return out

    def step(mix: str, rate: float) -> dict:
        starts = arrivals(rate, plan.step_duration(rate), CAPACITY_SEED)
        batch = flows(mix, len(starts))
        phase = Phase(server.all_pids())
        rec, _ = asyncio.run(
            sessions.open_loop(
                server.url, batch, starts, outbox, service.make_stale, plan.drain_s, plan.think_scale, CAPACITY_SEED
            )
        )
        return _step_result(rec, len(starts), phase.end(), HASHING_KINDS, set(MARKS))

    return _searches(step, plan, name)


def capacity_peer(peer: PeerServer, first_serial: int, plan: Plan) -> dict:
    """The capacity search of each mix on the running peer: its sign-in, or its whole flow."""
    sms = codes.fake_gateway(peer.sms_log)
    serial = itertools.count(first_serial)

    def step(mix: str, rate: float) -> dict:
        starts = arrivals(rate, plan.step_duration(rate), CAPACITY_SEED)
        users = [
            PeerUser(f"peer{i}@example.com", phone_number(i, "628")[1], phone_number(i, "415")[1])
            for i in itertools.islice(serial, len(starts))
        ]
        peer.create_users(users)
        phase = Phase(peer.all_pids())
        rec, _ = asyncio.run(
            peer_open_loop(
                peer.url, users, starts, sms, plan.drain_s, plan.think_scale, CAPACITY_SEED, mix == "sign_in"
            )
        )
        return _step_result(rec, len(starts), phase.end(), PEER_HASHING_KINDS, set())

    return _searches(step, plan, "peer")


def _searches(step: Callable[[str, float], dict], plan: Plan, name: str) -> dict:
    """The search of each mix; right after the manage search, argon2id measured apart again, so
    that the CPU subtracted from its flows is measured under the same load as they ran."""
    out = {}
    for mix in MIXES:
        out[mix] = capacity.search(lambda rate, m=mix: step(m, rate), plan, log, f"{name} {mix}")
        if mix == "manage":
            out[mix]["hashing_ms"] = hashing_bench()
    return out


def _step_result(rec: Recorder, arrived: int, stats: dict, hashing_kinds: set[str], parts: set[str]) -> dict:
    return {
        **capacity.service_level(rec, hashing_kinds, arrived, parts),
        "server_cpu_s": stats["server_cpu_s"],
        "server_cpu_percent": stats["server_cpu_percent"],
        "server_cpu_ms_per_flow": _per_flow(stats, rec.flows_done),
        "machine_busy_percent": stats["machine_busy_percent"],
        "load_avg": stats["load_avg"],
        "wall_s": stats["wall_s"],
    }


def _users(service: BenchService, name: str, first: int, count: int) -> list[User]:
    """`count` new users (a session cookie each), with phone numbers from serial `first` on."""
    users = []
    for serial in range(first, first + count):
        national, e164 = phone_number(serial)
        users.append(User(service.sign_up(f"{name}-{serial}-{os.urandom(3).hex()}@example.com"), national, e164))
    return users


def _load_phase(
    server: AppServer,
    config: AppConfig,
    service: BenchService,
    users: list[User],
    sessions: int,
    deadline_s: float,
    think_scale: float = 0.0,
) -> tuple[Recorder, dict]:
    phase = Phase(server.worker_pids())
    log_offset = server.log_size()
    rec, wall = asyncio.run(
        run_load(
            server.url, users, sessions, codes.outbox(config.outbox), service.make_stale, deadline_s,
            think_scale=think_scale, seed=PACED_SEED,
        )
    )  # fmt: skip
    stats = phase.end()
    stats["server_exceptions"] = server.exceptions_since(log_offset)
    return rec, {
        **_phase_result(rec, wall, stats),
        "flow_s_p50": round(statistics.median(rec.flow_seconds), 2) if rec.flow_seconds else None,
    }


def _one_line(phase: dict) -> str:
    return (
        f"{phase['flows']} flows in {phase['wall_s']} s, {phase['errors']} errors, server CPU "
        f"{phase['server_cpu_percent']}%, machine busy {phase['machine_busy_percent']}%, load {phase['load_avg']}"
    )


def _phase_result(rec: Recorder, wall: float, stats: dict) -> dict:
    return {
        **stats,
        "flows": rec.flows_done,
        "flows_per_s": round(rec.flows_done / wall, 3) if wall else 0,
        "server_cpu_ms_per_flow": _per_flow(stats, rec.flows_done),
        "errors": len(rec.errors),
        "error_messages": rec.errors[:10],
    }


def run_peer(
    base: Path, logs: Path, counts: list[int], flows: dict[int, int], deadline_s: float, capacity_plan: Plan
) -> dict:
    peer = PeerServer(base, logs, Path(sys.executable))
    total = sum(flows[c] for c in counts)
    users = [
        PeerUser(f"peer{i}@example.com", phone_number(i, "628")[1], phone_number(i, "415")[1]) for i in range(total)
    ]
    start = time.monotonic()
    peer.create_users(users)
    log(f"peer: {total} users in {time.monotonic() - start:.1f} s")
    out: dict = {"session_counts": counts, "phases": {}, "latencies": {}}
    try:
        out["start_s"] = round(peer.start(), 2)
        sms = codes.fake_gateway(peer.sms_log)
        offset = 0
        for count in counts:
            batch = users[offset : offset + flows[count]]
            offset += flows[count]
            phase = Phase(peer.worker_pids())
            rec, wall = asyncio.run(run_peer_load(peer.url, batch, count, sms, deadline_s))
            out["latencies"][str(count)] = rec.latencies
            out["phases"][str(count)] = _phase_result(rec, wall, phase.end())
            log(f"peer: {count} sessions: {_one_line(out['phases'][str(count)])}")
        out["capacity"] = capacity_peer(peer, total, capacity_plan)
    finally:
        peer.stop()
    return out


def run_scaleout(tmp: Path, logs: Path, plan: dict) -> dict:
    missing = throwaway_servers.missing()
    if missing:
        return {
            "status": "skipped",
            "note": f"{' and '.join(missing)} not installed (`apt-get install -y postgresql redis-server`; "
            "make bench installs them unless SCALEOUT=0).",
        }
    with (
        throwaway_servers.postgres(log=logs / "postgres.log", durable=True, timeout=60) as pg_url,
        throwaway_servers.redis(log=logs / "redis.log") as redis_url,
    ):
        contention = None
        if plan["write_contention"]:
            log("scale-out: write transactions at once per worker, side by side")
            contention = write_contention.measure(pg_url, [40, 8, 2, 1])
        config = AppConfig(tmp / "scaleout", database_url=pg_url, redis_url=redis_url, workers=SCALEOUT_WORKERS)
        out = run_ours(
            "scaleout",
            config,
            logs,
            plan["scaleout_counts"],
            plan["flows"],
            plan["deadline_s"],
            build=False,
            capacity_plan=plan["capacity"] if plan["scaleout_capacity"] else None,
        )
    out.update(
        status="ran",
        workers=SCALEOUT_WORKERS,
        write_contention=contention,
        note=(
            f"`reflex run --env prod --backend-only` with REFLEX_REDIS_URL (Reflex's Redis state manager) and "
            f"{SCALEOUT_WORKERS} granian workers (GRANIAN_WORKERS), MFA_DATABASE_URL on PostgreSQL "
            f"{throwaway_servers.postgres_bin_dir().parts[-2]} (synchronous_commit=off, like the SQLite run's "
            "synchronous=NORMAL), Redis without persistence; both on loopback, started by the bench. Same flows, "
            "same client."
        ),
    )
    return out


def _label_chunks(build: Path, weight: dict) -> None:
    markers = {
        "React DOM": (b"react-dom", b"__reactContainer"),
        "React Router": (b"react-router", b"useNavigate() may be used"),
        "socket.io client": (b"engine.io", b"socket.io"),
        "Radix": (b"radix", b"data-radix"),
        "Emotion": (b"emotion",),
        "Reflex runtime": (b"hydrate_and_load", b"reflex___state"),
        "lucide icons": (b"lucide",),
    }
    for info in weight.get("largest_js", []):
        path = build / "assets" / info["file"]
        if path.exists():
            data = path.read_bytes()
            found = [name for name, needles in markers.items() if any(n in data for n in needles)]
            info["contains"] = ", ".join(found)


def limits(results: dict) -> list[str]:
    notes = []
    counts = [str(c) for c in results["sqlite"]["session_counts"]]
    top = counts[-1]
    lat = results["latency_ms"][top]
    phase = results["sqlite"]["phases"][top]
    prof = results["sqlite"].get("profile", {})
    cats = {c["what"]: c["share"] for c in prof.get("categories", [])}
    argon = next((v for k, v in cats.items() if k.startswith("argon2")), 0.0)
    db = next((v for k, v in cats.items() if k.startswith("database")), 0.0)
    rx = next((v for k, v in cats.items() if k.startswith("Reflex")), 0.0)
    ws = next((v for k, v in cats.items() if k.startswith("websocket")), 0.0)
    heavy = sorted(
        ((k, v["p99"]) for k, v in lat.items() if k in KINDS and v.get("p99") is not None), key=lambda kv: -kv[1]
    )[:3]
    notes.append(
        f"Latency at {top} sessions: every session sends its next event as soon as the last one completes (no think "
        f"time), so the single worker is saturated: it used {phase['server_cpu_percent']:.0f}% CPU (100% = one core) "
        f"while the machine was {phase['machine_busy_percent']:.0f}% busy (load average {phase['load_avg']:.1f} on "
        f"{results['machine']['cpus']} cores). The slowest kinds at p99: "
        + ", ".join(f"`{k}` {v:,.0f} ms" for k, v in heavy)
        + f"; without the two argon2id kinds the p99 of all events is {lat['all_events_without_hashing']['p99']:,.0f} ms: "
        "argon2id runs in its own pool at a lower CPU priority, so light events don't wait behind hashing, but they "
        "still queue behind each other on the worker's one event loop (Reflex's event processing, state "
        "serialisation and socket.io all run there)."
    )
    if prof.get("categories"):
        notes.append(
            f"Profile of the worker at {top} sessions (py-spy): argon2id hashing {argon:.0%} of its CPU samples, "
            f"database {db:.0%}, Reflex event processing and deltas {rx:.0%}, websocket/socket.io {ws:.0%}. "
            "py-spy samples Python threads only: the password hash's 4 argon2 lanes run in libargon2's own threads, "
            "so password checks are under-counted here, not over-counted."
        )
    first = results["latency_ms"].get(counts[0], {})
    try:
        retry_top = lat["reverify.submit_password"]["p50"] - lat["reverify.password_checked"]["p50"]
        retry_one = first["reverify.submit_password"]["p50"] - first["reverify.password_checked"]["p50"]
    except KeyError:
        retry_top = retry_one = None
    if retry_top is not None:
        notes.append(
            f"Queueing: the retried use_for_mfa after a password re-verification (one short database transaction) "
            f"took about {retry_one:,.0f} ms at {counts[0]} session and {retry_top:,.0f} ms (p50) at {top}. Light "
            "service calls run in asyncio's default thread pool; argon2id calls in a pool of their own (one thread "
            "per core, nice 10, mfa_app/state/service.py), so other sessions' hashing holds neither the light "
            "calls' threads nor, while they need it, a core. It does not add throughput."
        )
    h = results.get("hashing_ms", {})
    ours_cpu = phase.get("server_cpu_ms_per_flow")
    peer_cpu = results.get("peer", {}).get("phases", {}).get(top, {}).get("server_cpu_ms_per_flow")
    if h and ours_cpu:
        password = h["password verify"]["cpu_ms"]
        codes = h["generate: 10 backup-code hashes"]["cpu_ms"]
        ratio = results.get("flows_ratio", {}).get(top)
        notes.append(
            f"Throughput at {top} sessions is CPU-bound: the app's worker spent {ours_cpu:,.0f} ms of CPU per completed "
            f"flow, of which argon2id is about {password + codes:,.0f} ms (measured apart: one password check "
            f"{password:,.0f} ms + ten backup-code hashes {codes:,.0f} ms of CPU), i.e. ~{min(1.0, (password + codes) / ours_cpu):.0%}. "
            + (
                f"The peer's two gunicorn workers spent {peer_cpu:,.0f} ms per flow: one password check of the same "
                f"cost, and backup tokens stored in plain text (no hashing). "
                if peer_cpu
                else ""
            )
            + (f"Measured ratio {ratio:.2f}x; " if ratio is not None else "")
            + "with both sides CPU-bound the ratio is about the peer's CPU per flow over ours, so 4x would need our "
            "flow to cost a quarter of the peer's CPU: impossible while one flow hashes ten backup codes with argon2id."
        )
    paced = results.get("paced", {})
    if paced.get("status") == "ran":
        pl = paced["latency_ms"]
        notes.append(
            f"Paced, {paced['sessions']} sessions starting together: the people reach the password and the backup-code "
            f"steps at about the same time, and argon2id then needs more CPU than the machine has (server "
            f"{paced['server_cpu_percent']:.0f}% CPU, {paced['flows_per_s']:.2f} flows/s against "
            f"{results['flows_per_s'][top]:.2f} flows/s back to back): the two argon2id kinds wait in the hashing "
            f"pool's queue (p50 {pl['reverify.submit_password']['p50']:,.0f} and {pl['reverify.submit_code']['p50']:,.0f} ms). "
            f"The other events, p99 {pl['all_events_without_hashing']['p99']:,.0f} ms, queue on the one event loop "
            "behind the burst of 200 connects, hydrates and page loads at the start."
        )
    so = results.get("scaleout", {})
    for count, phase in so.get("phases", {}).items():
        exc = phase.get("server_exceptions") or {}
        if phase.get("errors") or exc.get("count"):
            types = ", ".join(f"{k} ×{v}" for k, v in exc.get("types", {}).items())
            notes.append(
                f"Scale-out errors at {count} sessions: {phase['errors']} failed flows; the app logged "
                f"{exc.get('count', 0)} backend exceptions ({types or 'none'}). A SerializationFailure is PostgreSQL "
                "refusing a SERIALIZABLE write transaction that conflicted with a concurrent one; store.db.writing "
                "retries it up to 20 times with a randomised backoff growing to 200 ms, and under this load that was "
                "not enough: the page then shows Reflex's error toast and the action must be repeated. "
                "LockExpiredError is Reflex's Redis state lock (10 s) expiring under a handler."
            )
    w = results.get("page_weight", {}).get("/account/manage-mfa")
    if w:
        parts = ", ".join(
            f"{f['file'].split('-')[0]} {f['gzip'] / 1024:.0f} KB"
            + (f" ({f['contains']})" if f.get("contains") else "")
            for f in w["largest_js"][:4]
        )
        notes.append(
            f"Page weight: the {w['js_gzip'] / 1024:.0f} KB gzip of JS for /account/manage-mfa is almost all the Reflex "
            f"runtime every route shares (largest chunks: {parts}); the page's own chunk is a few KB. "
            "The CSS is Radix Themes' full stylesheet."
        )
    return notes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--quick", action="store_true", help="fewer sessions and flows, shorter capacity steps: under 3 minutes"
    )
    parser.add_argument("--no-scaleout", action="store_true", help="skip the PostgreSQL + Redis + workers run")
    parser.add_argument("--no-peer", action="store_true", help="skip django-two-factor-auth")
    parser.add_argument("--no-startup", action="store_true", help="skip the cold/warm start")
    parser.add_argument("--no-profile", action="store_true", help="no py-spy profile")
    parser.add_argument(
        "--paced-sessions",
        type=int,
        metavar="N",
        help="sessions of the paced phase (one flow each, with think time): 200 by default, "
        "none with --quick; 0 skips it",
    )
    parser.add_argument(
        "--think-scale",
        type=float,
        metavar="X",
        help="think time of the paced phase, times the human pauses (2-10 s an event): 1.0 by default, "
        "0.1 with --quick",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results")
    parser.add_argument("--keep-tmp", action="store_true")
    args = parser.parse_args(argv)

    procs.install_signal_handlers()
    plan = QUICK if args.quick else FULL
    paced_sessions = plan["paced_sessions"] if args.paced_sessions is None else args.paced_sessions
    think_scale = plan["think_scale"] if args.think_scale is None else args.think_scale
    sessions.CALL_TIMEOUT_S = peer_module.REQUEST_TIMEOUT_S = plan["call_timeout_s"]
    started = time.monotonic()
    load_start = os.getloadavg()
    tmp = Path(tempfile.mkdtemp(prefix="mfa-bench-"))
    logs = tmp / "logs"
    logs.mkdir()
    log(f"{'QUICK' if args.quick else 'full'} run in {tmp}; load average {load_start}")
    results: dict = {
        "quick": args.quick,
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "commit": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip(),
        "target_sessions": TARGET_SESSIONS,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_avg_start": [round(x, 2) for x in load_start],
        },
    }
    failed: list[str] = []
    try:
        log("hashing, measured apart")
        results["hashing_ms"] = hashing_bench()
        results["backup_code_check"] = backup_check.measure(tmp / "backup-check")
        log(f"backup-code attempts: argon2id verifications {results['backup_code_check']['per_attempt']}")

        build = not (args.quick and build_is_fresh())
        log(f"single worker, SQLite: {'production build and ' if build else ''}start")
        sqlite = run_ours(
            "sqlite",
            AppConfig(tmp / "sqlite"),
            logs,
            plan["counts"],
            plan["flows"],
            plan["deadline_s"],
            build=build,
            memory_sessions=max(plan["counts"]),
            profile_out=None if args.no_profile else tmp / "profile.txt",
            paced=(paced_sessions, think_scale) if paced_sessions > 0 and think_scale > 0 else None,
            capacity_plan=plan["capacity"],
        )
        sqlite["built"] = build
        results["paced"] = sqlite.pop("paced", None) or {
            "status": "skipped",
            "note": _paced_skipped(args, paced_sessions, think_scale),
        }
        if not build:
            sqlite["page_weight"] = pageweight.measure(ROOT / ".web/build/client", ROUTES)
        results["sqlite"] = sqlite
        log("page weight of a blank Reflex app, the budget's baseline")
        try:
            results["blank_page_weight"] = pageweight.blank_page(tmp / "blank", ROOT / ".venv/bin/reflex", tool_env())
        except (OSError, subprocess.SubprocessError) as exc:
            failed.append(f"blank page: {type(exc).__name__}: {exc}")
            log(failed[-1])

        if not args.no_peer:
            log("peer: django-two-factor-auth under gunicorn")
            try:
                results["peer"] = run_peer(
                    tmp / "peer", logs, plan["counts"], plan["flows"], plan["deadline_s"], plan["capacity"]
                )
            except Exception as exc:  # the report says what failed
                failed.append(f"peer: {type(exc).__name__}: {exc}")
                log(failed[-1])

        if args.no_scaleout:
            results["scaleout"] = {"status": "skipped", "note": "--no-scaleout (SCALEOUT=0) given."}
        else:
            log("scale-out: PostgreSQL + Redis + several workers")
            try:
                results["scaleout"] = run_scaleout(tmp, logs, plan)
            except Exception as exc:
                failed.append(f"scale-out: {type(exc).__name__}: {exc}")
                results["scaleout"] = {"status": "failed", "note": failed[-1][:500]}
                log(failed[-1])

        if not args.no_startup:
            log("cold and warm start of make run on a clean clone")
            try:
                results["startup"] = startup.measure(
                    tmp / "startup", logs, quick=args.quick, timeout=600 if not args.quick else 180
                )
            except Exception as exc:
                failed.append(f"startup: {type(exc).__name__}: {exc}")
                log(failed[-1])
    finally:
        procs.stop_all()
        if "sqlite" not in results:
            log(f"logs kept in {logs}")
        elif not args.keep_tmp:
            shutil.rmtree(tmp, ignore_errors=True)

    compose(results, plan, failed)
    results["duration_s"] = round(time.monotonic() - started, 1)
    results["machine"]["load_avg_end"] = [round(x, 2) for x in os.getloadavg()]
    write(results, args.out)
    log(f"done in {results['duration_s']:.0f} s: {args.out / 'report.md'}")
    for t in results["targets"]:
        log(f"target {t['target']}: {'met' if t['met'] else 'MISSED'} ({t['value']}; {t['by']})")
    return 0


def _paced_skipped(args: argparse.Namespace, sessions: int, think_scale: float) -> str:
    if args.paced_sessions is None:
        return "the open-loop capacity phases replace it; `--paced-sessions N` adds one"
    return f"asked for {sessions} sessions at think scale {think_scale:g}"


def compose(results: dict, plan: dict, failed: list[str]) -> None:
    sqlite = results["sqlite"]
    peer = results.get("peer", {})
    counts = [str(c) for c in plan["counts"]]
    results["latency_ms"] = {c: report.latency_table(sqlite["latencies"][c], KINDS) for c in counts}
    results["flows_per_s"] = {c: sqlite["phases"][c]["flows_per_s"] for c in counts}
    results["peer_flows_per_s"] = {c: peer.get("phases", {}).get(c, {}).get("flows_per_s") for c in counts}
    results["flows_ratio"] = {
        c: round(results["flows_per_s"][c] / results["peer_flows_per_s"][c], 3)
        for c in counts
        if results["peer_flows_per_s"].get(c)
    }
    if peer:
        peer["latency_ms"] = {c: report.latency_table(peer["latencies"][c], PEER_KINDS) for c in counts}
        del peer["latencies"]
    so = results.get("scaleout", {})
    if so.get("status") == "ran":
        so_counts = [str(c) for c in so["session_counts"]]
        so["latency_ms"] = {c: report.latency_table(so["latencies"][c], KINDS) for c in so_counts}
        so["flows_per_s"] = {c: so["phases"][c]["flows_per_s"] for c in so_counts}
        del so["latencies"]
    paced = results["paced"]
    if paced["status"] == "ran":
        paced["latency_ms"] = report.latency_table(paced.pop("latencies"), KINDS)
    del sqlite["latencies"]

    weight = sqlite.pop("page_weight", {})
    for route_weight in weight.values():
        _label_chunks(ROOT / ".web/build/client", route_weight)
    results["page_weight"] = weight
    results["page_js_gzip_bytes"] = {route: w["js_gzip"] for route, w in weight.items()}
    blank = results.pop("blank_page_weight", None)
    if blank is not None:
        results["blank_page_js_gzip_bytes"] = blank["js_gzip"]
        results["page_js_over_blank"] = pageweight.over_blank(weight, blank)
    results["page_weight_method"] = pageweight.__doc__.strip().replace("\n\n", " ").replace("\n", " ")
    st = results.get("startup", {})
    results["cold_start_s"] = st.get("cold_start_s")
    results["warm_start_s"] = st.get("warm_start_s")
    results["memory"] = sqlite.pop("memory", {})
    results["session_memory_kb"] = results["memory"].get("per_session_kb")
    if "profile" in sqlite:
        results["profile"] = sqlite["profile"]

    by_run = {"sqlite": {c: sqlite["phases"][c]["errors"] for c in counts}}
    messages = [m for c in counts for m in sqlite["phases"][c]["error_messages"]]
    if peer:
        by_run["peer"] = {c: peer["phases"][c]["errors"] for c in counts if c in peer["phases"]}
        messages += [m for p in peer["phases"].values() for m in p["error_messages"]]
    if so.get("status") == "ran":
        by_run["scaleout"] = {c: p["errors"] for c, p in so["phases"].items()}
        messages += [m for p in so["phases"].values() for m in p["error_messages"]]
    if paced["status"] == "ran":
        by_run["paced"] = {str(paced["sessions"]): paced["errors"]}
        messages += paced["error_messages"]
    ours_total = sum(sum(by_run[run].values()) for run in ("sqlite", "scaleout", "paced") if run in by_run)
    results["errors"] = {
        "total": ours_total,
        "peer_total": sum(by_run.get("peer", {}).values()),
        "by_run": by_run,
        "messages": messages[:30],
        "bench_failures": failed,
    }
    results["capacity_plan"] = dataclasses.asdict(plan["capacity"])
    compose_capacity(results)
    results["targets"] = report.targets(results)
    results["limits"] = limits(results) + capacity_limits(results)
    results["method"] = [
        "Sessions: python-socketio AsyncClient in one process (the bench), against `reflex run --env prod` in "
        "another; each flow is a new tab (websocket with a fresh ?token= and the user's HttpOnly session cookie) "
        "for a user created up front with the account service on the app's database (accounts.sign_up with "
        "the app's MFA_SECRET_KEY). N sessions run their flows back to back, no think time.",
        "Paced phase: on the same single-worker SQLite app after the others, N sessions start together and do "
        "one flow each, pausing like a person before they open the tab and before each event they send ("
        + ", ".join(f"{what} {seconds:g} s" for what, seconds in THINK_S.items())
        + "; times the think scale, each pause drawn from ±50% by an RNG seeded per session). A pause ends before "
        "the emit, so no latency contains think time; the phase's flows/s is the pace of N people, not a capacity.",
        "Latency: from the emit to the delta that shows the outcome (each event kind has a completion predicate; "
        "chained server-side handlers such as the re-verification dialog and the retried action are inside the "
        "measured span). Percentiles by linear interpolation. flows/s = completed flows / wall time of the phase.",
        "Session staleness for the password re-verification: the bench moves the session's last verification 11 "
        "minutes back in the database, as the browser tests do.",
        "SMS: the outbox provider; sending caps raised through MFA_SMS_* for the run; one distinct +1 415 555 "
        "number per flow.",
        "Peer: django-two-factor-auth 1.18.1 with Django 5.2, its fake SMS gateway (token read from its log), "
        "SQLite (WAL, synchronous=NORMAL, IMMEDIATE transactions, like ours), gunicorn with 2 sync workers, "
        "password hasher argon2id with the app's parameters; its users get one precomputed hash, as ours do. "
        "httpx clients, one cookie jar per flow, redirects followed and counted in the request's time.",
        "Capacity (open loop): at each rate, flows start as a seeded Poisson process (exponential gaps, seed "
        f"{CAPACITY_SEED}) for a fixed time, each a new user with think time between events; the step waits for its "
        "flows to end; the rates double until the service level breaks, then one step between. CPU per flow: "
        "psutil's user + system time of every process of the server (the reflex CLI and its workers; gunicorn's "
        "master and workers) over a step, per completed flow. The sign-in mix's users have their MFA phone set up "
        "in the database beforehand; the session hand-off is the page's form POST (with the Sec-Fetch-Site a "
        "browser sends on the backend's own origin).",
        "Backend memory: RSS of the app's worker process(es) (psutil) with N connected, hydrated, idle sessions "
        "minus with none, divided by N.",
        "The app runs under granian (REFLEX_USE_GRANIAN=true): the bench's gunicorn in the same .venv would "
        "otherwise switch Reflex to gunicorn+uvicorn, which the app's own requirements never install.",
    ]


def compose_capacity(results: dict) -> None:
    """The capacity figures beside the peer's, the CPU per manage flow without hashing, and the
    most argon2id verifications one backup-code attempt makes."""
    ours = results["sqlite"].get("capacity", {})
    peer = results.get("peer", {}).get("capacity", {})
    results["capacity_flows_per_s"] = {
        mix: {
            "mfa_app": ours[mix]["capacity_flows_per_s"] if mix in ours else None,
            "peer": peer[mix]["capacity_flows_per_s"] if mix in peer else None,
        }
        for mix in MIXES
    }

    def measured(search: dict | None) -> dict:
        return (search or {}).get("hashing_ms") or results["hashing_ms"]

    hashing = {
        # one password check (re-verification) and ten backup-code hashes (generating a set)
        "mfa_app": _flow_hashing(measured(ours.get("manage")), backup_code_hashes=10),
        "peer": _flow_hashing(measured(peer.get("manage")), backup_code_hashes=0),  # plain-text tokens
    }
    results["cpu_ms_per_flow_without_hashing"] = {
        "mfa_app": _cpu_without_hashing(ours.get("manage"), hashing["mfa_app"]),
        "peer": _cpu_without_hashing(peer.get("manage"), hashing["peer"]),
    }
    results["hashing_cpu_ms_per_manage_flow"] = hashing
    results["backup_code_check_hashes"] = results["backup_code_check"]["most"]
    results["service_level"] = {"light_p99_ms": capacity.LIGHT_P99_MS, "hashing_p99_ms": capacity.HASHING_P99_MS}


def _flow_hashing(h: dict, backup_code_hashes: int) -> float:
    """argon2id CPU ms of one manage flow: one password check, and the backup-code hashes."""
    one_code = h["generate: 10 backup-code hashes"]["cpu_ms"] / 10
    return round(h["password verify"]["cpu_ms"] + backup_code_hashes * one_code, 1)


def _cpu_without_hashing(search: dict | None, hashing_ms: float) -> float | None:
    """CPU of all the server's processes per completed flow, over the search's steps without
    errors, minus the argon2id CPU a flow spends (measured apart)."""
    steps = [s for s in (search or {}).get("steps", []) if not s["errors"] and s["flows"]]
    flows = sum(s["flows"] for s in steps)
    if not flows:
        return None
    return round(sum(s["server_cpu_s"] for s in steps) * 1000 / flows - hashing_ms, 1)


def capacity_limits(results: dict) -> list[str]:
    notes = []
    runs = {"mfa_app": results["sqlite"], "peer": results.get("peer", {})}
    for mix in MIXES:
        for who, run in runs.items():
            search = run.get("capacity", {}).get(mix)
            if not search:
                continue
            held, brk = search["capacity_flows_per_s"], search["first_break"]
            if brk is None:
                notes.append(f"Capacity, {mix} mix, {who}: {held:g} flows/s held; the search ended: {search['ended']}.")
                continue
            notes.append(
                f"Capacity, {mix} mix, {who}: "
                + (f"{held:g} flows/s held the service level" if held else "under the first rate")
                + f"; at {brk['rate']:g} flows/s "
                f"it broke ({brk['broke']}), the server at {brk['server_cpu_percent']:.0f}% CPU (100% = one core), "
                f"the machine {brk['machine_busy_percent']:.0f}% busy: {_why(brk, who)}"
            )
    cpu = results["cpu_ms_per_flow_without_hashing"]
    hashing = results["hashing_cpu_ms_per_manage_flow"]
    if cpu["mfa_app"] is not None:
        notes.append(
            f"CPU per manage flow without hashing: mfa_app {cpu['mfa_app']:,.0f} ms, peer "
            f"{_or_dash(cpu['peer'])} ms: CPU of all the server's processes over the capacity search's manage steps "
            f"without errors, per completed flow, minus the argon2id CPU measured apart right after the search (mfa_app "
            f"{hashing['mfa_app']:,.0f} ms: one password check and ten backup-code hashes; peer "
            f"{hashing['peer']:,.0f} ms: one password check). The rest is Reflex's event processing, state "
            "(de)serialisation and socket.io for our 12 events, Django's request handling and template rendering for "
            "the peer's 9 requests, and the database on both sides; the profile says where ours goes."
            + (
                " A negative figure means the hashing measured apart cost more than the flows' own: the machine's "
                "other load changed between the two; only a quiet machine gives this figure."
                if min(v for v in cpu.values() if v is not None) < 0
                else ""
            )
        )
    check = results["backup_code_check"]
    notes.append(
        f"Backup-code check: at most {check['most']} argon2id verification(s) per attempt, counted through the "
        "service's hashing: " + ", ".join(f"{k} {v}" for k, v in check["per_attempt"].items()) + ". Each code is "
        "stored with a lookup part (an HMAC of its first 2 symbols), so an attempt finds its one candidate; one "
        "matching no code still checks one hash (so every attempt costs the same)."
    )
    return notes


def _why(step: dict, who: str) -> str:
    """What the broken criterion says about the limit."""
    if step["errors"]:
        return "flows failed (see the errors)."
    if (step["server_cpu_percent"] or 0) < 50 and (step["machine_busy_percent"] or 0) >= 80:
        return "the server was far from CPU-bound while the machine was busy: other processes' load held it back."
    if "argon2id" in step["broke"]:
        if who == "peer":
            return "password checks queued for the 2 sync workers, each one request at a time."
        return "argon2id calls queued for the hashing pool (one thread per core, below the event loop's priority)."
    if who == "peer":
        return "requests queued for the 2 sync workers, each one request at a time."
    return "light events queued on the worker's one event loop, where Reflex processes every event."


def _or_dash(value: float | None) -> str:
    return "–" if value is None else f"{value:,.0f}"


def write(results: dict, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "latest.json").write_text(json.dumps(results, indent=1, sort_keys=False, default=str) + "\n")
    (out / "report.md").write_text(report.markdown(results) + "\n")
    report.chart(results, out / "chart.png")


if __name__ == "__main__":
    sys.exit(main())
