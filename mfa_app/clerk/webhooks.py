"""Clerk's webhooks, as Svix signs them: the way a change made in Clerk itself (its dashboard,
its <UserProfile/>) to a user's second factor reaches mfa_app (accounts/follow.py).

A message is taken only with a valid signature made with the endpoint's signing secret
(`whsec_…`, CLERK_WEBHOOK_SIGNING_SECRET) and a timestamp within five minutes (a replayed old
message is refused). Even then its content is not trusted: it only says which user to read
again from the Backend API."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

TOLERANCE_S = 300  # as Svix's own libraries
MAX_BODY_BYTES = 1_000_000


class InvalidWebhook(Exception):
    """Not a message signed for this endpoint, or too old: refused (400), never acted on."""


def verified_event(secret: str, headers: Mapping[str, str], body: bytes, now: float) -> dict[str, Any]:
    """The message's JSON, once its Svix signature (`svix-id`, `svix-timestamp`,
    `svix-signature`: one or more `v1,<base64 HMAC-SHA256>` separated by spaces, over
    "<id>.<timestamp>.<body>") checks out with `secret`."""
    message_id, timestamp, signatures = (headers.get(h, "") for h in ("svix-id", "svix-timestamp", "svix-signature"))
    if not (message_id and timestamp and signatures):
        raise InvalidWebhook("no Svix signature headers")
    if len(body) > MAX_BODY_BYTES:
        raise InvalidWebhook("body too large")
    try:
        sent_at = int(timestamp)
        key = base64.b64decode(secret.removeprefix("whsec_"), validate=True)
    except (ValueError, binascii.Error):
        raise InvalidWebhook("malformed timestamp or signing secret") from None
    if abs(now - sent_at) > TOLERANCE_S:
        raise InvalidWebhook("timestamp outside five minutes")
    signed = f"{message_id}.{timestamp}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    given = [part.split(",", 1)[1] for part in signatures.split() if part.startswith("v1,")]
    if not any(hmac.compare_digest(expected, signature) for signature in given):
        raise InvalidWebhook("signature does not match")
    try:
        event = json.loads(body)
    except ValueError:
        raise InvalidWebhook("not JSON") from None
    if not isinstance(event, dict):
        raise InvalidWebhook("not an event")
    return event


def user_changed(event: Mapping[str, Any]) -> str | None:
    """The id of the user whose second factor may have changed: `user.updated` (a phone
    reserved, released or deleted, MFA disabled all update the user), else None."""
    data = event.get("data")
    if event.get("type") == "user.updated" and isinstance(data, dict) and isinstance(data.get("id"), str):
        return data["id"]
    return None
