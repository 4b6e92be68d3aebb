"""Sign-up, sign-in with a second factor, sessions and sign-out."""

from __future__ import annotations

import pytest

from mfa_app import accounts
from mfa_app.accounts import AccountError
from tests.helpers import PASSWORD, enable_mfa, generate_backup_codes, sign_up


def test_sign_up_normalises_the_email_and_signs_in(ctx):
    result = accounts.sign_up(ctx, "  Ada@Example.COM ", PASSWORD)
    assert result.attempt.status == "complete"
    assert accounts.get_user(ctx, result.session_token).email_address == "ada@example.com"


@pytest.mark.parametrize(
    ("email", "password", "code"),
    [
        ("not-an-email", PASSWORD, "form_param_format_invalid"),
        ("nul\x00inside@example.com", PASSWORD, "form_param_format_invalid"),
        ("bell\x07@example.com", PASSWORD, "form_param_format_invalid"),
        ("a@example.com", "short", "form_password_length_too_short"),
        ("a@example.com", "x" * 257, "form_password_length_too_long"),
        ("a@example.com", "Password123", "form_password_pwned"),
    ],
)
def test_sign_up_refuses_bad_input(ctx, email, password, code):
    with pytest.raises(AccountError) as refused:
        accounts.sign_up(ctx, email, password)
    assert refused.value.code == code


def test_sign_up_refuses_an_email_already_taken(ctx, user):
    with pytest.raises(AccountError, match="form_identifier_exists"):
        accounts.sign_up(ctx, user.email.upper(), PASSWORD)


def test_sign_in_without_mfa_completes_with_the_password(ctx, user):
    result = accounts.sign_in(ctx, user.email, PASSWORD)
    assert result.attempt.status == "complete"
    assert accounts.get_user(ctx, result.session_token).email_address == user.email


@pytest.mark.parametrize("email", ["nobody@example.com", "not an email", "nul\x00inside@example.com"])
def test_sign_in_with_an_unknown_email_looks_like_a_wrong_password(ctx, email):
    with pytest.raises(AccountError, match="form_password_incorrect"):
        accounts.sign_in(ctx, email, PASSWORD)


def test_sign_in_with_a_wrong_password_is_refused(ctx, user):
    with pytest.raises(AccountError, match="form_password_incorrect"):
        accounts.sign_in(ctx, user.email, "wrong password!")


def test_sign_in_with_mfa_needs_a_second_factor_from_a_masked_phone(ctx, outbox, clock, user):
    phone = enable_mfa(ctx, outbox, user.token, "+14155550123")
    generate_backup_codes(ctx, outbox, user.token, clock)
    result = accounts.sign_in(ctx, user.email, PASSWORD)
    assert result.attempt.status == "needs_second_factor"
    by_strategy = {f.strategy: f for f in result.attempt.supported_second_factors}
    assert by_strategy["phone_code"].phone_number_id == phone.id
    assert by_strategy["phone_code"].safe_identifier == "+1 *** *** 0123"
    assert by_strategy["phone_code"].default
    assert "backup_code" in by_strategy


def test_a_session_waiting_for_its_second_factor_cannot_use_the_account(ctx, outbox, user):
    enable_mfa(ctx, outbox, user.token)
    pending = accounts.sign_in(ctx, user.email, PASSWORD).session_token
    with pytest.raises(AccountError, match="signed_out"):
        accounts.get_user(ctx, pending)


def test_sign_in_completes_with_the_sms_code(ctx, outbox, clock, user):
    phone = enable_mfa(ctx, outbox, user.token)
    pending = accounts.sign_in(ctx, user.email, PASSWORD).session_token
    clock.advance(seconds=31)
    accounts.prepare_second_factor(ctx, pending, phone.id)
    attempt = accounts.attempt_second_factor(ctx, pending, "phone_code", outbox.last_code())
    assert attempt.status == "complete"
    assert accounts.get_user(ctx, pending).two_factor_enabled


def test_sign_in_code_goes_only_to_the_users_own_mfa_phones(ctx, outbox, user, other_user):
    enable_mfa(ctx, outbox, user.token)
    foreign = enable_mfa(ctx, outbox, other_user.token, "+14155550999")
    pending = accounts.sign_in(ctx, user.email, PASSWORD).session_token
    with pytest.raises(AccountError, match="resource_not_found"):
        accounts.prepare_second_factor(ctx, pending, foreign.id)


