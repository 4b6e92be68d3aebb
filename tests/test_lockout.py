"""Lockout: 10 failures in a row (passwords, SMS codes, backup codes together) lock for an hour."""

from __future__ import annotations

import pytest

from mfa_app import accounts
from mfa_app.accounts import AccountError
from tests.conftest import PASSWORD, enable_mfa, generate_backup_codes


def fail_password(ctx, email, times):
    for _ in range(times):
        with pytest.raises(AccountError):
            accounts.sign_in(ctx, email, "wrong password!")


def test_the_tenth_failure_locks_the_account_for_an_hour(ctx, user):
    fail_password(ctx, user.email, 9)
    with pytest.raises(AccountError) as locked:
        accounts.sign_in(ctx, user.email, "wrong password!")
    assert (locked.value.code, locked.value.meta["seconds_left"]) == ("user_locked", 3600)
    assert accounts.security_events(ctx, user.token)[0].kind == "user.locked"


def test_a_locked_account_refuses_even_the_right_password(ctx, clock, user):
    fail_password(ctx, user.email, 10)
    clock.advance(minutes=59)
    with pytest.raises(AccountError) as locked:
        accounts.sign_in(ctx, user.email, PASSWORD)
    assert (locked.value.code, locked.value.meta["seconds_left"]) == ("user_locked", 60)
    assert "1 minutes" in locked.value.message


def test_the_lock_ends_after_an_hour(ctx, clock, user):
    fail_password(ctx, user.email, 10)
    clock.advance(hours=1)
    assert accounts.sign_in(ctx, user.email, PASSWORD).attempt.status == "complete"


def test_a_success_resets_the_count(ctx, user):
    fail_password(ctx, user.email, 9)
    accounts.sign_in(ctx, user.email, PASSWORD)
    fail_password(ctx, user.email, 9)
    assert accounts.sign_in(ctx, user.email, PASSWORD).attempt.status == "complete"


def test_passwords_sms_codes_and_backup_codes_count_together(ctx, outbox, clock, user):
    phone = enable_mfa(ctx, outbox, user.token)
    generate_backup_codes(ctx, outbox, user.token, clock)
    fail_password(ctx, user.email, 4)
    pending = accounts.sign_in(ctx, user.email, PASSWORD).session_token  # resets: a success
    fail_password(ctx, user.email, 4)
    for _ in range(3):
        with pytest.raises(AccountError, match="form_code_incorrect"):
            accounts.attempt_second_factor(ctx, pending, "backup_code", "aaaaa-aaaaa")
    clock.advance(seconds=31)
    accounts.prepare_second_factor(ctx, pending, phone.id)
    wrong = "000000" if outbox.last_code() != "000000" else "111111"
    for _ in range(2):
        with pytest.raises(AccountError, match="form_code_incorrect"):
            accounts.attempt_second_factor(ctx, pending, "phone_code", wrong)
    with pytest.raises(AccountError, match="user_locked"):
        accounts.attempt_second_factor(ctx, pending, "phone_code", wrong)
    with pytest.raises(AccountError, match="user_locked"):
        accounts.attempt_second_factor(ctx, pending, "phone_code", outbox.last_code())


def test_reverifying_while_locked_is_refused(ctx, clock, user):
    fail_password(ctx, user.email, 10)
    with pytest.raises(AccountError, match="user_locked"):
        accounts.reverify(ctx, user.token, "password", PASSWORD)
