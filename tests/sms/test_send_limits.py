"""The limits against SMS pumping (mfa_app/accounts/limits.py), through the account service: two
budgets that never share a count (codes to MFA phones; codes to numbers being added), the hourly
caps per phone number, per account and per client address, the app-wide caps, the cap on phones
waiting for verification, and the country allowlist. The counts live in the database; a refused
send reaches no provider, and every refusal says when to try again."""

from __future__ import annotations

import logging

import pytest

from mfa_app import accounts
from mfa_app.accounts.context import AccountContext
from mfa_app.accounts.errors import AccountError
from mfa_app.settings import Settings
from tests.helpers import PASSWORD, FakeClock, Outbox, SignedIn, enable_mfa, sign_up
from tests.sms.helpers import PHONE, add_phone, refused, sends_recorded

UK_MOBILE = "+447911123456"
CLIENT = "203.0.113.7"
OTHER_CLIENT = "198.51.100.23"


def numbers(n: int) -> list[str]:
    """`n` distinct valid mobile numbers, none of them PHONE."""
    return [f"+447400{100000 + i:06d}" for i in range(n)]


def refusal(call) -> AccountError:
    with pytest.raises(AccountError) as caught:
        call()
    return caught.value


def mfa_users(ctx: AccountContext, outbox: Outbox, count: int) -> list[tuple[SignedIn, str]]:
    """`count` users with MFA on, each with its own MFA phone: (user, phone id)."""
    users = []
    for number in numbers(count):
        user = sign_up(ctx)
        users.append((user, enable_mfa(ctx, outbox, user.token, number).id))
    return users


def send_sign_in_code(ctx: AccountContext, user: SignedIn, phone_id: str) -> None:
    pending = accounts.sign_in(ctx, user.email, PASSWORD).session_token
    accounts.prepare_second_factor(ctx, pending, phone_id)


def sent_to(outbox: Outbox, number: str) -> int:
    return sum(m["to"] == number for m in outbox.messages())


# --- per phone number ------------------------------------------------------------------------------


def test_many_accounts_hitting_one_number_stop_at_the_per_phone_cap_and_learn_when_to_try_again(
    ctx: AccountContext, outbox: Outbox, clock: FakeClock, settings: Settings
) -> None:
    for _ in range(settings.sms_per_phone_per_hour):  # one every 5 minutes
        user, phone = add_phone(ctx, PHONE)
        accounts.prepare_verification(ctx, user.token, phone.id)
        clock.advance(minutes=5)
    clock.advance(minutes=3)  # the oldest went out 28 minutes ago
    user, phone = add_phone(ctx, PHONE)
    error = refused(ctx, user, phone)
    assert (error.code, error.status, error.meta["limit"]) == ("too_many_requests", 429, "sms_per_phone_per_hour")
    assert (
        error.message
        == "Too many codes were sent to this phone number in the last hour. Try again in 32 minutes. A code you received in the last 10 minutes still works."
    )
    assert error.meta["seconds_left"] == 32 * 60
    assert len(outbox.messages()) == sends_recorded(ctx) == settings.sms_per_phone_per_hour
    clock.advance(seconds=error.meta["seconds_left"])
    accounts.prepare_verification(ctx, user.token, phone.id)
    assert len(outbox.messages()) == settings.sms_per_phone_per_hour + 1


def test_codes_sent_to_someones_number_from_other_accounts_leave_its_sign_in_codes_alone(
    ctx: AccountContext, outbox: Outbox, clock: FakeClock, settings: Settings
) -> None:
    victim = sign_up(ctx)
    mfa_phone = enable_mfa(ctx, outbox, victim.token, PHONE)
    for _ in range(settings.sms_per_phone_per_hour):  # strangers add the victim's number
        stranger, phone = add_phone(ctx, PHONE)
        try:
            accounts.prepare_verification(ctx, stranger.token, phone.id)
        except AccountError as error:
            assert error.meta["limit"] == "sms_per_phone_per_hour"
    stranger, phone = add_phone(ctx, PHONE)
    assert refused(ctx, stranger, phone).meta["limit"] == "sms_per_phone_per_hour"
    before = sent_to(outbox, PHONE)
    send_sign_in_code(ctx, victim, mfa_phone.id)
    assert sent_to(outbox, PHONE) == before + 1


def test_the_per_phone_cap_also_bounds_sign_in_codes(
    ctx: AccountContext, outbox: Outbox, clock: FakeClock, settings: Settings
) -> None:
    [(user, phone_id)] = mfa_users(ctx, outbox, 1)
    for _ in range(settings.sms_per_phone_per_hour):
        clock.advance(seconds=31)
        send_sign_in_code(ctx, user, phone_id)
    clock.advance(seconds=31)
    error = refusal(lambda: send_sign_in_code(ctx, user, phone_id))
    assert (error.code, error.meta["limit"]) == ("too_many_requests", "sms_per_phone_per_hour")


