"""The closest Python peer: django-two-factor-auth (from PyPI, bench/requirements.txt) with its
fake SMS gateway, in a minimal Django project this script writes into a temp folder (settings,
urls, wsgi; nothing vendored), SQLite, under gunicorn with 2 workers on loopback.

Its equivalent of our manage flow over HTTP, one client (cookie jar) per flow:
log in (password, then the SMS token that the default phone receives), open the profile page,
add a backup phone and verify it with the token the fake gateway logs, generate backup tokens.
Its sign-in flow is that flow's first part: the login page, the password, the SMS token, landing
on the profile page. In an open-loop phase it pauses like a person where ours does.

Fairness: both sides use SQLite in WAL mode with synchronous=NORMAL and IMMEDIATE write
transactions, and the same argon2id parameters for the password (argon2-cffi's defaults, which
the app uses); the peer's users get one precomputed hash, like ours.
"""

from __future__ import annotations

import json
import re
import secrets
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.codes import CodeLog
from bench.load import CLICK, PASSWORD, PHONE, SMS, FlowError, Recorder, ThinkTime, pause, run_open_loop, run_sessions
from bench.procs import Proc, http_status, wait_until
from throwaway_servers import free_port

PEER_PASSWORD = "correct horse battery staple"
REQUEST_TIMEOUT_S = 60.0  # run.py raises it for the full run

KINDS: dict[str, str] = {
    "login.get": "GET the login page",
    "login.password": "POST username + password (argon2id), SMS token sent (fake gateway)",
    "login.token": "POST the SMS token, redirect to the profile page",
    "profile": "GET the profile page (its manage-MFA page)",
    "phone.get": "GET the backup-phone form",
    "phone.setup": "POST the number: SMS token sent",
    "phone.validate": "POST the token: phone saved, redirect to the profile page",
    "backup.get": "GET the backup-tokens page",
    "backup.generate": "POST: 10 new backup tokens, redirect to the list",
}
SIGN_IN_KINDS = {k: KINDS[k] for k in ("login.get", "login.password", "login.token")}
HASHING_KINDS = {"login.password"}

SETTINGS = '''
from pathlib import Path

from django.contrib.auth.hashers import Argon2PasswordHasher

BASE = Path(__file__).resolve().parent.parent
SECRET_KEY = {secret!r}
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django_otp",
    "django_otp.plugins.otp_static",
    "django_otp.plugins.otp_totp",
    "two_factor",
    "two_factor.plugins.phonenumber",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
ROOT_URLCONF = "peer.urls"
TEMPLATES = [{{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "APP_DIRS": True,
    "OPTIONS": {{"context_processors": [
        "django.template.context_processors.request",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
    ]}},
}}]
DATABASES = {{"default": {{
    "ENGINE": "django.db.backends.sqlite3",
    "NAME": BASE / "peer.db",
    "OPTIONS": {{
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }},
}}}}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
USE_TZ = True


class SameArgon2(Argon2PasswordHasher):
    """argon2id with argon2-cffi's defaults, as the app hashes passwords."""

    algorithm = "argon2"
    time_cost = 3
    memory_cost = 65536
    parallelism = 4


PASSWORD_HASHERS = ["peer.settings.SameArgon2"]
LOGIN_URL = "two_factor:login"
LOGIN_REDIRECT_URL = "two_factor:profile"
TWO_FACTOR_SMS_GATEWAY = "two_factor.gateways.fake.Fake"
LOGGING = {{
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {{"sms": {{"class": "logging.FileHandler", "filename": {sms_log!r}}}}},
    "loggers": {{"two_factor.gateways.fake": {{"handlers": ["sms"], "level": "INFO", "propagate": False}}}},
}}
'''

URLS = """
from django.urls import include, path
from two_factor.urls import urlpatterns as tf_urls

urlpatterns = [path("", include(tf_urls))]
"""

WSGI = """
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peer.settings")
application = get_wsgi_application()
"""

SETUP_USERS = '''
"""Migrate, then create the bench users, each with a confirmed default SMS phone."""
import json
import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peer.settings")
import django

django.setup()
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.core.management import call_command
from django_otp.util import random_hex
from two_factor.plugins.phonenumber.models import PhoneDevice

call_command("migrate", verbosity=0)
users = json.loads(sys.stdin.read())
password_hash = make_password(users["password"])
created = User.objects.bulk_create(
    [User(username=u["username"], password=password_hash) for u in users["users"]]
)
PhoneDevice.objects.bulk_create([
    PhoneDevice(user=user, name="default", number=u["default_phone"], method="sms", key=random_hex(20), confirmed=True)
    for user, u in zip(created, users["users"])
])
print(len(created))
'''


@dataclass
class PeerUser:
    username: str
    default_phone: str
    backup_phone: str