def test_sign_in_with_a_wrong_sms_code_is_refused(ctx, outbox, clock, user):
    phone = enable_mfa(ctx, outbox, user.token)
    pending = accounts.sign_in(ctx, user.email, PASSWORD).session_token
    clock.advance(seconds=31)
    accounts.prepare_second_factor(ctx, pending, phone.id)
    wrong = "000000" if outbox.last_code() != "000000" else "111111"
    with pytest.raises(AccountError, match="form_code_incorrect"):
        accounts.attempt_second_factor(ctx, pending, "phone_code", wrong)


def test_sign_in_refuses_an_unknown_strategy(ctx, outbox, user):
    enable_mfa(ctx, outbox, user.token)
    pending = accounts.sign_in(ctx, user.email, PASSWORD).session_token
    with pytest.raises(AccountError, match="strategy_for_user_invalid"):
        accounts.attempt_second_factor(ctx, pending, "totp", "123456")


def test_sign_in_completes_with_a_backup_code_once(ctx, outbox, clock, user):
    enable_mfa(ctx, outbox, user.token)
    code = generate_backup_codes(ctx, outbox, user.token, clock)[0]
    first = accounts.sign_in(ctx, user.email, PASSWORD).session_token
    assert accounts.attempt_second_factor(ctx, first, "backup_code", code.upper()).status == "complete"
    second = accounts.sign_in(ctx, user.email, PASSWORD).session_token
    with pytest.raises(AccountError, match="form_code_incorrect"):
        accounts.attempt_second_factor(ctx, second, "backup_code", code)


def test_a_pending_sign_in_expires_after_ten_minutes(ctx, outbox, clock, user):
    enable_mfa(ctx, outbox, user.token)
    pending = accounts.sign_in(ctx, user.email, PASSWORD).session_token
    clock.advance(minutes=10, seconds=1)
    with pytest.raises(AccountError, match="signed_out"):
        accounts.attempt_second_factor(ctx, pending, "phone_code", "123456")


def test_sign_out_revokes_the_session(ctx, user):
    accounts.sign_out(ctx, user.token)
    with pytest.raises(AccountError, match="signed_out"):
        accounts.get_user(ctx, user.token)


def test_a_session_expires(ctx, clock, user):
    clock.advance(seconds=ctx.settings.session_ttl_s + 1)
    with pytest.raises(AccountError, match="signed_out"):
        accounts.get_user(ctx, user.token)


@pytest.mark.parametrize("token", ["", "made-up-token"])
def test_an_unknown_token_is_signed_out(ctx, token):
    with pytest.raises(AccountError, match="signed_out"):
        accounts.list_phones(ctx, token)


def test_security_events_are_newest_first(ctx, outbox, clock, user):
    enable_mfa(ctx, outbox, user.token)
    clock.advance(seconds=1)
    accounts.sign_in(ctx, user.email, PASSWORD)
    kinds = [e.kind for e in accounts.security_events(ctx, user.token)]
    assert kinds == ["phone.reserved", "phone.verified", "phone.added", "user.signed_up"]


def test_sign_in_is_a_security_event(ctx, clock, user):
    clock.advance(seconds=1)
    accounts.sign_in(ctx, user.email, PASSWORD)
    assert accounts.security_events(ctx, user.token)[0].kind == "user.signed_in"


def test_user_resource_reports_mfa_and_backup_codes(ctx, outbox, clock, user):
    assert not accounts.get_user(ctx, user.token).two_factor_enabled
    enable_mfa(ctx, outbox, user.token)
    before = accounts.get_user(ctx, user.token)
    generate_backup_codes(ctx, outbox, user.token, clock)
    after = accounts.get_user(ctx, user.token)
    assert (before.two_factor_enabled, before.backup_code_enabled) == (True, False)
    assert after.backup_code_enabled


def test_two_users_signing_up_keep_separate_accounts(ctx):
    a, b = sign_up(ctx), sign_up(ctx)
    assert accounts.get_user(ctx, a.token).id != accounts.get_user(ctx, b.token).id


def test_a_handoff_nonce_trades_once_for_a_fresh_token(ctx, user):
    nonce = accounts.start_handoff(ctx, user.token)
    fresh = accounts.finish_handoff(ctx, nonce)
    assert accounts.get_user(ctx, fresh).email_address == user.email
    with pytest.raises(AccountError, match="signed_out"):
        accounts.get_user(ctx, user.token)
    with pytest.raises(AccountError, match="signed_out"):
        accounts.finish_handoff(ctx, nonce)


def test_a_handoff_nonce_expires_after_a_minute(ctx, clock, user):
    nonce = accounts.start_handoff(ctx, user.token)
    clock.advance(seconds=61)
    with pytest.raises(AccountError, match="signed_out"):
        accounts.finish_handoff(ctx, nonce)
