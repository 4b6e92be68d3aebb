"""Security notices by SMS to the account's other phones. Best effort: a notice that can't be
sent is logged and never undoes the change it reports."""

from __future__ import annotations

from mfa_app.accounts.context import AccountContext, log
from mfa_app.sms.base import SmsMessage, SmsSendError


def notify(ctx: AccountContext, numbers: list[str], text: str) -> None:
    body = f"{ctx.settings.sms_app_name}: {text} If this wasn't you, sign in and review your account now."
    for number in dict.fromkeys(numbers):
        try:
            ctx.sender.send(SmsMessage(to=number, body=body, purpose="notification"))
        except SmsSendError as exc:
            log.warning("security notice to %s not sent: %s", number[-4:], exc.message)
