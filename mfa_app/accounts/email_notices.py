"""What the service tells people by email: the password reset link, and security notices (the
password changed, support turned MFA off). Best effort: a message that can't be sent is logged
and never undoes the change it reports."""

from __future__ import annotations

from mfa_app.accounts.context import AccountContext, log
from mfa_app.mail import Email, EmailSendError


def send(ctx: AccountContext, email: Email) -> bool:
    """True when the provider took the message."""
    assert ctx.email is not None  # AccountContext.__post_init__ sets it
    try:
        ctx.email.send(email)
        return True
    except EmailSendError as exc:
        log.warning("email (%s) not sent: %s", email.subject, exc.message)
        return False


def reset_link(ctx: AccountContext, to: str, link: str, minutes: int) -> Email:
    app = ctx.settings.sms_app_name
    return Email(
        to=to,
        subject=f"Reset your {app} password",
        body=(
            f"Someone, hopefully you, asked to reset the password of your {app} account.\n\n"
            f"To choose a new password, open this link within {minutes} minutes (it works once):\n\n"
            f"{link}\n\n"
            "If you didn't ask for this, ignore this email: your password stays as it is.\n"
        ),
    )


def password_changed(ctx: AccountContext, to: str) -> Email:
    app = ctx.settings.sms_app_name
    return Email(
        to=to,
        subject=f"Your {app} password was changed",
        body=(
            f"The password of your {app} account was just changed with a reset link, and every "
            "device signed in to your account was signed out.\n\n"
            "If this wasn't you, reset your password again now and review your account.\n"
        ),
    )


def mfa_reset_by_support(ctx: AccountContext, to: str) -> Email:
    app = ctx.settings.sms_app_name
    return Email(
        to=to,
        subject=f"Two-step verification was turned off for your {app} account",
        body=(
            f"Our support team turned off two-step verification for your {app} account: your phones "
            "are no longer used for it, and your backup codes were deleted.\n\n"
            "Sign in and turn it on again with a phone you have. If you didn't ask for this, contact "
            "support now.\n"
        ),
    )
