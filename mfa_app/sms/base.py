"""The SmsSender protocol every provider implements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

Purpose = Literal["phone_verification", "sign_in", "reverification", "notification"]


@dataclass(frozen=True)
class SmsMessage:
    to: str  # E.164
    body: str
    purpose: Purpose


class SmsSendError(Exception):
    """The provider did not take the message. `code` is the service error code to show
    (`sms_send_error`, `form_param_format_invalid` or `unsupported_country_code`)."""

    def __init__(self, message: str, code: str = "sms_send_error") -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class SmsSender(Protocol):
    def send(self, message: SmsMessage) -> None: ...
