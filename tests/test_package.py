"""The package as a host installs it: built from this checkout by pip, then imported in a new
process from an empty folder: nothing is created (no app, no database, no file) and logging is
left as it was; the installed copy carries its migrations."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

IMPORT_AND_LOOK = """
import logging, os, sys
root = logging.getLogger()
before = (root.level, list(root.handlers), logging.getLogger("httpx").level)
import mfa_app
assert mfa_app.__file__.startswith(sys.argv[1]), mfa_app.__file__
assert (root.level, list(root.handlers), logging.getLogger("httpx").level) == before, "logging changed"
assert not [m for m in sys.modules if m in ("mfa_app.mfa_app", "host_app")], "an app module was imported"
print(sorted(os.listdir(".")))
"""

MIGRATE_FROM_THE_INSTALLED_COPY = """
import sys
import sqlalchemy as sa
from mfa_app.store.db import make_engine
from mfa_app.store.migrate import upgrade
engine = make_engine("sqlite:///" + sys.argv[1])
upgrade(engine)
print(sorted(sa.inspect(engine).get_table_names()))
"""


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("site")
    build = tmp_path_factory.mktemp("build")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--target", str(target), str(ROOT)],
        check=True,
        cwd=build,
        env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
        timeout=300,
    )  # fmt: skip
    return target


def _python(installed: Path, cwd: Path, script: str, *args: str) -> str:
    # The installed copy first; the dependencies from this environment. No MFA_* setting leaks in.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MFA_", "REFLEX_"))}
    env["PYTHONPATH"] = str(installed)
    result = subprocess.run(
        [sys.executable, "-c", script, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_importing_the_installed_package_creates_nothing(installed, tmp_path):
    assert _python(installed, tmp_path, IMPORT_AND_LOOK, str(installed)) == "[]"
    assert list(tmp_path.iterdir()) == []


def test_the_installed_package_migrates_a_database_with_its_own_files(installed, tmp_path):
    tables = _python(installed, tmp_path, MIGRATE_FROM_THE_INSTALLED_COPY, str(tmp_path / "host.db"))
    assert "'mfa_app_version'" in tables and "'mfa_users'" in tables and "'users'" not in tables
