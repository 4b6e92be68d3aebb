"""The Twilio provider against a fake Twilio on loopback, driven through the account service:
what the user is told for each fault, that nothing is sent twice, and that the user can try
again at once and verify the phone with the code Twilio received."""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import Iterator

import pytest

from mfa_app import accounts
from mfa_app.accounts.context import AccountContext
from mfa_app.settings import Settings
from mfa_app.sms import make_sender
from mfa_app.sms.base import SmsMessage, SmsSendError
from mfa_app.sms.outbox import OutboxSender
from mfa_app.sms.retry import MAYBE_SENT, NOT_SENT, REFUSED
from mfa_app.sms.twilio import ERRORS, TwilioSender
from tests import loopback_http
from tests.helpers import FakeClock
from tests.loopback_http import CountingClient
from tests.sms.helpers import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    FROM_NUMBER,
    PHONE,
    TOTAL_TIMEOUT_S,
    FakeTwilio,
    add_phone,
    context,
    refused,
    retry_and_verify,
    sends_recorded,
)

SECRETS = (AUTH_TOKEN, base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode())


@pytest.fixture(autouse=True)
def _all_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)  # httpx and httpcore included: no credentials in any of it


def assert_no_secrets(*texts: str) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in text


def test_sends_the_code_with_twilios_messages_api(twilio_ctx: AccountContext, twilio: FakeTwilio) -> None:
    user, phone = add_phone(twilio_ctx)
    retry_and_verify(twilio_ctx, twilio, user, phone)
    [message] = twilio.delivered
    assert message["to"] == PHONE
    assert message["from"] == FROM_NUMBER
    assert message["messaging_service_sid"] is None
    assert message["body"].startswith("mfa_app: ")
    assert message["body"].endswith(f"\n\n@localhost #{twilio.last_code()}")


def test_sends_through_a_messaging_service_instead_of_a_from_number(
    twilio_settings: Settings, twilio: FakeTwilio, http: CountingClient
) -> None:
    settings = twilio_settings.model_copy(
        update={"twilio_from_number": "", "twilio_messaging_service_sid": "MG" + "1" * 32}
    )
    TwilioSender(settings, http).send(SmsMessage(to=PHONE, body="hello #123456", purpose="phone_verification"))
    [message] = twilio.delivered
    assert message["from"] is None
    assert message["messaging_service_sid"] == "MG" + "1" * 32


@pytest.mark.parametrize(
    ("faults", "code", "message", "attempts"),
    [
        pytest.param(["slow"], "sms_send_error", MAYBE_SENT, 1, id="slow"),
        pytest.param(["500"], "sms_send_error", MAYBE_SENT, 1, id="500"),
        pytest.param(["reset"], "sms_send_error", MAYBE_SENT, 1, id="connection-reset"),
        pytest.param(["garbage"], "sms_send_error", MAYBE_SENT, 1, id="malformed-error-body"),
        pytest.param(["429"] * 3, "sms_send_error", NOT_SENT, 3, id="429-every-time"),
        pytest.param(["503"] * 3, "sms_send_error", NOT_SENT, 3, id="503-every-time"),
        pytest.param([21211], "form_param_format_invalid", ERRORS[21211][1], 1, id="21211-invalid-to"),
        pytest.param([21614], "form_param_format_invalid", ERRORS[21614][1], 1, id="21614-not-mobile"),
        pytest.param([21408], "unsupported_country_code", ERRORS[21408][1], 1, id="21408-region"),
        pytest.param([21612], "unsupported_country_code", ERRORS[21612][1], 1, id="21612-route"),
        pytest.param([21215], "unsupported_country_code", ERRORS[21215][1], 1, id="21215-geo"),
        pytest.param([21610], "sms_send_error", ERRORS[21610][1], 1, id="21610-opted-out"),
        pytest.param([21606], "sms_send_error", REFUSED, 1, id="other-refusal"),
    ],
)
def test_a_failed_send_tells_the_user_and_costs_nothing(
    twilio_ctx: AccountContext,
    twilio: FakeTwilio,
    http: CountingClient,
    caplog: pytest.LogCaptureFixture,
    faults: list[str | int],
    code: str,
    message: str,
    attempts: int,
) -> None:
    user, phone = add_phone(twilio_ctx)
    twilio.fail(*faults)
    started = time.monotonic()
    error = refused(twilio_ctx, user, phone)
    assert time.monotonic() - started < TOTAL_TIMEOUT_S + 0.5
    assert (error.code, error.message) == (code, message)
    assert "Twilio says no" not in error.message  # Twilio's own text (with the number) stays out
    assert_no_secrets(error.message, str(error), caplog.text)
    assert len(twilio.requests) == http.attempts == attempts  # retried only where nothing was taken
    assert len(twilio.delivered) <= 1
    assert sends_recorded(twilio_ctx) == 0
    retry_and_verify(twilio_ctx, twilio, user, phone)


def test_the_opt_out_message_says_what_to_do() -> None:
    code, message = ERRORS[21610]
    assert code == "sms_send_error"
    assert "START" in message and "different number" in message


