"""The standalone app on Clerk's users (MFA_IDENTITY=clerk, mfa_app/mfa_app.py): the manage-MFA,
add-phone and second-factor pages at their usual routes, no sign-up or sign-in pages of its own,
ClerkJS on every page. The app module is imported in a process of its own (mounting configures
the process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.clerk.helpers import SECRET_KEY, Keys

ROOT = Path(__file__).resolve().parents[2]
SHOW_APP = """
import json
import mfa_app.mfa_app as standalone
from mfa_app import routes
from mfa_app.state import service
print(json.dumps({
    "pages": sorted(standalone.app._unevaluated_pages),
    "identity": type(service.current().identity).__name__,
    "head": " ".join(str(c) for c in standalone.app.head_components),
    "sign_in": routes.paths.sign_in,
}))
"""


def standalone(tmp_path: Path, **env: str) -> dict:
    run = subprocess.run(
        [sys.executable, "-c", SHOW_APP],
        env={**os.environ, "PYTHONPATH": str(ROOT), "MFA_DATA_DIR": str(tmp_path), **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


def test_mfa_identity_clerk_serves_the_pages_on_clerks_users(tmp_path: Path, keys: Keys) -> None:
    app = standalone(
        tmp_path,
        MFA_IDENTITY="clerk",
        CLERK_SECRET_KEY=SECRET_KEY,
        CLERK_JWT_KEY=keys.public_pem,
        CLERK_PUBLISHABLE_KEY="pk_test_Y2xlcmsuZXhhbXBsZS5pbnZhbGlkJA",
        CLERK_SIGN_IN_URL="https://accounts.example.com/sign-in",
    )
    assert app["identity"] == "ClerkIdentity"
    assert {"account/manage-mfa", "account/add-phone", "account/second-factor"} <= set(app["pages"])
    assert not {"sign-in", "sign-up", "forgot-password", "reset-password"} & set(app["pages"])
    assert "https://clerk.example.invalid/npm/@clerk/clerk-js@5/dist/clerk.browser.js" in app["head"]
    assert app["sign_in"] == "https://accounts.example.com/sign-in"


def test_the_built_in_accounts_stay_the_default(tmp_path: Path) -> None:
    app = standalone(tmp_path)
    assert app["identity"] == "BuiltInAccounts" and app["head"] == ""
    assert {"sign-in", "sign-up", "account/manage-mfa", "account/add-phone"} <= set(app["pages"])


def test_mfa_identity_clerk_without_its_keys_says_which(tmp_path: Path) -> None:
    with pytest.raises(AssertionError, match="CLERK_JWT_KEY is not a PEM RSA public key"):
        standalone(tmp_path, MFA_IDENTITY="clerk", CLERK_SECRET_KEY="", CLERK_JWT_KEY="")
