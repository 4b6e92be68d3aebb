"""The signed webhook against a receiver on loopback that verifies every signature, driven through
the account service; and `verify_signature` as a receiver uses it."""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime

import pytest

from mfa_app.accounts.context import AccountContext
from mfa_app.settings import Settings
from mfa_app.sms import make_sender
from mfa_app.sms.base import SmsMessage, SmsSendError
from mfa_app.sms.retry import MAYBE_SENT, NOT_SENT, REFUSED
from mfa_app.sms.webhook import WebhookSender, sign, verify_signature
from tests.loopback_http import CountingClient
from tests.sms.helpers import (
    PHONE,
    TOTAL_TIMEOUT_S,
    WEBHOOK_SECRET,
    FakeWebhook,
    add_phone,
    refused,
    retry_and_verify,
    sends_recorded,
)


def test_posts_a_signed_json_body(webhook_ctx: AccountContext, webhook: FakeWebhook) -> None:
    user, phone = add_phone(webhook_ctx)
    retry_and_verify(webhook_ctx, webhook, user, phone)
    [message] = webhook.delivered
    assert set(message) == {"to", "body", "code_purpose", "sent_at"}
    assert message["to"] == PHONE
    assert message["code_purpose"] == "phone_verification"
    assert message["body"].endswith(f"@localhost #{webhook.last_code()}")
    sent_at = datetime.fromisoformat(message["sent_at"])
    [signed] = webhook.signed
    assert abs(sent_at.timestamp() - int(signed["timestamp"])) < 1
    assert signed["signature"] == sign(WEBHOOK_SECRET, signed["timestamp"], signed["raw"])


@pytest.mark.parametrize(
    ("faults", "message", "attempts"),
    [
        pytest.param(["slow"], MAYBE_SENT, 1, id="slow"),
        pytest.param(["500"], MAYBE_SENT, 1, id="500"),
        pytest.param(["reset"], MAYBE_SENT, 1, id="connection-reset"),
        pytest.param(["garbage"], MAYBE_SENT, 1, id="malformed-502"),
        pytest.param(["429"] * 3, NOT_SENT, 3, id="429-every-time"),
        pytest.param(["503"] * 3, NOT_SENT, 3, id="503-every-time"),
        pytest.param([21211], REFUSED, 1, id="400"),
    ],
)
def test_a_failed_send_tells_the_user_and_costs_nothing(
    webhook_ctx: AccountContext,
    webhook: FakeWebhook,
    http: CountingClient,
    caplog: pytest.LogCaptureFixture,
    faults: list[str | int],
    message: str,
    attempts: int,
) -> None:
    caplog.set_level(logging.DEBUG)
    user, phone = add_phone(webhook_ctx)
    webhook.fail(*faults)
    started = time.monotonic()
    error = refused(webhook_ctx, user, phone)
    assert time.monotonic() - started < TOTAL_TIMEOUT_S + 0.5
    assert (error.code, error.message) == ("sms_send_error", message)
    assert WEBHOOK_SECRET not in error.message + caplog.text
    assert len(webhook.requests) == http.attempts == attempts
    assert len(webhook.delivered) <= 1
    assert sends_recorded(webhook_ctx) == 0
    retry_and_verify(webhook_ctx, webhook, user, phone)


def test_a_429_then_success_sends_once(webhook_ctx: AccountContext, webhook: FakeWebhook) -> None:
    user, phone = add_phone(webhook_ctx)
    webhook.fail("429")
    retry_and_verify(webhook_ctx, webhook, user, phone)
    assert len(webhook.requests) == 2
    assert len(webhook.delivered) == 1


def test_receiver_down_then_up(webhook_ctx: AccountContext, webhook: FakeWebhook, http: CountingClient) -> None:
    user, phone = add_phone(webhook_ctx)
    webhook.stop()
    error = refused(webhook_ctx, user, phone)
    assert (error.code, error.message) == ("sms_send_error", NOT_SENT)
    assert http.attempts == 3
    webhook.start()
    retry_and_verify(webhook_ctx, webhook, user, phone)


def test_a_wrong_secret_is_refused_by_the_receiver(
    webhook_settings: Settings, webhook: FakeWebhook, http: CountingClient
) -> None:
    sender = WebhookSender(webhook_settings.model_copy(update={"sms_webhook_secret": "not-the-secret"}), http)
    with pytest.raises(SmsSendError) as caught:
        sender.send(SmsMessage(to=PHONE, body="#123456", purpose="sign_in"))
    assert (caught.value.code, caught.value.message) == ("sms_send_error", REFUSED)
    assert webhook.delivered == []
    assert "not-the-secret" not in repr(sender) + str(caught.value)


def test_a_captured_request_replayed_after_5_minutes_is_refused(
    webhook_settings: Settings, webhook: FakeWebhook, http: CountingClient
) -> None:
    WebhookSender(webhook_settings, http).send(SmsMessage(to=PHONE, body="#123456", purpose="sign_in"))
    [signed] = webhook.signed
    sent = int(signed["timestamp"])
    args = (WEBHOOK_SECRET, signed["timestamp"], signed["raw"], signed["signature"])
    assert verify_signature(*args, now=sent + 299)
    assert not verify_signature(*args, now=sent + 301)
    assert not verify_signature(*args, now=sent - 301)  # a clock far ahead is no better


def test_verify_signature_refuses_anything_changed() -> None:
    body = json.dumps({"to": PHONE, "body": "#123456"}).encode()
    now = time.time()
    timestamp = str(int(now))
    signature = sign(WEBHOOK_SECRET, timestamp, body)
    assert verify_signature(WEBHOOK_SECRET, timestamp, body, signature, now)
    assert not verify_signature(WEBHOOK_SECRET, timestamp, body.replace(b"123456", b"654321"), signature, now)
    assert not verify_signature("another-secret", timestamp, body, signature, now)
    assert not verify_signature(WEBHOOK_SECRET, str(int(now) - 1), body, signature, now)
    assert not verify_signature(WEBHOOK_SECRET, timestamp, body, signature.removeprefix("sha256="), now)
    assert not verify_signature(WEBHOOK_SECRET, "", body, signature, now)
    assert not verify_signature(WEBHOOK_SECRET, "1e9", body, signature, now)


def test_make_sender_builds_the_webhook(webhook_settings: Settings) -> None:
    assert isinstance(make_sender(webhook_settings), WebhookSender)


@pytest.mark.parametrize(
    ("update", "named"),
    [
        ({"sms_webhook_url": ""}, "MFA_SMS_WEBHOOK_URL"),
        ({"sms_webhook_secret": ""}, "MFA_SMS_WEBHOOK_SECRET"),
        ({"sms_webhook_url": "ftp://example.com/sms"}, "http:// or https://"),
    ],
)
def test_make_sender_refuses_an_incomplete_webhook(webhook_settings: Settings, update: dict, named: str) -> None:
    with pytest.raises(ValueError, match=named) as caught:
        make_sender(webhook_settings.model_copy(update=update))
    assert WEBHOOK_SECRET not in str(caught.value)
