"""The files the app writes (the database, the secret key, the outbox, Reflex's stored tab
states) are its own user's only: they hold account data, and some hold secrets."""

from __future__ import annotations

import os
from pathlib import Path


def keep_private(*folders: Path) -> None:
    """From now on this process creates files 0600 and folders 0700 (umask 077), and what is
    already under `folders` (written before this rule, or by a run with another umask) is made
    so too."""
    os.umask(0o077)
    for folder in folders:
        if not folder.is_dir():
            continue  # created later, under the umask
        for path in [folder, *folder.rglob("*")]:
            if not path.is_symlink():
                path.chmod(0o700 if path.is_dir() else 0o600)
