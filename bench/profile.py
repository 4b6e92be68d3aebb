"""Sampling profile of the app's backend worker during the busiest phase, with py-spy (PyPI):
where its CPU time goes, grouped so the report can say what limits latency and throughput."""

from __future__ import annotations

import collections
import shutil
import signal
import subprocess
import sys
from pathlib import Path

# A sample counts for the innermost frame (leaf first) whose file belongs to one of these; the
# standard library's own frames (json, copy, selectors, ...) count for whoever called them.
CATEGORIES: list[tuple[str, tuple[str, ...]]] = [
    ("argon2id hashing (passwords, backup codes)", ("/argon2/",)),
    (
        "database (SQLAlchemy, sqlite3/psycopg2, Alembic)",
        ("/sqlalchemy/", "/sqlite3/", "/psycopg2/", "/sqlmodel/", "/alembic/"),
    ),
    ("phone number parsing/formatting (phonenumbers)", ("/phonenumbers/",)),
    ("Redis state manager (redis client)", ("/redis/",)),
    (
        "websocket / socket.io / HTTP server",
        (
            "/socketio/",
            "/engineio/",
            "/websockets/",
            "/granian/",
            "/uvicorn/",
            "/starlette/",
            "/aiohttp/",
            "/h11/",
            "/wsproto/",
        ),
    ),
    ("Reflex event processing, state, deltas", ("/reflex/", "/reflex_base/", "/reflex_components")),
    ("pydantic", ("/pydantic/", "/pydantic_core/")),
    ("app code (mfa_app)", ("/mfa_app/",)),
    ("asyncio event loop / thread pool", ("/asyncio/", "/threading.py", "/concurrent/", "/selectors.py")),
]


# Innermost frames of a thread that waits (for work, a lock, the selector): py-spy reports some
# such threads as active; their samples are left out, so the shares are of the CPU used.
WAITING = (
    "_worker (concurrent/futures/thread.py)",
    "Condition.wait (threading.py)",
    "EpollSelector.select (selectors.py)",
    "Event.wait (threading.py)",
    "Queue.get (queue.py)",
)


def py_spy() -> Path | None:
    found = Path(sys.executable).parent / "py-spy"  # the bench's venv
    if found.exists():
        return found
    which = shutil.which("py-spy")
    return Path(which) if which else None


class Profiler:
    def __init__(self, pid: int, out: Path, rate: int = 97) -> None:
        self.out = out
        binary = py_spy()
        self.proc: subprocess.Popen | None = None
        self.error = ""
        if binary is None:
            self.error = "py-spy not installed"
            return
        self.proc = subprocess.Popen(
            [binary, "record", "--pid", str(pid), "--rate", str(rate), "--format", "raw", "--nonblocking", "--full-filenames",
             "--output", str(out)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
        )  # fmt: skip

    def stop(self) -> dict:
        if self.proc is None:
            return {"error": self.error}
        self.proc.send_signal(signal.SIGINT)
        try:
            _, err = self.proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
        if not self.out.exists():
            return {"error": f"py-spy wrote no profile: {err.decode(errors='replace')[-300:]}"}
        return summarise(self.out)


def summarise(raw: Path, top: int = 12) -> dict:
    """Shares of the samples of running threads, by category and by innermost function."""
    categories: collections.Counter[str] = collections.Counter()
    leaves: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = stack.split(";")
        if _short(frames[-1]) in WAITING:
            continue
        total += n
        categories[_category(frames)] += n
        leaves[_short(frames[-1])] += n
    return {
        "samples": total,
        "categories": [{"what": name, "share": round(count / total, 3)} for name, count in categories.most_common()]
        if total
        else [],
        "top_leaf_functions": [
            {"function": name, "share": round(count / total, 3)} for name, count in leaves.most_common(top)
        ]
        if total
        else [],
    }


def _category(frames: list[str]) -> str:
    for frame in reversed(frames):
        path = frame.rpartition(" (")[2].lower()
        for name, needles in CATEGORIES:
            if any(needle in path for needle in needles):
                return name
    return "other (interpreter, stdlib)"


def _short(frame: str) -> str:
    """`fn (/path/to/site-packages/pkg/mod.py:12)` -> `fn (pkg/mod.py)`."""
    name, _, where = frame.partition(" (")
    where = where.rstrip(")").rsplit(":", 1)[0]
    for marker in ("site-packages/", "python3.11/", "/work/"):
        if marker in where:
            where = where.split(marker, 1)[1]
            break
    return f"{name} ({where})" if where else name
