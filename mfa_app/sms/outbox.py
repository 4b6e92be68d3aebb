"""The default provider: append each message as one JSON line to a local file, for development
and tests. Format (a contract): {"to": E.164, "body": str, "sent_at": ISO 8601}."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from mfa_app.jsonl_file import JsonLines
from mfa_app.sms.base import SmsMessage


class OutboxSender:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._file = JsonLines(self.path)

    def send(self, message: SmsMessage) -> None:
        self._file.append({"to": message.to, "body": message.body, "sent_at": datetime.now(UTC).isoformat()})

    def messages(self) -> list[dict]:
        return self._file.read()
