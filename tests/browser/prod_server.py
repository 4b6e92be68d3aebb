"""The app as it runs in production: `reflex run --env prod` (frontend built and served by the
backend on one port), with Reflex's Redis state manager and several Granian backend workers, on
PostgreSQL. Started as a child process of the tests on a free loopback port, and stopped (its
whole process group) when the `with` block ends."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from throwaway_servers import free_port, stop_group

BUILD_AND_START_TIMEOUT_S = 300.0  # a cold production build of the frontend is most of it
# The browser tests add phones for dozens of fresh accounts within minutes, all from 127.0.0.1:
# far more codes to new numbers than a deployment's defaults allow in an hour.
SMS_LIMITS = {"MFA_SMS_NEW_NUMBERS_PER_HOUR": "100000", "MFA_SMS_NEW_NUMBERS_PER_CLIENT_PER_HOUR": "100000"}


class Server:
    def __init__(self, url: str, port: int, secret_key: str, process: subprocess.Popen) -> None:
        self.url = url
        self.port = port
        self.secret_key = secret_key
        self.process = process

    def workers(self) -> list[int]:
        """The pids of the backend worker processes (Granian's, children of `reflex run`)."""
        try:
            tasks = Path(f"/proc/{self.process.pid}/task").iterdir()
            return sorted(int(c) for t in tasks for c in (t / "children").read_text().split())
        except OSError:
            return []

    def wait_for_workers(self, count: int, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.workers()) < count:
            if time.monotonic() > deadline:
                raise RuntimeError(f"expected {count} backend workers, found {len(self.workers())}")
            time.sleep(0.2)

    def workers_connected_to(self, port: int) -> list[int]:
        """The workers holding an open TCP connection to `port` on loopback (a database or Redis
        that the worker has used: each keeps its own connection pool)."""
        sockets = _established(lambda local, remote: remote == port)
        return [pid for pid in self.workers() if _socket_inodes(pid) & sockets]

    def worker_of_client(self, client_port: int) -> int | None:
        """The worker holding the server end of the connection that a client made from
        `client_port` (for example a websocket: it stays on that worker)."""
        sockets = _established(lambda local, remote: local == self.port and remote == client_port)
        return next((pid for pid in self.workers() if _socket_inodes(pid) & sockets), None)


def _established(match) -> set[str]:
    """The inodes of the established TCP sockets whose (local port, remote port) match."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table) as f:
            for line in f.readlines()[1:]:
                fields = line.split()
                local, remote = (int(address.rsplit(":", 1)[1], 16) for address in fields[1:3])
                if fields[3] == "01" and match(local, remote):
                    found.add(fields[9])
    return found


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    with contextlib.suppress(OSError):
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            with contextlib.suppress(OSError):
                link = os.readlink(fd)
                if link.startswith("socket:["):
                    inodes.add(link[8:-1])
    return inodes


@contextlib.contextmanager
def serve(
    root: Path,
    *,
    database_url: str,
    redis_url: str,
    data_dir: Path,
    workers: int,
    log: Path,
    backend_only: bool = False,
    env: dict[str, str] | None = None,
    ready_path: str = "/sign-in",
) -> Iterator[Server]:
    """Yields the server once its page and its backend answer; the app's own database migration
    runs in the workers, as in production. `backend_only`: no frontend build, for tests that
    talk to the websocket only; `env` adds to (or overrides) the app's settings; `ready_path`: a
    page of the app that answers once the frontend is served. Without `redis_url`, Reflex's
    state manager of its own (one worker only)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    secret_key = secrets.token_hex(32)
    env = {
        **os.environ,
        "MFA_DATABASE_URL": database_url,
        "MFA_DATA_DIR": str(data_dir),
        "MFA_SMS_OUTBOX": str(data_dir / "sms_outbox.jsonl"),
        "MFA_SMS_PROVIDER": "outbox",
        "MFA_EMAIL_OUTBOX": str(data_dir / "email_outbox.jsonl"),
        "MFA_EMAIL_PROVIDER": "outbox",
        "MFA_ALLOW_OUTBOX_IN_PRODUCTION": "1",  # production mode refuses the outbox unless asked
        "MFA_SECRET_KEY": secret_key,  # the same for every worker
        **SMS_LIMITS,
        **({"REFLEX_REDIS_URL": redis_url} if redis_url else {}),
        "REFLEX_USE_GRANIAN": "true",
        "GRANIAN_WORKERS": str(workers),
        # One site for pages, websocket and the session-cookie routes (SameSite=Strict).
        "REFLEX_DEPLOY_URL": url,
        "REFLEX_API_URL": url,
        # reflex 0.10.1 fills --frontend-port from rxconfig even with --backend-only, then refuses it.
        **({"REFLEX_FRONTEND_PORT": "0"} if backend_only else {}),
        **(env or {}),
    }
    command = [
        sys.executable, "-m", "reflex", "run", "--env", "prod", "--backend-port", str(port), "--backend-host", "127.0.0.1",
        *(["--backend-only"] if backend_only else ["--frontend-port", str(port)]),
    ]  # fmt: skip
    if shutil.which("setpriv"):
        command = ["setpriv", "--pdeathsig=TERM", "--", *command]  # gone with the tests, even on SIGKILL
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            command, cwd=root, env=env, stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        _wait_until_served(url, process, log, page=None if backend_only else ready_path)
        yield Server(url, port, secret_key, process)
    finally:
        stop_group(process, signal.SIGTERM, signal.SIGKILL, grace=20.0)  # Granian stops its workers


def _wait_until_served(url: str, process: subprocess.Popen, log: Path, *, page: str | None) -> None:
    deadline = time.monotonic() + BUILD_AND_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"reflex run --env prod exited with {process.returncode}:\n{_tail(log)}")
        if _answers(f"{url}/ping") and (page is None or _answers(f"{url}{page}")):
            return
        time.sleep(0.5)
    raise RuntimeError(
        f"reflex run --env prod did not serve {url} within {BUILD_AND_START_TIMEOUT_S:.0f} s:\n{_tail(log)}"
    )


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _tail(log: Path, lines: int = 40) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
