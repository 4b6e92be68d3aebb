"""The limits against SMS pumping (mfa_app/accounts/limits.py), through the account service: the
hourly caps per phone number and per account, the global per-minute cap, and the country
allowlist. The counts live in the database; a refused send reaches no provider."""

from __future__ import annotations

import logging

import pytest

from mfa_app import accounts
from mfa_app.accounts.context import AccountContext
from mfa_app.accounts.errors import AccountError
from mfa_app.settings import Settings
from tests.conftest import FakeClock, Outbox, sign_up
from tests.sms.conftest import PHONE, add_phone, refused, sends_recorded

UK_MOBILE = "+447911123456"


def test_many_accounts_hitting_one_number_stop_at_the_per_phone_cap(
    ctx: AccountContext, outbox: Outbox, clock: FakeClock, settings: Settings
) -> None:
    for _ in range(settings.sms_per_phone_per_hour):
        user, phone = add_phone(ctx, PHONE)
        accounts.prepare_verification(ctx, user.token, phone.id)
    user, phone = add_phone(ctx, PHONE)
    error = refused(ctx, user, phone)
    assert error.code == "too_many_requests"
    assert "this phone number" in error.message
    assert len(outbox.messages()) == sends_recorded(ctx) == settings.sms_per_phone_per_hour
    clock.advance(hours=1)
    accounts.prepare_verification(ctx, user.token, phone.id)
    assert len(outbox.messages()) == settings.sms_per_phone_per_hour + 1


def test_one_account_hitting_many_numbers_stops_at_the_per_account_cap(
    ctx: AccountContext, outbox: Outbox, clock: FakeClock, settings: Settings
) -> None:
    user = sign_up(ctx)
    numbers = [f"+1415555267{i}" for i in range(settings.sms_per_account_per_hour)]
    phones = [accounts.create_phone(ctx, user.token, number) for number in numbers]
    for phone in phones:
        accounts.prepare_verification(ctx, user.token, phone.id)
    clock.advance(seconds=31)  # past the resend cooldown: only the cap stands in the way
    error = refused(ctx, user, phones[0])
    assert error.code == "too_many_requests"
    assert "your account" in error.message
    assert len(outbox.messages()) == settings.sms_per_account_per_hour
    other = sign_up(ctx)  # the cap is per account: someone else can still text the same number
    accounts.prepare_verification(ctx, other.token, accounts.create_phone(ctx, other.token, numbers[0]).id)


def test_the_global_per_minute_cap_stops_all_sending_and_logs_loudly(
    ctx: AccountContext, outbox: Outbox, clock: FakeClock, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    settings.sms_global_per_minute = 3
    for i in range(3):
        user, phone = add_phone(ctx, f"+1415555267{i}")
        accounts.prepare_verification(ctx, user.token, phone.id)
    user, phone = add_phone(ctx, "+14155552679")
    error = refused(ctx, user, phone)
    assert error.code == "sms_send_error"
    assert "Try again in a few minutes" in error.message
    [record] = [r for r in caplog.records if r.levelno == logging.CRITICAL]
    assert record.name == "mfa_app.sms.limits"
    assert "possible SMS pumping" in record.getMessage()
    assert len(outbox.messages()) == 3
    clock.advance(seconds=61)
    accounts.prepare_verification(ctx, user.token, phone.id)
    assert len(outbox.messages()) == 4


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
