"""The app under test: `reflex run --env prod` as a child process on a free loopback port, on its
own database, outbox and secret key; and the same account service in the bench process (same
database, same MFA_SECRET_KEY) to create each simulated session's user up front."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import psutil

from bench.procs import Proc, http_status, wait_until
from throwaway_servers import free_port

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "correct horse battery staple"
# Far above what a bench run sends: the limits are measured, not hit.
SMS_CAPS = {
    "MFA_SMS_PER_ACCOUNT_PER_HOUR": "1000000",
    "MFA_SMS_PER_PHONE_PER_HOUR": "1000000",
    "MFA_SMS_GLOBAL_PER_MINUTE": "100000000",
    "MFA_SMS_NEW_NUMBERS_PER_HOUR": "100000000",
    "MFA_SMS_NEW_NUMBERS_PER_CLIENT_PER_HOUR": "100000000",
}


def tool_env(root: Path = ROOT) -> dict[str, str]:
    """The environment the Makefile gives every reflex invocation (npm-registry bun, no
    telemetry, no version check)."""
    env = dict(os.environ)
    bun_bin = root / ".tools/bun/node_modules/.bin"
    env["PATH"] = f"{bun_bin}:{root / '.venv/bin'}:{env.get('PATH', '')}"
    env.update(
        REFLEX_BUN_PATH=str(bun_bin / "bun"),
        REFLEX_TELEMETRY_ENABLED="false",
        REFLEX_CHECK_LATEST_VERSION="0",
        NPM_CONFIG_REGISTRY="https://registry.npmjs.org/",
        PYTHONUNBUFFERED="1",
        # Reflex serves prod with gunicorn+uvicorn when both are importable, else granian. The
        # bench installs gunicorn (for the peer) into the same .venv; the app's own
        # requirements have no gunicorn, so a real deployment gets granian: keep it so.
        REFLEX_USE_GRANIAN="true",
    )
    # A MAKEFLAGS/MFA_* of the caller must not leak into the app under test.
    for key in [k for k in env if k.startswith("MFA_") or k.startswith("REFLEX_REDIS")]:
        del env[key]
    return env


_EXC_LINE = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Failure|Timeout)): ")


@dataclass
class AppConfig:
    data_dir: Path
    database_url: str = ""
    redis_url: str = ""
    workers: int = 1
    secret_key: str = field(default_factory=lambda: secrets.token_hex(32))

    def __post_init__(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if not self.database_url:
            self.database_url = f"sqlite:///{self.data_dir / 'mfa.db'}"

    @property
    def outbox(self) -> Path:
        return self.data_dir / "sms_outbox.jsonl"

    def env(self) -> dict[str, str]:
        env = tool_env()
        env.update(
            MFA_DATA_DIR=str(self.data_dir),
            MFA_DATABASE_URL=self.database_url,
            MFA_SECRET_KEY=self.secret_key,
            MFA_SMS_PROVIDER="outbox",
            MFA_ALLOW_OUTBOX_IN_PRODUCTION="1",  # production mode refuses the outbox unless asked
            MFA_SMS_OUTBOX=str(self.outbox),
            **SMS_CAPS,
        )
        if self.redis_url:
            env["REFLEX_REDIS_URL"] = self.redis_url
            env["GRANIAN_WORKERS"] = str(self.workers)
        return env

    def settings(self):
        from mfa_app.settings import Settings

        return Settings(
            data_dir=self.data_dir,
            database_url=self.database_url,
            secret_key=self.secret_key,
            sms_provider="outbox",
            sms_outbox=self.outbox,
            sms_per_account_per_hour=int(SMS_CAPS["MFA_SMS_PER_ACCOUNT_PER_HOUR"]),
            sms_per_phone_per_hour=int(SMS_CAPS["MFA_SMS_PER_PHONE_PER_HOUR"]),
            sms_global_per_minute=int(SMS_CAPS["MFA_SMS_GLOBAL_PER_MINUTE"]),
            sms_new_numbers_per_hour=int(SMS_CAPS["MFA_SMS_NEW_NUMBERS_PER_HOUR"]),
            sms_new_numbers_per_client_per_hour=int(SMS_CAPS["MFA_SMS_NEW_NUMBERS_PER_CLIENT_PER_HOUR"]),
        )


class AppServer:
    """`reflex run --env prod` on 127.0.0.1:<free port>. With `build`, the production frontend
    is built and served on the same port (single-port prod mode); without, backend only (the
    socket.io sessions need no frontend, and the build is the slow part of a start)."""

    def __init__(self, config: AppConfig, logs: Path, *, build: bool, name: str = "app") -> None:
        self.config, self.build = config, build
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = config.env()
        argv = [ROOT / ".venv/bin/reflex", "run", "--env", "prod", "--backend-host", "127.0.0.1"]
        if build:
            argv += ["--frontend-port", str(self.port), "--backend-port", str(self.port)]
        else:
            # reflex 0.10.1 fills --frontend-port from rxconfig even with --backend-only and then
            # refuses it; an explicit 0 (falsy) gets past that check.
            env["REFLEX_FRONTEND_PORT"] = "0"
            argv += ["--backend-only", "--backend-port", str(self.port)]
        self.proc = Proc(name, argv, cwd=ROOT, env=env, log=logs / f"{name}.log")

    def wait_ready(self, timeout: float) -> float:
        def ready() -> bool:
            if http_status(self.url + "/ping") != 200:
                return False
            return not self.build or http_status(self.url + "/account/manage-mfa") == 200

        return wait_until(ready, self.proc, f"{self.proc.name} on {self.url}", timeout)

    def worker_pids(self) -> list[int]:
        """The processes that serve requests: every descendant of the reflex CLI (granian's
        workers), or the CLI itself when it has none."""
        try:
            top = psutil.Process(self.proc.pid)
            children = top.children(recursive=True)
        except psutil.NoSuchProcess:
            return []
        return [c.pid for c in children] or [top.pid]

    def all_pids(self) -> list[int]:
        """The reflex CLI and every process under it: all of the app's processes, for its CPU."""
        return list(dict.fromkeys([self.proc.pid, *self.worker_pids()]))

    def rss_bytes(self) -> int:
        total = 0
        for pid in self.worker_pids():
            with contextlib.suppress(psutil.NoSuchProcess):
                total += psutil.Process(pid).memory_info().rss
        return total

    def log_size(self) -> int:
        try:
            return self.proc.log.stat().st_size
        except OSError:
            return 0

    def exceptions_since(self, offset: int) -> dict:
        """Backend exceptions the app logged after `offset`: how many, and the exception types
        named in their tracebacks."""
        try:
            with self.proc.log.open("rb") as f:
                f.seek(offset)
                text = f.read().decode(errors="replace")
        except OSError:
            return {}
        types: dict[str, int] = {}
        for line in text.splitlines():
            if found := _EXC_LINE.match(line):
                types[found.group(1)] = types.get(found.group(1), 0) + 1
        return {"count": text.count("[Reflex Backend Exception]"), "types": types}

    def stop(self) -> None:
        self.proc.stop()