def test_429_is_retried_after_retry_after_and_sends_once(
    twilio_settings: Settings, twilio: FakeTwilio, http: CountingClient, clock: FakeClock
) -> None:
    settings = twilio_settings.model_copy(update={"sms_total_timeout_s": 2.0})  # room for a 1 s wait
    twilio.retry_after = "1"
    twilio.fail("429")
    with context(settings, TwilioSender(settings, http), clock) as ctx:
        user, phone = add_phone(ctx)
        started = time.monotonic()
        retry_and_verify(ctx, twilio, user, phone)
        assert 1.0 <= time.monotonic() - started < 2.0
    assert len(twilio.requests) == http.attempts == 2
    assert len(twilio.delivered) == 1


def test_503_is_retried_with_backoff_and_sends_once(
    twilio_ctx: AccountContext, twilio: FakeTwilio, http: CountingClient
) -> None:
    user, phone = add_phone(twilio_ctx)
    twilio.fail("503", "503")
    retry_and_verify(twilio_ctx, twilio, user, phone)
    assert len(twilio.requests) == http.attempts == 3
    assert len(twilio.delivered) == 1


def test_a_retry_after_beyond_the_time_budget_gives_up_at_once(
    twilio_ctx: AccountContext, twilio: FakeTwilio, http: CountingClient
) -> None:
    user, phone = add_phone(twilio_ctx)
    twilio.retry_after = "30"
    twilio.fail("429")
    started = time.monotonic()
    error = refused(twilio_ctx, user, phone)
    assert time.monotonic() - started < 0.5
    assert (error.code, error.message) == ("sms_send_error", NOT_SENT)
    assert http.attempts == 1
    retry_and_verify(twilio_ctx, twilio, user, phone)


def test_a_malformed_201_counts_as_sent(twilio_ctx: AccountContext, twilio: FakeTwilio) -> None:
    user, phone = add_phone(twilio_ctx)
    twilio.fail("malformed")
    accounts.prepare_verification(twilio_ctx, user.token, phone.id)
    assert len(twilio.requests) == len(twilio.delivered) == 1
    verified = accounts.attempt_verification(twilio_ctx, user.token, phone.id, twilio.last_code())
    assert verified.verification.status == "verified"


def test_connection_refused_is_retried_then_the_user_can_try_again(
    twilio_ctx: AccountContext, twilio: FakeTwilio, http: CountingClient
) -> None:
    user, phone = add_phone(twilio_ctx)
    twilio.stop()
    error = refused(twilio_ctx, user, phone)
    assert (error.code, error.message) == ("sms_send_error", NOT_SENT)
    assert http.attempts == 3
    assert sends_recorded(twilio_ctx) == 0
    twilio.start()
    retry_and_verify(twilio_ctx, twilio, user, phone)
    assert len(twilio.requests) == 1


@pytest.fixture
def unanswered_port() -> Iterator[int]:
    with loopback_http.unanswered_port() as port:
        yield port


def test_connect_timeouts_are_retried_within_the_total_timeout(
    twilio_settings: Settings, http: CountingClient, unanswered_port: int
) -> None:
    settings = twilio_settings.model_copy(update={"twilio_api_base": f"http://127.0.0.1:{unanswered_port}"})
    started = time.monotonic()
    with pytest.raises(SmsSendError) as caught:
        TwilioSender(settings, http).send(SmsMessage(to=PHONE, body="#123456", purpose="phone_verification"))
    assert time.monotonic() - started < TOTAL_TIMEOUT_S + 0.3
    assert (caught.value.code, caught.value.message) == ("sms_send_error", NOT_SENT)
    assert http.attempts >= 2


def test_wrong_credentials_are_never_shown_or_logged(
    twilio_settings: Settings, twilio: FakeTwilio, http: CountingClient, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = "tok-wrong-" + "x" * 20
    sender = TwilioSender(twilio_settings.model_copy(update={"twilio_auth_token": wrong}), http)
    with pytest.raises(SmsSendError) as caught:
        sender.send(SmsMessage(to=PHONE, body="#123456", purpose="phone_verification"))
    assert (caught.value.code, caught.value.message) == ("sms_send_error", REFUSED)
    assert http.attempts == 1 and twilio.delivered == []
    for text in (caught.value.message, str(caught.value), repr(caught.value), caplog.text, repr(sender)):
        assert wrong not in text
        assert AUTH_TOKEN not in text


def test_the_sender_repr_holds_no_credentials(twilio_settings: Settings) -> None:
    assert_no_secrets(repr(TwilioSender(twilio_settings)), str(TwilioSender(twilio_settings)))


def test_make_sender_builds_twilio(twilio_settings: Settings) -> None:
    assert isinstance(make_sender(twilio_settings), TwilioSender)
    by_service = twilio_settings.model_copy(update={"twilio_from_number": "", "twilio_messaging_service_sid": "MG1"})
    assert isinstance(make_sender(by_service), TwilioSender)


@pytest.mark.parametrize(
    ("blank", "named"),
    [
        (["twilio_account_sid"], "TWILIO_ACCOUNT_SID"),
        (["twilio_auth_token"], "TWILIO_AUTH_TOKEN"),
        (["twilio_from_number", "twilio_messaging_service_sid"], "TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID"),
    ],
)
def test_make_sender_names_missing_twilio_settings(twilio_settings: Settings, blank: list[str], named: str) -> None:
    with pytest.raises(ValueError, match=named) as caught:
        make_sender(twilio_settings.model_copy(update=dict.fromkeys(blank, "")))
    assert_no_secrets(str(caught.value))


def test_make_sender_defaults_to_the_outbox(settings: Settings) -> None:
    assert isinstance(make_sender(settings), OutboxSender)