# --- per account -------------------------------------------------------------------------------------


def test_one_account_hitting_many_numbers_stops_at_the_per_account_cap(
    ctx: AccountContext, outbox: Outbox, clock: FakeClock, settings: Settings
) -> None:
    settings.unverified_phones_per_account = settings.sms_per_account_per_hour
    user = sign_up(ctx)
    targets = numbers(settings.sms_per_account_per_hour)
    phones = [accounts.create_phone(ctx, user.token, number) for number in targets]
    for phone in phones:
        accounts.prepare_verification(ctx, user.token, phone.id)
    clock.advance(seconds=31)  # past the resend cooldown: only the cap stands in the way
    error = refused(ctx, user, phones[0])
    assert (error.code, error.meta["limit"]) == ("too_many_requests", "sms_per_account_per_hour")
    assert (
        error.message
        == "Too many codes were sent for your account in the last hour. Try again in 60 minutes. A code you received in the last 10 minutes still works."
    )
    assert error.meta["seconds_left"] == 3600 - 31
    assert len(outbox.messages()) == settings.sms_per_account_per_hour
    other = sign_up(ctx)  # the cap is per account: someone else can still text the same number
    accounts.prepare_verification(ctx, other.token, accounts.create_phone(ctx, other.token, targets[0]).id)


# --- per client address ------------------------------------------------------------------------------


def test_codes_to_new_numbers_stop_at_the_per_client_cap_whatever_the_accounts(
    ctx: AccountContext, outbox: Outbox, clock: FakeClock, settings: Settings
) -> None:
    settings.sms_new_numbers_per_client_per_hour = 3
    targets = iter(numbers(10))
    for _ in range(3):  # fresh accounts, one address
        user, phone = add_phone(ctx, next(targets))
        accounts.prepare_verification(ctx, user.token, phone.id, CLIENT)
        clock.advance(minutes=10)
    user, phone = add_phone(ctx, next(targets))
    error = refusal(lambda: accounts.prepare_verification(ctx, user.token, phone.id, CLIENT))
    assert (error.code, error.meta["limit"]) == ("too_many_requests", "sms_new_numbers_per_client_per_hour")
    assert error.message == (
        "Too many codes for new phone numbers were requested from your network in the last hour. "
        "Try again in 30 minutes. A code you received in the last 10 minutes still works."
    )
    accounts.prepare_verification(ctx, user.token, phone.id, OTHER_CLIENT)  # another address has its own
    other, other_phone = add_phone(ctx, next(targets))
    accounts.prepare_verification(ctx, other.token, other_phone.id)  # no address known: not counted
    assert len(outbox.messages()) == 5


def test_the_per_client_cap_never_touches_sign_in_codes(
    ctx: AccountContext, outbox: Outbox, clock: FakeClock, settings: Settings
) -> None:
    # Behind a proxy not configured as trusted, every client has the proxy's address: a cap on
    # sign-in codes per address would then be one cap for everyone's sign-in.
    settings.sms_new_numbers_per_client_per_hour = 1
    users = mfa_users(ctx, outbox, 3)
    for user, phone_id in users:
        pending = accounts.sign_in(ctx, user.email, PASSWORD).session_token
        accounts.prepare_second_factor(ctx, pending, phone_id, CLIENT)
        clock.advance(seconds=31)
        accounts.prepare_reverification(ctx, user.token, phone_id, CLIENT)
    assert len(outbox.messages()) == 3 * 3  # a verification code each, then a sign-in and a re-verification code


# --- app-wide ----------------------------------------------------------------------------------------


