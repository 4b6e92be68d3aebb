"""The default email provider: append each message as one JSON line to a local file, for
development and tests. Format (a contract): {"to", "subject", "body", "sent_at": ISO 8601}."""

from __future__ import annotations

import fcntl
import json
from datetime import UTC, datetime
from pathlib import Path

from mfa_app.mail.base import Email


class EmailOutbox:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def send(self, email: Email) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(
            {"to": email.to, "subject": email.subject, "body": email.body, "sent_at": datetime.now(UTC).isoformat()}
        )
        with self.path.open("a", encoding="utf-8") as f:
            fcntl.flock(f, fcntl.LOCK_EX)  # several workers append to one file
            f.write(line + "\n")

    def messages(self) -> list[dict]:
        if not self.path.exists():
            return []
        with self.path.open(encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.strip()]
