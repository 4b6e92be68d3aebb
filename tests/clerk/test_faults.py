"""When Clerk's Backend API fails: what is retried (only what cannot have changed anything at
Clerk), how long it takes, what the person is told, and that the secret key is in no log,
error or repr."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from mfa_app.clerk import ClerkIdentity, ClerkSettings, ClerkUnavailable
from mfa_app.clerk.transport import UNAVAILABLE
from mfa_app.identity import Request
from tests import loopback_http
from tests.clerk.helpers import (
    PASSWORD,
    SECRET_KEY,
    TOTAL_TIMEOUT_S,
    FakeClerk,
    Keys,
    session_cookie,
)
from tests.loopback_http import CountingClient


@pytest.fixture(autouse=True)
def _all_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)  # httpx and httpcore included: no secret key in any of it


def assert_no_secret(*texts: str) -> None:
    for text in texts:
        assert SECRET_KEY not in text
        assert SECRET_KEY[len("sk_test_") :] not in text


def look_up_email(identity: ClerkIdentity, keys: Keys) -> str | None:
    who = identity.signed_in(Request(cookies=session_cookie(keys.token())))
    return who.email if who else None


def unavailable(call) -> ClerkUnavailable:
    started = time.monotonic()
    with pytest.raises(ClerkUnavailable) as caught:
        call()
    assert time.monotonic() - started < TOTAL_TIMEOUT_S + 0.5
    return caught.value


@pytest.mark.parametrize(
    ("faults", "attempts"),
    [
        pytest.param(["500", "500"], 3, id="500-twice"),
        pytest.param(["503"], 2, id="503"),
        pytest.param(["429"], 2, id="429"),
        pytest.param(["reset", "reset"], 3, id="connection-reset-twice"),
    ],
)
def test_a_read_is_retried_until_clerk_answers(
    identity: ClerkIdentity, keys: Keys, clerk: FakeClerk, http: CountingClient, faults: list[str], attempts: int
) -> None:
    clerk.fail(*faults)
    assert look_up_email(identity, keys) == "ada@example.com"
    assert http.attempts == len(clerk.requests) == attempts


@pytest.mark.parametrize("fault", ["500", "503", "429", "reset"])
def test_a_read_that_keeps_failing_says_so_in_words(
    identity: ClerkIdentity,
    keys: Keys,
    clerk: FakeClerk,
    http: CountingClient,
    caplog: pytest.LogCaptureFixture,
    fault: str,
) -> None:
    clerk.fail(fault, fault, fault)
    error = unavailable(lambda: look_up_email(identity, keys))
    assert (error.code, error.message, error.status) == ("clerk_unavailable", UNAVAILABLE, 503)
    assert http.attempts == 3
    assert "Oops" not in error.message and "Too many" not in error.message  # Clerk's own text stays out
    assert_no_secret(error.message, str(error), repr(error), caplog.text)
    assert look_up_email(identity, keys) == "ada@example.com"  # and the next try works


@pytest.mark.parametrize(("fault", "checks"), [("500", 1), ("reset", 1), ("slow", 1)])
def test_a_password_check_that_may_have_reached_clerk_is_not_sent_again(
    identity: ClerkIdentity,
    clerk: FakeClerk,
    http: CountingClient,
    caplog: pytest.LogCaptureFixture,
    fault: str,
    checks: int,
) -> None:
    clerk.fail(fault)
    error = unavailable(lambda: identity.check_password("user_ada", PASSWORD))
    assert (error.code, error.message) == ("clerk_unavailable", UNAVAILABLE)
    assert http.attempts == 1
    if fault == "500":
        assert clerk.password_checks == checks  # Clerk did check (and may count it): once only
    assert_no_secret(error.message, str(error), caplog.text)
    assert PASSWORD not in caplog.text
    assert identity.check_password("user_ada", PASSWORD) is True


@pytest.mark.parametrize("fault", ["429", "503"])
def test_a_password_check_clerk_did_not_take_is_retried(
    identity: ClerkIdentity, clerk: FakeClerk, http: CountingClient, fault: str
) -> None:
    clerk.fail(fault, fault)
    assert identity.check_password("user_ada", PASSWORD) is True
    assert http.attempts == 3
    assert clerk.password_checks == 1


def test_429_waits_out_retry_after(
    clerk_settings: ClerkSettings, keys: Keys, clerk: FakeClerk, http: CountingClient
) -> None:
    identity = ClerkIdentity(clerk_settings.model_copy(update={"total_timeout_s": 2.0}), client=http)
    clerk.retry_after = "1"
    clerk.fail("429")
    started = time.monotonic()
    assert identity.check_password("user_ada", PASSWORD) is True
    assert 1.0 <= time.monotonic() - started < 2.0
    assert http.attempts == 2


def test_a_retry_after_beyond_the_time_budget_gives_up_at_once(
    identity: ClerkIdentity, keys: Keys, clerk: FakeClerk, http: CountingClient
) -> None:
    clerk.retry_after = "30"
    clerk.fail("429")
    started = time.monotonic()
    error = unavailable(lambda: look_up_email(identity, keys))
    assert time.monotonic() - started < 0.5
    assert error.message == UNAVAILABLE
    assert http.attempts == 1


def test_a_long_retry_after_says_when_to_come_back(identity: ClerkIdentity, clerk: FakeClerk) -> None:
    clerk.retry_after = "150"
    clerk.fail("429")
    error = unavailable(lambda: identity.check_password("user_ada", PASSWORD))
    assert error.message == "Your account's sign-in service is busy right now. Try again in 3 minutes."


def test_a_slow_answer_is_given_up_at_the_deadline(
    identity: ClerkIdentity, keys: Keys, clerk: FakeClerk, http: CountingClient
) -> None:
    clerk.fail("slow")
    error = unavailable(lambda: look_up_email(identity, keys))
    assert error.message == UNAVAILABLE
    assert http.attempts == 1  # the deadline left no time for another


def test_connection_refused_is_retried_then_clerk_is_used_again(
    identity: ClerkIdentity, keys: Keys, clerk: FakeClerk, http: CountingClient
) -> None:
    clerk.stop()
    error = unavailable(lambda: identity.check_password("user_ada", PASSWORD))
    assert error.message == UNAVAILABLE
    assert http.attempts == 3
    clerk.start()
    assert identity.check_password("user_ada", PASSWORD) is True
    assert clerk.password_checks == 1


@pytest.fixture
def unanswered_port() -> Iterator[int]:
    with loopback_http.unanswered_port() as port:
        yield port


def test_a_connect_timeout_is_retried_within_the_deadline(
    clerk_settings: ClerkSettings, http: CountingClient, unanswered_port: int
) -> None:
    settings = clerk_settings.model_copy(update={"api_url": f"http://127.0.0.1:{unanswered_port}/v1"})
    identity = ClerkIdentity(settings, client=http)
    error = unavailable(lambda: identity.check_password("user_ada", PASSWORD))
    assert error.message == UNAVAILABLE
    assert http.attempts >= 2  # each attempt waited at most the connect timeout


def test_a_wrong_secret_key_is_the_operators_error_not_the_persons(
    clerk_settings: ClerkSettings,
    keys: Keys,
    clerk: FakeClerk,
    http: CountingClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    wrong = "sk_test_" + "d3JvbmdrZXk" * 4
    identity = ClerkIdentity(clerk_settings.model_copy(update={"secret_key": SecretStr(wrong)}), client=http)
    error = unavailable(lambda: look_up_email(identity, keys))
    assert error.message == UNAVAILABLE
    assert http.attempts == 1
    assert clerk.authorizations == [f"Bearer {wrong}"]
    [record] = [r for r in caplog.records if r.name == "mfa_app.clerk" and r.levelno == logging.ERROR]
    assert "HTTP 401, authentication_invalid" in record.getMessage()
    assert wrong not in caplog.text and wrong not in str(error)


def test_the_secret_key_is_sent_to_clerk_and_shown_nowhere(
    identity: ClerkIdentity,
    clerk_settings: ClerkSettings,
    keys: Keys,
    clerk: FakeClerk,
    caplog: pytest.LogCaptureFixture,
) -> None:
    clerk.fail("500", "500", "500")
    with pytest.raises(ClerkUnavailable) as caught:
        look_up_email(identity, keys)
    assert look_up_email(identity, keys) == "ada@example.com"
    assert set(clerk.authorizations) == {f"Bearer {SECRET_KEY}"}
    assert_no_secret(
        repr(identity),
        repr(clerk_settings),
        str(clerk_settings),
        str(clerk_settings.model_dump()),
        repr(vars(identity)),
        str(caught.value),
        repr(caught.value),
        caplog.text,
    )
    assert "Oops" not in caplog.text  # Clerk's error messages are not logged, only their codes
    assert "internal_clerk_error" in caplog.text


def test_the_logs_name_endpoints_not_session_ids(
    identity: ClerkIdentity, keys: Keys, clerk: FakeClerk, caplog: pytest.LogCaptureFixture
) -> None:
    connected = time.time() - 120
    old = keys.token(iat=int(connected), nbf=int(connected), exp=int(connected) + 60)
    clerk.fail("500", "500", "500")
    with pytest.raises(ClerkUnavailable):
        identity.signed_in(Request(cookies=session_cookie(old), connected_at=connected))
    ours = [r.getMessage() for r in caplog.records if r.name == "mfa_app.clerk"]
    assert "clerk GET /sessions/{id}: gave up" in ours
    assert not [line for line in ours if "sess_1" in line]  # the session id is mfa_app's session key


def test_no_secret_key_is_refused_at_start(clerk_settings: ClerkSettings) -> None:
    with pytest.raises(ValueError, match="CLERK_SECRET_KEY"):
        ClerkIdentity(clerk_settings.model_copy(update={"secret_key": SecretStr("")}))
