"""A signed webhook: POST a JSON body `{"to", "body", "code_purpose", "sent_at"}` to
MFA_SMS_WEBHOOK_URL, for operators who deliver SMS through their own gateway.

Signature scheme (what a receiver checks, see `verify_signature`):
    X-MFA-Timestamp: <unix seconds>
    X-MFA-Signature: sha256=<hex HMAC-SHA256 of f"{timestamp}.{raw body}" under MFA_SMS_WEBHOOK_SECRET>
The timestamp is inside the signed text, so a receiver that refuses timestamps more than 5 minutes
away from its clock also refuses replays of an old request. Any non-2xx answer is a failed send."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from datetime import UTC, datetime

import httpx

from mfa_app.settings import Settings
from mfa_app.sms import retry
from mfa_app.sms.base import SmsMessage

log = logging.getLogger("mfa_app.sms")

TIMESTAMP_HEADER = "X-MFA-Timestamp"
SIGNATURE_HEADER = "X-MFA-Signature"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The X-MFA-Signature value for `body` sent at `timestamp`."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify_signature(
    secret: str, timestamp: str, body: bytes, signature: str, now: float, max_age_s: float = 300
) -> bool:
    """For a receiver: True when `signature` is ours for this raw `body` and `timestamp` (the
    header values as received) and the timestamp is within `max_age_s` of `now` (unix seconds)."""
    if not (timestamp.isascii() and timestamp.isdigit()) or abs(now - int(timestamp)) > max_age_s:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


class WebhookSender(retry.HttpSender):
    provider = "webhook"

    def __init__(self, settings: Settings, client: httpx.Client | None = None) -> None:
        super().__init__(settings, client)
        self._url = settings.sms_webhook_url
        self._secret = settings.sms_webhook_secret

    def send(self, message: SmsMessage) -> None:
        now = time.time()
        body = json.dumps(
            {
                "to": message.to,
                "body": message.body,
                "code_purpose": message.purpose,
                "sent_at": datetime.fromtimestamp(now, UTC).isoformat(),
            }
        ).encode()
        timestamp = str(int(now))
        response = self._post(
            self._url,
            content=body,
            headers={
                "Content-Type": "application/json",
                TIMESTAMP_HEADER: timestamp,
                SIGNATURE_HEADER: sign(self._secret, timestamp, body),
            },
        )
        if response.is_success:
            return
        log.warning("webhook refused a %s message: HTTP %d", message.purpose, response.status_code)
        raise retry.refused(response)
