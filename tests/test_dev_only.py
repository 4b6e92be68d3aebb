"""Safe defaults: the outbox SMS provider (the default) shows every code at /dev/outbox, so a
deployment that forgets MFA_SMS_PROVIDER must not start, and the outbox page shows its messages
to a client on the machine itself only; the development servers listen on loopback only."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mfa_app.dev_only import OutboxInProduction, is_local_client, refuse_outbox_in_production
from mfa_app.settings import Settings
from mfa_app.state.service import Setup

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    "mode, settings, refused",
    [
        ("prod", Settings(), True),  # MFA_SMS_PROVIDER forgotten
        ("prod", Settings(sms_provider="outbox"), True),  # or copied from a development setup
        ("prod", Settings(sms_provider="outbox", allow_outbox_in_production=True), False),
        ("prod", Settings(sms_provider="twilio"), False),
        ("prod", Settings(sms_provider="webhook"), False),
        ("dev", Settings(), False),
    ],
)
def test_production_mode_refuses_the_outbox_unless_asked_for_by_name(monkeypatch, mode, settings, refused):
    monkeypatch.setenv("REFLEX_ENV_MODE", mode)
    if refused:
        with pytest.raises(OutboxInProduction, match="MFA_ALLOW_OUTBOX_IN_PRODUCTION=1"):
            refuse_outbox_in_production(settings)
    else:
        refuse_outbox_in_production(settings)


def import_the_app(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    """Import the app module in a process of its own, as a backend worker does."""
    env = {**os.environ, "MFA_DATA_DIR": str(tmp_path), "MFA_DATABASE_URL": f"sqlite:///{tmp_path}/mfa.db", **env}
    for name in ("MFA_SMS_PROVIDER", "MFA_ALLOW_OUTBOX_IN_PRODUCTION"):
        if name not in env or not env[name]:
            env.pop(name, None)
    return subprocess.run(
        [sys.executable, "-c", "import mfa_app.mfa_app"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_the_app_does_not_start_in_production_mode_with_the_default_provider(tmp_path: Path):
    refused = import_the_app(tmp_path, REFLEX_ENV_MODE="prod", MFA_SMS_PROVIDER="", MFA_ALLOW_OUTBOX_IN_PRODUCTION="")
    assert refused.returncode != 0
    assert "/dev/outbox would show every SMS code to anyone" in refused.stderr

    asked = import_the_app(tmp_path, REFLEX_ENV_MODE="prod", MFA_SMS_PROVIDER="", MFA_ALLOW_OUTBOX_IN_PRODUCTION="1")
    assert asked.returncode == 0, asked.stderr


@pytest.mark.parametrize(
    "client_ip, headers, local",
    [
        ("127.0.0.1", {}, True),
        ("::1", {}, True),
        ("::ffff:127.0.0.1", {}, True),
        ("203.0.113.7", {}, False),
        ("10.0.0.5", {}, False),
        ("", {}, False),  # not known
        ("127.0.0.1", {"x-forwarded-for": "203.0.113.7"}, False),  # a reverse proxy on this machine
        ("127.0.0.1", {"forwarded": "for=203.0.113.7"}, False),
        ("127.0.0.1", {"x-real-ip": "203.0.113.7"}, False),
    ],
)
def test_a_local_client_is_on_loopback_and_not_behind_a_proxy(client_ip, headers, local):
    assert is_local_client(client_ip, headers) is local


@pytest.mark.parametrize(
    "router_data, shown",
    [
        ({"ip": "127.0.0.1", "headers": {"host": "localhost:8000"}}, 1),
        ({"ip": "203.0.113.7", "headers": {"host": "mfa.example.com"}}, 0),
        ({"ip": "127.0.0.1", "headers": {"host": "mfa.example.com", "x-forwarded-for": "203.0.113.7"}}, 0),
    ],
    ids=["this machine", "another machine", "another machine through a local proxy"],
)
def test_the_dev_outbox_shows_its_messages_to_a_local_client_only(tmp_path: Path, monkeypatch, router_data, shown):
    """DevOutboxState.load, as the page's on_load (or anyone naming the handler) runs it."""
    from reflex.istate.data import RouterData
    from reflex.state import State

    from mfa_app.state import dev_outbox
    from mfa_app.state.dev_outbox import DevOutboxState

    outbox = tmp_path / "outbox.jsonl"
    outbox.write_text(
        json.dumps({"to": "+14155552671", "body": "code #123456", "sent_at": "2026-01-05T12:00:00+00:00"}) + "\n"
    )
    settings = Settings(data_dir=tmp_path, sms_outbox=outbox, sms_provider="outbox")
    monkeypatch.setattr(dev_outbox, "current", lambda: Setup(settings=settings))
    root = State(_reflex_internal_init=True)
    root.router = RouterData.from_router_data(router_data)
    state = root.get_substate(DevOutboxState.get_full_name().split(".")[1:])

    DevOutboxState.load.fn(state)

    assert len(state.messages) == shown


def test_the_development_servers_listen_on_loopback_unless_told_otherwise():
    """`make run` (and any `reflex run` without --backend-host or REFLEX_BACKEND_HOST): the
    backend, and the Vite dev server, which Reflex starts with `--host` (every interface)."""
    import reflex as rx
    from reflex.config import get_config

    assert get_config().backend_host == "127.0.0.1"
    assert rx.constants.PackageJson.Commands.DEV == "react-router dev --host 127.0.0.1"
    locked = json.loads((ROOT / "reflex.lock" / "package.json").read_text())
    assert locked["scripts"]["dev"] == rx.constants.PackageJson.Commands.DEV
