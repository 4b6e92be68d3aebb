"""Throwaway PostgreSQL and Redis for the scale-out run, from Debian's packages, on loopback and
free ports, in the bench's temp folder; stopped with the bench (process groups)."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
from pathlib import Path

from bench.procs import Proc, free_port, wait_until


def postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"), key=lambda p: int(Path(p).parts[-3]))
    return Path(found[-1]).parent if found else None


def redis_bin() -> Path | None:
    found = shutil.which("redis-server") or ("/usr/bin/redis-server" if os.path.exists("/usr/bin/redis-server") else None)
    return Path(found) if found else None


def missing() -> list[str]:
    return [name for name, found in (("postgresql", postgres_bin()), ("redis-server", redis_bin())) if found is None]


def _as_postgres_user() -> list[str]:
    """PostgreSQL refuses to run as root: as root, run it as the `postgres` user."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv"):
        return ["setpriv", "--reuid=postgres", "--regid=postgres", "--clear-groups", "--"]
    return ["runuser", "-u", "postgres", "--"]


def start_postgres(base: Path, logs: Path, timeout: float = 60) -> tuple[Proc, str]:
    bin_dir = postgres_bin()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL is not installed")
    base.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        entry = pwd.getpwnam("postgres")
        os.chown(base, entry.pw_uid, entry.pw_gid)
    data = base / "data"
    prefix = _as_postgres_user()
    subprocess.run(
        [*prefix, bin_dir / "initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale",
         "--no-sync", "--no-instructions"],
        cwd=base, check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    port = free_port()
    options = {
        "listen_addresses": "127.0.0.1",
        "port": port,
        "unix_socket_directories": "",
        "max_connections": 300,
        "max_pred_locks_per_transaction": 256,
        # The app's SQLite runs with synchronous=NORMAL (no fsync per commit); the same here.
        "synchronous_commit": "off",
    }
    argv = [*prefix, bin_dir / "postgres", "-D", data, *[a for k, v in options.items() for a in ("-c", f"{k}={v}")]]
    proc = Proc("postgres", argv, cwd=base, env=dict(os.environ), log=logs / "postgres.log")
    url = f"postgresql+psycopg2://postgres@127.0.0.1:{port}/postgres"

    def ready() -> bool:
        import psycopg2

        try:
            psycopg2.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres", connect_timeout=2).close()
            return True
        except psycopg2.OperationalError:
            return False

    wait_until(ready, proc, "PostgreSQL", timeout)
    return proc, url


def start_redis(base: Path, logs: Path, timeout: float = 30) -> tuple[Proc, str]:
    server = redis_bin()
    if server is None:
        raise RuntimeError("redis-server is not installed")
    base.mkdir(parents=True, exist_ok=True)
    port = free_port()
    argv = [server, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no", "--dir", base]
    proc = Proc("redis", argv, cwd=base, env=dict(os.environ), log=logs / "redis.log")
    url = f"redis://127.0.0.1:{port}"

    def ready() -> bool:
        import redis

        try:
            return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
        except redis.RedisError:
            return False

    wait_until(ready, proc, "Redis", timeout)
    return proc, url
