"""The EmailSender protocol every email provider implements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    body: str  # plain text


class EmailSendError(Exception):
    """The provider did not take the message. `maybe_sent`: it may have been delivered all the
    same (the connection failed after the message went out), so it must not be sent again."""

    def __init__(self, message: str, *, maybe_sent: bool) -> None:
        super().__init__(message)
        self.message = message
        self.maybe_sent = maybe_sent


class EmailSender(Protocol):
    def send(self, email: Email) -> None: ...
