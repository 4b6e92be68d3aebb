"""Email providers, chosen by MFA_EMAIL_PROVIDER."""

from __future__ import annotations

from mfa_app.mail.base import Email, EmailSender, EmailSendError
from mfa_app.mail.outbox import EmailOutbox
from mfa_app.mail.smtp import SmtpSender
from mfa_app.settings import Settings

__all__ = ["Email", "EmailOutbox", "EmailSendError", "EmailSender", "SmtpSender", "make_email_sender"]


def make_email_sender(settings: Settings) -> EmailSender:
    """The configured provider, or a ValueError naming the setting it lacks."""
    if settings.email_provider == "smtp":
        if not settings.smtp_host:
            raise ValueError("MFA_EMAIL_PROVIDER=smtp needs MFA_SMTP_HOST to be set")
        return SmtpSender(settings)
    return EmailOutbox(settings.email_outbox)
