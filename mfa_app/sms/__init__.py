"""SMS providers, chosen by MFA_SMS_PROVIDER."""

from __future__ import annotations

from mfa_app.settings import Settings
from mfa_app.sms.base import SmsMessage, SmsSender, SmsSendError
from mfa_app.sms.outbox import OutboxSender
from mfa_app.sms.twilio import TwilioSender
from mfa_app.sms.webhook import WebhookSender

__all__ = ["SmsMessage", "SmsSendError", "SmsSender", "make_sender"]


def make_sender(settings: Settings) -> SmsSender:
    """The configured provider, or a ValueError naming the settings it lacks (never their values)."""
    if settings.sms_provider == "twilio":
        _require(
            "twilio",
            {
                "TWILIO_ACCOUNT_SID": settings.twilio_account_sid,
                "TWILIO_AUTH_TOKEN": settings.twilio_auth_token,
                "TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID": settings.twilio_from_number
                or settings.twilio_messaging_service_sid,
                "TWILIO_API_BASE": settings.twilio_api_base,
            },
        )
        return TwilioSender(settings)
    if settings.sms_provider == "webhook":
        _require(
            "webhook",
            {"MFA_SMS_WEBHOOK_URL": settings.sms_webhook_url, "MFA_SMS_WEBHOOK_SECRET": settings.sms_webhook_secret},
        )
        if not settings.sms_webhook_url.startswith(("http://", "https://")):
            raise ValueError("MFA_SMS_WEBHOOK_URL must start with http:// or https://")
        return WebhookSender(settings)
    return OutboxSender(settings.sms_outbox)


def _require(provider: str, values: dict[str, str]) -> None:
    missing = [name for name, value in values.items() if not value]
    if missing:
        raise ValueError(f"MFA_SMS_PROVIDER={provider} needs {', '.join(missing)} to be set")
