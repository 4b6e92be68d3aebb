"""The outbox SMS provider is for a person trying the app on their own machine: /dev/outbox shows
every code it "sent". So production mode refuses to start with it unless a deployment asks for
it by name."""

from __future__ import annotations

from reflex.utils.exec import is_prod_mode

from mfa_app.settings import Settings


class OutboxInProduction(RuntimeError):
    pass


def refuse_outbox_in_production(settings: Settings) -> None:
    if is_prod_mode() and settings.sms_provider == "outbox" and not settings.allow_outbox_in_production:
        raise OutboxInProduction(
            "MFA_SMS_PROVIDER is 'outbox' (the default) in production mode, and /dev/outbox would show "
            "every SMS code to anyone. Set MFA_SMS_PROVIDER to 'twilio' or 'webhook' (see the README), "
            "or MFA_ALLOW_OUTBOX_IN_PRODUCTION=1 for a test deployment that must use the outbox."
        )
