"""Throwaway PostgreSQL and Redis servers for the tests and the bench, from Debian's packages
(`postgresql`, `redis-server`): started on loopback on free ports, in a temporary directory, and
stopped (directory removed) when the `with` block ends, whatever happens inside it.

- Bounded start: each server must answer within `timeout` seconds, or its log's tail is shown.
- Each server runs in its own process group, and is stopped through the whole group.
- PostgreSQL refuses to run as root: as root, initdb and postgres run as the `postgres` user
  (through `setpriv`, which the `postgresql` package's user and util-linux provide).
- If this process dies without cleaning up (SIGKILL), the servers get a signal too
  (`setpriv --pdeathsig`), so nothing is left running.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 15.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def postgres_bin_dir() -> Path | None:
    """The newest /usr/lib/postgresql/<version>/bin (Debian's layout), else pg_config's."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    if shutil.which("pg_config"):
        return Path(subprocess.check_output(["pg_config", "--bindir"], text=True).strip())
    return None


def redis_server() -> Path | None:
    found = shutil.which("redis-server") or "/usr/bin/redis-server"
    return Path(found) if os.path.exists(found) else None


def missing() -> list[str]:
    """Which of the two Debian packages are not installed."""
    return [name for name, found in (("postgresql", postgres_bin_dir()), ("redis-server", redis_server())) if not found]


def _as_user(user: str | None, pdeathsig: str) -> list[str]:
    """A prefix that runs a command as `user` (when we are root) and sends it `pdeathsig` when
    this process dies."""
    if not shutil.which("setpriv"):
        return ["runuser", "-u", user, "--"] if user else []
    prefix = ["setpriv", f"--pdeathsig={pdeathsig}"]
    if user:
        prefix += [f"--reuid={user}", f"--regid={user}", "--clear-groups"]
    return [*prefix, "--"]


def _wait_until(ready: Callable[[], bool], process: subprocess.Popen, log: Path, what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}:\n{_tail(log)}")
        if ready():
            return
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not answer within {timeout:.0f} s:\n{_tail(log)}")


def _tail(log: Path, lines: int = 30) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _start(argv: list, cwd: Path, log: Path) -> subprocess.Popen:
    """The server in a new session (its own process group), its output appended to `log`."""
    with log.open("ab") as log_file:
        return subprocess.Popen(
            [str(a) for a in argv],
            cwd=cwd, stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip


def stop_group(
    process: subprocess.Popen, first: signal.Signals, then: signal.Signals, grace: float = STOP_TIMEOUT_S
) -> None:
    """`first` to the server's process group, then `then`, then SIGKILL, each with a bounded wait
    for the server to exit (`grace` for the first); last, SIGKILL to whatever outlived it in the
    group (a worker that outlived its supervisor)."""
    for sig, wait in ((first, grace), (then, 5.0), (signal.SIGKILL, 5.0)):
        if process.poll() is not None:
            break
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(wait)
            break
        except subprocess.TimeoutExpired:
            continue
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


@contextlib.contextmanager
def postgres(*, log: Path | None = None, durable: bool = False, timeout: float = START_TIMEOUT_S) -> Iterator[str]:
    """A fresh PostgreSQL cluster; yields the URL of its `postgres` database (superuser
    `postgres`, trust authentication on 127.0.0.1 only). Its output goes to `log` when given
    (kept), else into the temporary directory. Commits never wait for the disk; `durable` keeps
    fsync and full-page writes on all the same (the bench measures with them)."""
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL is not installed: apt-get install postgresql (make test-deps does)")
    user = "postgres" if os.geteuid() == 0 else None
    base = Path(tempfile.mkdtemp(prefix="mfa-pg-"))
    try:
        if user:
            entry = pwd.getpwnam(user)
            os.chown(base, entry.pw_uid, entry.pw_gid)
        data, log = base / "data", log or base / "postgres.log"
        as_user = _as_user(user, "INT")
        subprocess.run(
            [*as_user, bin_dir / "initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8",
             "--no-locale", "--no-sync", "--no-instructions"],
            cwd=base, check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        port = free_port()
        settings = {
            "listen_addresses": "127.0.0.1",
            "port": port,
            "unix_socket_directories": "",  # TCP on loopback only; no socket in /var/run
            "synchronous_commit": "off",
            "max_connections": 300,
            "max_pred_locks_per_transaction": 256,
        }
        if not durable:  # a throwaway cluster: durability buys nothing here
            settings.update(fsync="off", full_page_writes="off")
        options = [arg for key, value in settings.items() for arg in ("-c", f"{key}={value}")]
        process = _start([*as_user, bin_dir / "postgres", "-D", data, *options], base, log)
        try:
            _wait_until(lambda: _pg_ready(port), process, log, "PostgreSQL", timeout)
            yield f"postgresql+psycopg2://postgres@127.0.0.1:{port}/postgres"
        finally:
            stop_group(process, signal.SIGINT, signal.SIGQUIT)  # fast shutdown, then immediate
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _pg_ready(port: int) -> bool:
    import psycopg2

    try:
        psycopg2.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres", connect_timeout=2).close()
        return True
    except psycopg2.OperationalError:
        return False


@contextlib.contextmanager
def redis(*, log: Path | None = None, timeout: float = START_TIMEOUT_S) -> Iterator[str]:
    """A fresh Redis without persistence; yields its URL. Its output goes to `log` when given
    (kept), else into the temporary directory."""
    server = redis_server()
    if server is None:
        raise RuntimeError("Redis is not installed: apt-get install redis-server (make test-deps does)")
    base = Path(tempfile.mkdtemp(prefix="mfa-redis-"))
    try:
        port, log = free_port(), log or base / "redis.log"
        argv = [*_as_user(None, "TERM"), server, "--port", port, "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", base]  # fmt: skip
        process = _start(argv, base, log)
        try:
            _wait_until(lambda: _redis_ready(port), process, log, "Redis", timeout)
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            stop_group(process, signal.SIGTERM, signal.SIGKILL)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _redis_ready(port: int) -> bool:
    import redis as redis_client

    try:
        return bool(redis_client.Redis(host="127.0.0.1", port=port, socket_timeout=2).ping())
    except redis_client.RedisError:
        return False
