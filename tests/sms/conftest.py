"""Real HTTP servers on 127.0.0.1 for the SMS providers: a fake Twilio Messages API and a webhook
receiver that checks signatures. Both record what they received and can be told to misbehave.

`server.fail(*faults)` queues one fault per coming request (then it answers normally again):
  "slow"     answers 201, but only after `slow_s` seconds (the message was taken)
  "500"      500 with Twilio's error JSON (code 20500)
  "429"      429 with `Retry-After: <retry_after>` (Twilio code 20429)
  "503"      503 with `Retry-After: <retry_after>`
  "reset"    reads the request, takes the message, then resets the connection without answering
  "malformed" 201 with a body that is not JSON (the message was taken)
  "garbage"  502 with an HTML page instead of JSON
  <int>      400 with Twilio's error JSON for that code (e.g. 21211, 21408, 21610)
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mfa_app.accounts.context import AccountContext
from mfa_app.settings import Settings
from mfa_app.sms.twilio import TwilioSender
from mfa_app.sms.webhook import WebhookSender
from tests.helpers import FakeClock
from tests.loopback_http import CountingClient
from tests.sms.helpers import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    CONNECT_TIMEOUT_S,
    FROM_NUMBER,
    TOTAL_TIMEOUT_S,
    WEBHOOK_SECRET,
    FakeTwilio,
    FakeWebhook,
    context,
)


@pytest.fixture
def twilio() -> Iterator[FakeTwilio]:
    server = FakeTwilio()
    yield server
    server.close()


@pytest.fixture
def webhook() -> Iterator[FakeWebhook]:
    server = FakeWebhook()
    yield server
    server.close()


@pytest.fixture
def http() -> Iterator[CountingClient]:
    with CountingClient() as client:
        yield client


@pytest.fixture
def twilio_settings(settings: Settings, twilio: FakeTwilio) -> Settings:
    return settings.model_copy(
        update={
            "sms_provider": "twilio",
            "sms_connect_timeout_s": CONNECT_TIMEOUT_S,
            "sms_total_timeout_s": TOTAL_TIMEOUT_S,
            "twilio_account_sid": ACCOUNT_SID,
            "twilio_auth_token": AUTH_TOKEN,
            "twilio_from_number": FROM_NUMBER,
            "twilio_api_base": twilio.base_url,
        }
    )


@pytest.fixture
def webhook_settings(settings: Settings, webhook: FakeWebhook) -> Settings:
    return settings.model_copy(
        update={
            "sms_provider": "webhook",
            "sms_connect_timeout_s": CONNECT_TIMEOUT_S,
            "sms_total_timeout_s": TOTAL_TIMEOUT_S,
            "sms_webhook_url": f"{webhook.base_url}/sms",
            "sms_webhook_secret": WEBHOOK_SECRET,
        }
    )


@pytest.fixture
def twilio_ctx(twilio_settings: Settings, http: CountingClient, clock: FakeClock) -> Iterator[AccountContext]:
    with context(twilio_settings, TwilioSender(twilio_settings, http), clock) as ctx:
        yield ctx


@pytest.fixture
def webhook_ctx(webhook_settings: Settings, http: CountingClient, clock: FakeClock) -> Iterator[AccountContext]:
    with context(webhook_settings, WebhookSender(webhook_settings, http), clock) as ctx:
        yield ctx
