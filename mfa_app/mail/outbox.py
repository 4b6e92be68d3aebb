"""The default email provider: append each message as one JSON line to a local file, for
development and tests. Format (a contract): {"to", "subject", "body", "sent_at": ISO 8601}."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from mfa_app.jsonl_file import JsonLines
from mfa_app.mail.base import Email


class EmailOutbox:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._file = JsonLines(self.path)

    def send(self, email: Email) -> None:
        self._file.append(
            {"to": email.to, "subject": email.subject, "body": email.body, "sent_at": datetime.now(UTC).isoformat()}
        )

    def messages(self) -> list[dict]:
        return self._file.read()
