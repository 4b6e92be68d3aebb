"""SMS codes: 6 digits, 10 minutes, single use, 5 tries, 30 s between sends."""

from __future__ import annotations

import re

import pytest

from mfa_app import accounts
from mfa_app.accounts import AccountError
from mfa_app.accounts.sms_codes import message_body
from tests.helpers import PASSWORD, enable_mfa


@pytest.fixture
def phone(ctx, user):
    phone = accounts.create_phone(ctx, user.token, "+14155552671")
    accounts.prepare_verification(ctx, user.token, phone.id)
    return phone


def wrong_code(right: str) -> str:
    return f"{(int(right) + 1) % 1_000_000:06d}"


def test_the_code_is_six_digits_in_an_origin_bound_message(ctx, outbox, phone):
    message = outbox.messages()[-1]
    assert message["to"] == "+14155552671"
    assert re.fullmatch(r"\d{6}", outbox.last_code())
    assert message["body"].startswith("mfa_app: your verification code is ")
    assert message["body"].splitlines()[-1] == f"@localhost #{outbox.last_code()}"
    assert set(message) == {"to", "body", "sent_at"}


def test_message_body_names_the_app_and_host(settings):
    settings.sms_app_name, settings.sms_origin_host = "Acme", "acme.example"
    assert message_body(settings, "123456").endswith("\n\n@acme.example #123456")
    assert message_body(settings, "123456").startswith("Acme: ")


def test_a_code_works_once(ctx, outbox, user, phone):
    code = outbox.last_code()
    accounts.attempt_verification(ctx, user.token, phone.id, code)
    with pytest.raises(AccountError, match="verification_already_verified"):
        accounts.attempt_verification(ctx, user.token, phone.id, code)


def test_a_code_used_for_sign_in_cannot_be_used_twice(ctx, outbox, clock, user):
    phone = enable_mfa(ctx, outbox, user.token)
    pending = accounts.sign_in(ctx, user.email, PASSWORD).session_token
    clock.advance(seconds=31)
    accounts.prepare_second_factor(ctx, pending, phone.id)
    code = outbox.last_code()
    accounts.attempt_second_factor(ctx, pending, "phone_code", code)
    again = accounts.sign_in(ctx, user.email, PASSWORD).session_token
    with pytest.raises(AccountError, match="verification_missing"):
        accounts.attempt_second_factor(ctx, again, "phone_code", code)


def test_an_expired_code_is_refused(ctx, outbox, clock, user, phone):
    clock.advance(minutes=10, seconds=1)
    with pytest.raises(AccountError, match="verification_expired"):
        accounts.attempt_verification(ctx, user.token, phone.id, outbox.last_code())
    assert accounts.list_phones(ctx, user.token)[0].verification.status == "expired"


def test_the_code_still_works_just_before_ten_minutes(ctx, outbox, clock, user, phone):
    clock.advance(minutes=9, seconds=59)
    assert (
        accounts.attempt_verification(ctx, user.token, phone.id, outbox.last_code()).verification.status == "verified"
    )


def test_the_sixth_try_is_refused_even_with_the_right_code(ctx, outbox, user, phone):
    right = outbox.last_code()
    for tries_left in (4, 3, 2, 1, 0):
        with pytest.raises(AccountError) as wrong:
            accounts.attempt_verification(ctx, user.token, phone.id, wrong_code(right))
        assert (wrong.value.code, wrong.value.meta["tries_left"]) == ("form_code_incorrect", tries_left)
    with pytest.raises(AccountError, match="verification_failed"):
        accounts.attempt_verification(ctx, user.token, phone.id, right)
    assert accounts.list_phones(ctx, user.token)[0].verification.status == "failed"


def test_a_wrong_code_says_how_many_tries_the_code_has_left(ctx, outbox, user, phone):
    messages = []
    for _ in range(5):
        with pytest.raises(AccountError) as wrong:
            accounts.attempt_verification(ctx, user.token, phone.id, wrong_code(outbox.last_code()))
        messages.append(wrong.value.message)
    assert messages == [
        "That code is incorrect. 4 tries left.",
        "That code is incorrect. 3 tries left.",
        "That code is incorrect. 2 tries left.",
        "That code is incorrect. 1 try left.",
        "That code is incorrect. Request a new one.",
    ]


def test_the_right_code_on_the_fifth_try_works(ctx, outbox, user, phone):
    right = outbox.last_code()
    for _ in range(4):
        with pytest.raises(AccountError, match="form_code_incorrect"):
            accounts.attempt_verification(ctx, user.token, phone.id, wrong_code(right))
    assert accounts.attempt_verification(ctx, user.token, phone.id, right).verification.status == "verified"


def test_a_resend_inside_the_cooldown_is_refused_with_the_wait(ctx, clock, user, phone):
    clock.advance(seconds=20)
    with pytest.raises(AccountError) as refused:
        accounts.prepare_verification(ctx, user.token, phone.id)
    assert refused.value.code == "verification_code_too_many_requests"
    assert refused.value.meta["seconds_left"] == 11


def test_a_resend_after_the_cooldown_replaces_the_code(ctx, outbox, clock, user, phone):
    old = outbox.last_code()
    clock.advance(seconds=30)
    accounts.prepare_verification(ctx, user.token, phone.id)
    new = outbox.last_code()
    if new != old:
        with pytest.raises(AccountError, match="form_code_incorrect"):
            accounts.attempt_verification(ctx, user.token, phone.id, old)
    assert accounts.attempt_verification(ctx, user.token, phone.id, new).verification.status == "verified"


@pytest.mark.parametrize("garbage", ["", "12345", "1234567", "abcdef", "١٢٣٤٥٦", "12 34 5", "123_456"])
def test_a_malformed_code_is_refused_without_using_a_try(ctx, user, phone, garbage):
    with pytest.raises(AccountError, match="form_param_format_invalid"):
        accounts.attempt_verification(ctx, user.token, phone.id, garbage)
    assert accounts.list_phones(ctx, user.token)[0].verification.attempts == 0


def test_attempting_before_any_code_was_sent(ctx, user):
    phone = accounts.create_phone(ctx, user.token, "+14155552671")
    with pytest.raises(AccountError, match="verification_missing"):
        accounts.attempt_verification(ctx, user.token, phone.id, "123456")


@pytest.mark.parametrize("written", ["{0} {1}", "{0}-{1}", " {0}{1} "])
def test_a_code_written_with_a_space_or_a_hyphen_is_the_code(ctx, outbox, user, phone, written):
    code = outbox.last_code()
    typed = written.format(code[:3], code[3:])
    assert accounts.attempt_verification(ctx, user.token, phone.id, typed).verification.status == "verified"
