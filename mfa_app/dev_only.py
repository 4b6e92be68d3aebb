"""The outbox SMS provider is for a person trying the app on their own machine: /dev/outbox shows
every code it "sent". So production mode refuses to start with it unless a deployment asks for
it by name, and /dev/outbox shows its messages to loopback clients only."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping

from reflex.utils.exec import is_prod_mode

from mfa_app.settings import Settings

# Set by a reverse proxy: the request came from elsewhere, whatever address it came from.
_FORWARDING_HEADERS = ("x-forwarded-for", "forwarded", "x-real-ip")


class OutboxInProduction(RuntimeError):
    pass


def refuse_outbox_in_production(settings: Settings) -> None:
    if is_prod_mode() and settings.sms_provider == "outbox" and not settings.allow_outbox_in_production:
        raise OutboxInProduction(
            "MFA_SMS_PROVIDER is 'outbox' (the default) in production mode, and /dev/outbox would show "
            "every SMS code to anyone. Set MFA_SMS_PROVIDER to 'twilio' or 'webhook' (see docs/operations.md), "
            "or MFA_ALLOW_OUTBOX_IN_PRODUCTION=1 for a test deployment that must use the outbox."
        )


def is_local_client(client_ip: str, headers: Mapping[str, str]) -> bool:
    """A client on this machine, talking to the backend directly: its address is a loopback one
    and no proxy forwarded the request (behind a proxy on this machine every client would
    otherwise look local)."""
    try:
        address = ipaddress.ip_address(client_ip)
    except ValueError:
        return False
    loopback = (getattr(address, "ipv4_mapped", None) or address).is_loopback  # ::ffff:127.0.0.1 too
    return loopback and not any(name in headers for name in _FORWARDING_HEADERS)
