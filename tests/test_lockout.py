"""Lockout: 10 wrong passwords in a row, or 10 wrong second factors (SMS codes and backup codes,
at sign-in and re-verification) since the last right one, lock the account for an hour. The two
are counted apart: a right password does not forgive wrong codes. Codes typed while adding a
phone are not counted."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from mfa_app import accounts
from mfa_app.accounts import AccountError
from mfa_app.store.tables import UserRow
from tests.helpers import PASSWORD, enable_mfa, generate_backup_codes

NOT_A_BACKUP_CODE = "zzzzz-zzzzz"  # well-formed, so it is checked and counted


def fail_password(ctx, email, times):
    for _ in range(times):
        with pytest.raises(AccountError):
            accounts.sign_in(ctx, email, "wrong password!")


def refusal(call) -> AccountError:
    with pytest.raises(AccountError) as refused:
        call()
    return refused.value


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def counts(ctx, email) -> tuple[int, int]:
    """(password failures, second-factor failures) of the account."""
    with ctx.engine.connect() as conn:
        query = sa.select(UserRow.password_failures, UserRow.second_factor_failures).where(UserRow.email == email)
        return tuple(conn.execute(query).one())


@pytest.fixture
def mfa_user(ctx, outbox, clock, user):
    """A user with an MFA phone and backup codes; returns (user, phone, backup codes)."""
    phone = enable_mfa(ctx, outbox, user.token)
    return user, phone, generate_backup_codes(ctx, outbox, user.token, clock)


def sign_in_code(ctx, outbox, clock, email, phone) -> tuple[str, str]:
    """A right password, then a fresh sign-in code: (the pending session, the code)."""
    pending = accounts.sign_in(ctx, email, PASSWORD).session_token
    clock.advance(seconds=31)  # past the resend cooldown
    accounts.prepare_second_factor(ctx, pending, phone.id)
    return pending, outbox.last_code(phone.phone_number)


# --- passwords -----------------------------------------------------------------------------------


def test_the_tenth_wrong_password_locks_the_account_for_an_hour(ctx, user):
    fail_password(ctx, user.email, 9)
    locked = refusal(lambda: accounts.sign_in(ctx, user.email, "wrong password!"))
    assert (locked.code, locked.meta["seconds_left"]) == ("user_locked", 3600)
    assert locked.message == "Too many failed attempts. Your account is locked. Try again in 60 minutes."
    [event] = [e for e in accounts.security_events(ctx, user.token) if e.kind == "user.locked"]
    assert event.detail == "10 wrong passwords in a row"


def test_a_locked_account_refuses_even_the_right_password_and_says_when_to_try_again(ctx, clock, user):
    fail_password(ctx, user.email, 10)
    clock.advance(minutes=59)
    locked = refusal(lambda: accounts.sign_in(ctx, user.email, PASSWORD))
    assert (locked.code, locked.meta["seconds_left"]) == ("user_locked", 60)
    assert locked.message.endswith("Try again in 1 minute.")
    clock.advance(seconds=30)
    assert refusal(lambda: accounts.sign_in(ctx, user.email, PASSWORD)).message.endswith("Try again in 1 minute.")


def test_the_lock_ends_after_an_hour(ctx, clock, user):
    fail_password(ctx, user.email, 10)
    clock.advance(hours=1)
    assert accounts.sign_in(ctx, user.email, PASSWORD).attempt.status == "complete"


def test_a_right_password_resets_the_password_count(ctx, user):
    fail_password(ctx, user.email, 9)
    accounts.sign_in(ctx, user.email, PASSWORD)
    fail_password(ctx, user.email, 9)
    assert accounts.sign_in(ctx, user.email, PASSWORD).attempt.status == "complete"


def test_reverifying_while_locked_is_refused(ctx, clock, user):
    fail_password(ctx, user.email, 10)
    with pytest.raises(AccountError, match="user_locked"):
        accounts.reverify(ctx, user.token, "password", PASSWORD)


# --- second factors --------------------------------------------------------------------------------


def test_eleven_wrong_backup_codes_with_a_right_password_between_lock_the_account(ctx, mfa_user):
    user, _, _ = mfa_user
    pending = accounts.sign_in(ctx, user.email, PASSWORD).session_token
    outcomes = []
    for n in range(11):
        if n == 5:  # knowing the password must not buy more guesses
            pending = accounts.sign_in(ctx, user.email, PASSWORD).session_token
        outcomes.append(refusal(lambda: accounts.attempt_second_factor(ctx, pending, "backup_code", NOT_A_BACKUP_CODE)))
    assert [o.code for o in outcomes] == ["form_code_incorrect"] * 9 + ["user_locked"] * 2
    assert outcomes[9].meta["seconds_left"] == 3600
    [event] = [e for e in accounts.security_events(ctx, user.token) if e.kind == "user.locked"]
    assert event.detail == "10 wrong codes since the last right one"


def test_wrong_sign_in_codes_after_right_passwords_lock_at_the_tenth(ctx, outbox, clock, mfa_user):
    user, phone, _ = mfa_user
    codes = []
    for _ in range(2):  # a code takes 5 tries; each new code comes with a right password
        pending, right = sign_in_code(ctx, outbox, clock, user.email, phone)
        codes += [
            refusal(lambda: accounts.attempt_second_factor(ctx, pending, "phone_code", wrong(right))).code
            for _ in range(5)
        ]
    assert codes == ["form_code_incorrect"] * 9 + ["user_locked"]
    locked = refusal(lambda: accounts.attempt_second_factor(ctx, pending, "phone_code", right))
    assert locked.code == "user_locked"
    assert refusal(lambda: accounts.sign_in(ctx, user.email, PASSWORD)).code == "user_locked"


def test_wrong_codes_at_sign_in_and_re_verification_count_together(ctx, outbox, clock, mfa_user):
    user, phone, _ = mfa_user
    for _ in range(4):
        with pytest.raises(AccountError, match="form_code_incorrect"):
            accounts.reverify(ctx, user.token, "backup_code", NOT_A_BACKUP_CODE)
    clock.advance(seconds=31)
    accounts.prepare_reverification(ctx, user.token, phone.id)
    right = outbox.last_code(phone.phone_number)
    for _ in range(3):
        with pytest.raises(AccountError, match="form_code_incorrect"):
            accounts.reverify(ctx, user.token, "phone_code", wrong(right))
    pending = accounts.sign_in(ctx, user.email, PASSWORD).session_token
    for _ in range(2):
        with pytest.raises(AccountError, match="form_code_incorrect"):
            accounts.attempt_second_factor(ctx, pending, "backup_code", NOT_A_BACKUP_CODE)
    assert counts(ctx, user.email) == (0, 9)
    with pytest.raises(AccountError, match="user_locked"):
        accounts.attempt_second_factor(ctx, pending, "backup_code", NOT_A_BACKUP_CODE)


def test_only_a_right_second_factor_resets_the_second_factor_count(ctx, outbox, clock, mfa_user):
    user, phone, backup_codes = mfa_user
    pending = accounts.sign_in(ctx, user.email, PASSWORD).session_token
    for _ in range(9):
        with pytest.raises(AccountError, match="form_code_incorrect"):
            accounts.attempt_second_factor(ctx, pending, "backup_code", NOT_A_BACKUP_CODE)
    assert accounts.attempt_second_factor(ctx, pending, "backup_code", backup_codes[0]).status == "complete"
    assert counts(ctx, user.email) == (0, 0)
    pending, right = sign_in_code(ctx, outbox, clock, user.email, phone)
    for _ in range(5):
        with pytest.raises(AccountError, match="form_code_incorrect"):
            accounts.attempt_second_factor(ctx, pending, "phone_code", wrong(right))
    pending, right = sign_in_code(ctx, outbox, clock, user.email, phone)
    assert accounts.attempt_second_factor(ctx, pending, "phone_code", right).status == "complete"
    assert counts(ctx, user.email) == (0, 0)


def test_wrong_passwords_and_wrong_codes_are_counted_apart(ctx, mfa_user):
    user, _, _ = mfa_user
    pending = accounts.sign_in(ctx, user.email, PASSWORD).session_token
    for _ in range(9):
        with pytest.raises(AccountError, match="form_code_incorrect"):
            accounts.attempt_second_factor(ctx, pending, "backup_code", NOT_A_BACKUP_CODE)
    fail_password(ctx, user.email, 9)
    assert counts(ctx, user.email) == (9, 9)
    with pytest.raises(AccountError, match="user_locked"):
        accounts.sign_in(ctx, user.email, "wrong password!")
    assert counts(ctx, user.email) == (0, 0)  # a lock starts both counts afresh


# --- adding a phone ----------------------------------------------------------------------------------


def test_codes_mistyped_while_adding_a_phone_never_lock_the_account(ctx, outbox, clock, mfa_user):
    user, mfa_phone, _ = mfa_user
    phone = accounts.create_phone(ctx, user.token, "+14155550199")
    typos = 0
    for _ in range(3):  # three codes, 15 typos: each code dies after 5
        clock.advance(seconds=31)
        accounts.prepare_verification(ctx, user.token, phone.id)
        right = outbox.last_code(phone.phone_number)
        for _ in range(5):
            with pytest.raises(AccountError, match="form_code_incorrect"):
                accounts.attempt_verification(ctx, user.token, phone.id, wrong(right))
            typos += 1
    assert typos > ctx.settings.lockout_max_attempts
    assert counts(ctx, user.email) == (0, 0)
    pending, right = sign_in_code(ctx, outbox, clock, user.email, mfa_phone)
    assert accounts.attempt_second_factor(ctx, pending, "phone_code", right).status == "complete"


def test_a_phone_being_added_can_still_be_verified_while_the_account_is_locked(ctx, outbox, user):
    # The lockout guards signing in and re-verifying; this session is signed in already.
    phone = accounts.create_phone(ctx, user.token, "+14155550199")
    accounts.prepare_verification(ctx, user.token, phone.id)
    fail_password(ctx, user.email, 10)
    code = outbox.last_code(phone.phone_number)
    assert accounts.attempt_verification(ctx, user.token, phone.id, code).verification.status == "verified"


# --- settings ------------------------------------------------------------------------------------------


def test_the_settings_change_the_number_of_attempts_and_the_duration(ctx, clock, settings, mfa_user):
    user, _, _ = mfa_user
    settings.lockout_max_attempts, settings.lockout_duration_s = 3, 120
    fail_password(ctx, user.email, 2)
    locked = refusal(lambda: accounts.sign_in(ctx, user.email, "wrong password!"))
    assert (locked.code, locked.meta["seconds_left"]) == ("user_locked", 120)
    assert locked.message.endswith("Try again in 2 minutes.")
    clock.advance(seconds=120)
    pending = accounts.sign_in(ctx, user.email, PASSWORD).session_token
    for _ in range(2):
        with pytest.raises(AccountError, match="form_code_incorrect"):
            accounts.attempt_second_factor(ctx, pending, "backup_code", NOT_A_BACKUP_CODE)
    with pytest.raises(AccountError, match="user_locked"):
        accounts.attempt_second_factor(ctx, pending, "backup_code", NOT_A_BACKUP_CODE)


def test_a_new_sign_in_gets_its_own_code_at_once(ctx, outbox, clock, user):
    """The resend cooldown is per sign-in: a person who reloaded the code step and signed in
    again gets a code for the new sign-in (the old one's code is for a sign-in that is gone)."""
    phone = enable_mfa(ctx, outbox, user.token)
    clock.advance(seconds=31)
    first = accounts.sign_in(ctx, user.email, PASSWORD).session_token
    accounts.prepare_second_factor(ctx, first, phone.id)
    with pytest.raises(AccountError, match="verification_code_too_many_requests"):
        accounts.prepare_second_factor(ctx, first, phone.id)  # the same sign-in waits
    again = accounts.sign_in(ctx, user.email, PASSWORD).session_token
    accounts.prepare_second_factor(ctx, again, phone.id)
    assert accounts.attempt_second_factor(ctx, again, "phone_code", outbox.last_code()).status == "complete"