def test_the_app_wide_cap_on_mfa_phones_pauses_sign_in_codes_for_a_minute_and_logs_loudly(
    ctx: AccountContext, outbox: Outbox, clock: FakeClock, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    settings.sms_global_per_minute = 3
    users = mfa_users(ctx, outbox, 4)  # their verification codes are another budget
    for user, phone_id in users[:3]:
        send_sign_in_code(ctx, user, phone_id)
    clock.advance(seconds=20)
    error = refusal(lambda: send_sign_in_code(ctx, *users[3]))
    assert (error.code, error.status, error.meta["limit"]) == ("sms_send_error", 503, "sms_global_per_minute")
    assert (
        error.message
        == "Text messages can't be sent right now. Try again in 1 minute. A code you received in the last 10 minutes still works."
    )
    assert error.meta["seconds_left"] == 40
    [record] = [r for r in caplog.records if r.levelno == logging.CRITICAL]
    assert record.name == "mfa_app.accounts.limits"
    assert "MFA_SMS_GLOBAL_PER_MINUTE=3" in record.getMessage() and "possible SMS pumping" in record.getMessage()
    user, phone = add_phone(ctx, PHONE)  # codes to new numbers still go out
    accounts.prepare_verification(ctx, user.token, phone.id)
    clock.advance(seconds=40)
    send_sign_in_code(ctx, *users[3])
    assert sent_to(outbox, PHONE) == 1 and len(outbox.messages()) == 4 + 3 + 1 + 1


def test_the_app_wide_cap_on_new_numbers_pauses_only_codes_to_new_numbers(
    ctx: AccountContext, outbox: Outbox, clock: FakeClock, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    [(mfa_user, mfa_phone_id)] = mfa_users(ctx, outbox, 1)  # one code to a new number
    settings.sms_new_numbers_per_hour = 3
    for number in numbers(3)[1:]:
        user, phone = add_phone(ctx, number)
        accounts.prepare_verification(ctx, user.token, phone.id)
    clock.advance(minutes=15)
    user, phone = add_phone(ctx, PHONE)
    error = refused(ctx, user, phone)
    assert (error.code, error.status, error.meta["limit"]) == ("sms_send_error", 503, "sms_new_numbers_per_hour")
    assert (
        error.message
        == "Codes to new phone numbers can't be sent right now. Try again in 45 minutes. A code you received in the last 10 minutes still works."
    )
    [record] = [r for r in caplog.records if r.levelno == logging.CRITICAL]
    assert "MFA_SMS_NEW_NUMBERS_PER_HOUR=3" in record.getMessage() and "possible SMS pumping" in record.getMessage()
    send_sign_in_code(ctx, mfa_user, mfa_phone_id)  # sign-in codes still go out
    clock.advance(seconds=error.meta["seconds_left"])
    accounts.prepare_verification(ctx, user.token, phone.id)
    assert sent_to(outbox, PHONE) == 1


# --- phones waiting for verification -----------------------------------------------------------------


def test_an_account_holds_only_a_few_phones_waiting_for_verification(
    ctx: AccountContext, outbox: Outbox, settings: Settings
) -> None:
    user = sign_up(ctx)
    waiting = [accounts.create_phone(ctx, user.token, n) for n in numbers(settings.unverified_phones_per_account)]
    error = refusal(lambda: accounts.create_phone(ctx, user.token, PHONE))
    assert (error.code, error.meta["limit"]) == ("too_many_phone_numbers", "unverified_phones_per_account")
    assert error.message == "You have 3 phone numbers waiting to be verified. Verify or remove one of them first."
    assert accounts.create_phone(ctx, user.token, waiting[0].phone_number).id == waiting[0].id  # resuming one is fine
    accounts.prepare_verification(ctx, user.token, waiting[0].id)
    accounts.attempt_verification(ctx, user.token, waiting[0].id, outbox.last_code())
    spare = accounts.create_phone(ctx, user.token, PHONE)  # a verified one makes room
    accounts.destroy_phone(ctx, user.token, spare.id)
    assert accounts.create_phone(ctx, user.token, PHONE)  # and so does removing one


def test_the_setting_changes_how_many_phones_may_wait(ctx: AccountContext, settings: Settings) -> None:
    settings.unverified_phones_per_account = 1
    user = sign_up(ctx)
    accounts.create_phone(ctx, user.token, UK_MOBILE)
    error = refusal(lambda: accounts.create_phone(ctx, user.token, PHONE))
    assert error.message.startswith("You have 1 phone number waiting to be verified.")


# --- countries -----------------------------------------------------------------------------------------


def test_the_allowlist_refuses_a_number_from_another_country_when_added(
    ctx: AccountContext, settings: Settings
) -> None:
    settings.sms_allowed_countries = "US"
    user = sign_up(ctx)
    with pytest.raises(AccountError) as caught:
        accounts.create_phone(ctx, user.token, UK_MOBILE)
    assert caught.value.code == "unsupported_country_code"
    assert accounts.list_phones(ctx, user.token) == []


def test_the_allowlist_refuses_sending_to_another_country(
    ctx: AccountContext, outbox: Outbox, settings: Settings
) -> None:
    user, uk_phone = add_phone(ctx, UK_MOBILE)  # added while every country was allowed
    us_phone = accounts.create_phone(ctx, user.token, PHONE)
    settings.sms_allowed_countries = "US"
    error = refused(ctx, user, uk_phone)
    assert error.code == "unsupported_country_code"
    assert outbox.messages() == []
    assert sends_recorded(ctx) == 0
    accounts.prepare_verification(ctx, user.token, us_phone.id)
    assert [m["to"] for m in outbox.messages()] == [PHONE]