class BenchService:
    """The account service on the app's database, for set-up steps a person does outside the
    measured pages: creating users, and making a session's last verification old."""

    def __init__(self, config: AppConfig) -> None:
        from mfa_app.accounts import build_context
        from mfa_app.accounts.crypto import Hashing

        self.ctx = build_context(config.settings())
        # One real argon2id hash of the bench password (the app's parameters), reused for every
        # bench user: creating hundreds of users then costs a database insert each, and every
        # password check in the app still costs a real argon2id verification.
        real = Hashing()
        precomputed = real.hash_password(PASSWORD)

        class _Reused(Hashing):
            def hash_password(self, password: str) -> str:
                return precomputed if password == PASSWORD else real.hash_password(password)

        self.ctx.hashing = _Reused()

    def sign_up(self, email: str) -> str:
        from mfa_app import accounts

        return accounts.sign_up(self.ctx, email, PASSWORD).session_token

    def sign_up_with_mfa(self, email: str, e164: str) -> str:
        """A user whose MFA phone is verified and reserved already (as if set up earlier), for
        the sign-in flow: their sign-in asks for an SMS code."""
        from mfa_app.accounts.crypto import new_id
        from mfa_app.store.tables import PhoneRow

        session = self.sign_up(email)
        user_id = self._user_id(session)

        def work(db) -> None:
            now = self.ctx.now()
            db.add(
                PhoneRow(
                    id=new_id("idn"),
                    user_id=user_id,
                    phone_number=e164,
                    created_at=now,
                    verified_at=now,
                    reserved_for_second_factor=True,
                    default_second_factor=True,
                )
            )

        self.ctx.write(work)
        return session

    def _user_id(self, token: str) -> str:
        from mfa_app.accounts.sessions import find

        with self.ctx.read() as db:
            return find(self.ctx, db, token).user_id

    def make_stale(self, token: str) -> None:
        """Move the session's last verification 11 minutes back: the next sensitive change
        must re-verify first."""
        from sqlmodel import select

        from mfa_app.store.tables import SessionRow

        stale = self.ctx.now() - timedelta(seconds=self.ctx.settings.reverification_max_age_s + 60)
        hmac = self.ctx.hmac("session", token)

        def work(db) -> None:
            row = db.exec(select(SessionRow).where(SessionRow.token_hmac == hmac)).one()
            row.last_verified_at = stale
            db.add(row)

        self.ctx.write(work)

    def close(self) -> None:
        self.ctx.engine.dispose()