class PeerServer:
    def __init__(self, base: Path, logs: Path, python: Path, workers: int = 2) -> None:
        self.base, self.python = base, python
        (base / "peer").mkdir(parents=True, exist_ok=True)
        self.sms_log = base / "sms.log"
        self.sms_log.touch()
        (base / "peer/__init__.py").write_text("")
        (base / "peer/settings.py").write_text(SETTINGS.format(secret=secrets.token_hex(32), sms_log=str(self.sms_log)))
        (base / "peer/urls.py").write_text(URLS)
        (base / "peer/wsgi.py").write_text(WSGI)
        (base / "setup_users.py").write_text(SETUP_USERS)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workers, self.logs = workers, logs
        self.proc: Proc | None = None

    def create_users(self, users: list[PeerUser]) -> None:
        payload = {
            "password": PEER_PASSWORD,
            "users": [{"username": u.username, "default_phone": u.default_phone} for u in users],
        }
        subprocess.run(
            [self.python, "setup_users.py"],
            cwd=self.base,
            input=json.dumps(payload),
            text=True,
            check=True,
            capture_output=True,
            timeout=300,
        )

    def start(self, timeout: float = 60) -> float:
        argv = [
            self.python, "-m", "gunicorn",
            "--workers", str(self.workers),
            "--bind", f"127.0.0.1:{self.port}",
            "--backlog", "2048",
            "--log-level", "warning",
            "peer.wsgi:application",
        ]  # fmt: skip
        self.proc = Proc("peer", argv, cwd=self.base, env=_env(), log=self.logs / "peer.log")
        return wait_until(
            lambda: http_status(self.url + "/account/login/") == 200, self.proc, "django-two-factor-auth", timeout
        )

    def worker_pids(self) -> list[int]:
        import psutil

        try:
            return [c.pid for c in psutil.Process(self.proc.pid).children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def all_pids(self) -> list[int]:
        """gunicorn's master and its workers: every process of the peer, for its CPU."""
        return [self.proc.pid, *self.worker_pids()] if self.proc is not None else []

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.stop()


def _env() -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env["PYTHONUNBUFFERED"] = "1"
    return env


_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_TOKENS = re.compile(r"<li>\s*([a-z0-9]{8})\s*</li>")


def _csrf(response: httpx.Response) -> str:
    found = _CSRF.search(response.text)
    if not found:
        raise FlowError(f"peer: no CSRF token on {response.request.url.path} ({response.status_code})")
    return found.group(1)


async def peer_flow(
    base_url: str, user: PeerUser, sms: CodeLog, rec: Recorder, think: ThinkTime | None = None, sign_in_only=False
) -> None:
    async with httpx.AsyncClient(base_url=base_url, follow_redirects=True, timeout=REQUEST_TIMEOUT_S) as client:

        async def timed(
            kind: str, method: str, path: str, data: dict | None = None, before: str = ""
        ) -> httpx.Response:
            if before:
                await pause(think, before)
            start = time.perf_counter()
            response = await client.request(method, path, data=data)
            rec.add(kind, (time.perf_counter() - start) * 1000)
            if response.status_code != 200:
                raise FlowError(f"peer {kind}: HTTP {response.status_code}")
            return response

        page = await timed("login.get", "GET", "/account/login/", before=CLICK)
        page = await timed(
            "login.password",
            "POST",
            "/account/login/",
            {
                "csrfmiddlewaretoken": _csrf(page),
                "login_view-current_step": "auth",
                "auth-username": user.username,
                "auth-password": PEER_PASSWORD,
            },
            before=PASSWORD,
        )
        token = await sms.code(user.default_phone, 1)
        page = await timed(
            "login.token",
            "POST",
            "/account/login/",
            {"csrfmiddlewaretoken": _csrf(page), "login_view-current_step": "token", "token-otp_token": token},
            before=SMS,
        )
        if page.url.path != "/account/two_factor/":
            raise FlowError(f"peer login: ended on {page.url.path}")
        if sign_in_only:
            return
        await timed("profile", "GET", "/account/two_factor/", before=CLICK)
        page = await timed("phone.get", "GET", "/account/two_factor/phone/register/", before=CLICK)
        page = await timed(
            "phone.setup",
            "POST",
            "/account/two_factor/phone/register/",
            {
                "csrfmiddlewaretoken": _csrf(page),
                "phone_setup_view-current_step": "setup",
                "setup-number": user.backup_phone,
                "setup-method": "sms",
            },
            before=PHONE,
        )
        token = await sms.code(user.backup_phone, 1)
        page = await timed(
            "phone.validate",
            "POST",
            "/account/two_factor/phone/register/",
            {
                "csrfmiddlewaretoken": _csrf(page),
                "phone_setup_view-current_step": "validation",
                "validation-token": token,
            },
            before=SMS,
        )
        if "/account/two_factor/phone/unregister/" not in page.text:
            raise FlowError("peer phone.validate: the backup phone is not on the profile page")
        page = await timed("backup.get", "GET", "/account/two_factor/backup/tokens/", before=CLICK)
        page = await timed(
            "backup.generate",
            "POST",
            "/account/two_factor/backup/tokens/",
            {"csrfmiddlewaretoken": _csrf(page)},
            before=CLICK,
        )
        tokens = _TOKENS.findall(page.text)
        if len(tokens) != 10:
            raise FlowError(f"peer backup.generate: {len(tokens)} tokens listed, not 10")


async def run_peer_load(
    base_url: str, users: list[PeerUser], sessions: int, sms: CodeLog, deadline_s: float
) -> tuple[Recorder, float]:
    async def flow(user: PeerUser, rec: Recorder) -> None:
        await peer_flow(base_url, user, sms, rec)

    return await run_sessions(users, sessions, flow, deadline_s, prefix="peer ")


async def peer_open_loop(
    base_url: str,
    users: list[PeerUser],
    starts: list[float],
    sms: CodeLog,
    drain_s: float,
    think_scale: float,
    seed: int,
    sign_in_only: bool,
) -> tuple[Recorder, float]:
    """One rate step of the open-loop phase: the sign-in or the whole flow, with think time."""

    async def flow(user: PeerUser, rec: Recorder) -> None:
        think = ThinkTime(think_scale, f"{seed}:{user.username}")
        await peer_flow(base_url, user, sms, rec, think, sign_in_only)

    return await run_open_loop(users, starts, flow, drain_s, prefix="peer ")
