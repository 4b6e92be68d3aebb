"""Safe defaults: the outbox SMS provider (the default) shows every code at /dev/outbox, so a
deployment that forgets MFA_SMS_PROVIDER must not start."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mfa_app.dev_only import OutboxInProduction, refuse_outbox_in_production
from mfa_app.settings import Settings

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
