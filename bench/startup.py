"""Cold and warm start: `make run` on a clean checkout (a `git clone` of this repository into a
temp folder), timed to a served page, then stopped and timed again (warm).

Full mode: the clone installs everything itself (a new .venv from requirements.txt through pip,
bun from the npm registry, the frontend packages from reflex.lock/), as on a fresh machine; pip's
and bun's download caches of this machine are warm, as on any machine that installed once.
Quick mode: the clone borrows this checkout's .venv and .tools (symlinks), so the cold start is
the frontend's: `.web` created, its packages installed, the app compiled, the servers started.

"Served page": the frontend answers GET /account/manage-mfa with 200 and the backend GET /ping.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
from pathlib import Path

import psutil

from bench.app_server import ROOT, tool_env
from bench.procs import Proc, http_status, wait_until
from throwaway_servers import free_port


def _clean_env() -> dict[str, str]:
    env = tool_env()
    # The clone's Makefile puts its own .venv and bun first on PATH; drop ours.
    ours = {str(ROOT / ".venv/bin"), str(ROOT / ".tools/bun/node_modules/.bin")}
    env["PATH"] = ":".join(p for p in env["PATH"].split(":") if p not in ours)
    env.pop("REFLEX_BUN_PATH", None)
    env.pop("VIRTUAL_ENV", None)
    for key in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "QUICK"):
        env.pop(key, None)
    return env


def _kill_leftovers(clone: Path) -> None:
    """Anything still running from inside the clone (a dev server that put itself in another
    process group) is ours: stop it."""
    for proc in psutil.process_iter(["pid", "cwd", "cmdline"]):
        try:
            cwd = proc.info["cwd"] or ""
            cmd = " ".join(proc.info["cmdline"] or [])
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        if cwd.startswith(str(clone)) or str(clone) in cmd:
            with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
                proc.kill()


def _serve(clone: Path, logs: Path, name: str, timeout: float) -> dict:
    """Start `make run`, and time: the backend answering /ping, the frontend answering at all,
    and the manage page served (200). Then stop it."""
    front, back = free_port(), free_port()
    env = _clean_env()
    argv = ["make", "run", f"RUN_ARGS=--frontend-port {front} --backend-port {back} --backend-host 127.0.0.1"]
    start = time.monotonic()
    proc = Proc(name, argv, cwd=clone, env=env, log=logs / f"{name}.log")
    seen: dict[str, float] = {}

    def served() -> bool:
        now = time.monotonic() - start
        if "backend_s" not in seen and http_status(f"http://127.0.0.1:{back}/ping") == 200:
            seen["backend_s"] = now
        if "frontend_s" not in seen and http_status(f"http://127.0.0.1:{front}/", timeout=10) is not None:
            seen["frontend_s"] = now
        both_up = "backend_s" in seen and "frontend_s" in seen
        if both_up and http_status(f"http://127.0.0.1:{front}/account/manage-mfa", timeout=30) == 200:
            seen["page_s"] = time.monotonic() - start
            return True
        return False

    try:
        wait_until(served, proc, f"make run ({name})", timeout, poll=0.1)
        return {k: round(v, 2) for k, v in seen.items()}
    finally:
        proc.stop()
        _kill_leftovers(clone)


def measure(base: Path, logs: Path, *, quick: bool, timeout: float) -> dict:
    clone = base / "clone"
    if clone.exists():
        shutil.rmtree(clone)
    subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", str(ROOT), str(clone)], check=True, timeout=120)
    commit = subprocess.run(["git", "-C", str(clone), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    if quick:
        for shared in (".venv", ".tools"):
            os.symlink(ROOT / shared, clone / shared)
    try:
        cold = _serve(clone, logs, "cold-start", timeout)
        warm = _serve(clone, logs, "warm-start", timeout)
    finally:
        _kill_leftovers(clone)
        shutil.rmtree(clone, ignore_errors=True)
    return {
        "cold_start_s": cold["page_s"],
        "warm_start_s": warm["page_s"],
        "cold": cold,
        "warm": warm,
        "mode": (
            "quick: clean clone borrowing this checkout's .venv and .tools (symlinks); cold = frontend "
            "cold build (.web init, bun install from the lockfile, compile) to a served page"
            if quick
            else "full: clean clone, everything installed by make run itself (pip and bun caches warm)"
        ),
        "commit": commit.stdout.strip(),
    }
