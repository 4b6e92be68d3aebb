"""SMS providers, chosen by MFA_SMS_PROVIDER."""

from __future__ import annotations

from mfa_app.settings import Settings
from mfa_app.sms.base import SmsMessage, SmsSender, SmsSendError
from mfa_app.sms.outbox import OutboxSender

__all__ = ["SmsMessage", "SmsSendError", "SmsSender", "make_sender"]


def make_sender(settings: Settings) -> SmsSender:
    if settings.sms_provider == "outbox":
        return OutboxSender(settings.sms_outbox)
    raise ValueError(f"MFA_SMS_PROVIDER={settings.sms_provider} is not available yet")
