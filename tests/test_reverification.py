"""Step-up re-verification before sensitive changes: the strongest factor within 10 minutes."""

from __future__ import annotations

import pytest

from mfa_app import accounts
from mfa_app.accounts import AccountError
from tests.helpers import PASSWORD, add_verified_phone, enable_mfa, generate_backup_codes, reverify_with_sms


def test_a_fresh_sign_up_may_add_a_phone(ctx, user):
    assert accounts.create_phone(ctx, user.token, "+14155552671")


def test_after_ten_minutes_adding_a_phone_needs_reverification(ctx, clock, user):
    clock.advance(minutes=10, seconds=1)
    with pytest.raises(AccountError) as refused:
        accounts.create_phone(ctx, user.token, "+14155552671")
    assert (refused.value.code, refused.value.status) == ("session_reverification_required", 403)
    assert accounts.list_phones(ctx, user.token) == []


def test_without_mfa_the_password_reverifies(ctx, clock, user):
    clock.advance(minutes=11)
    assert accounts.reverification_status(ctx, user.token).factors == ["password"]
    accounts.reverify(ctx, user.token, "password", PASSWORD)
    assert accounts.create_phone(ctx, user.token, "+14155552671")


def test_a_wrong_password_does_not_reverify(ctx, clock, user):
    clock.advance(minutes=11)
    with pytest.raises(AccountError, match="form_password_incorrect"):
        accounts.reverify(ctx, user.token, "password", "not my password")
    with pytest.raises(AccountError, match="session_reverification_required"):
        accounts.create_phone(ctx, user.token, "+14155552671")


def test_with_mfa_the_password_is_not_enough(ctx, outbox, user):
    enable_mfa(ctx, outbox, user.token)
    status = accounts.reverification_status(ctx, user.token)
    assert (status.level, status.factors) == ("second_factor", ["phone_code"])
    with pytest.raises(AccountError, match="strategy_for_user_invalid"):
        accounts.reverify(ctx, user.token, "password", PASSWORD)


def test_with_mfa_an_sms_code_reverifies(ctx, outbox, clock, user):
    enable_mfa(ctx, outbox, user.token)
    with pytest.raises(AccountError, match="session_reverification_required"):
        accounts.create_phone(ctx, user.token, "+14155550199")
    reverify_with_sms(ctx, outbox, user.token, clock)
    assert accounts.create_phone(ctx, user.token, "+14155550199")


def test_with_mfa_a_backup_code_reverifies(ctx, outbox, clock, user):
    enable_mfa(ctx, outbox, user.token)
    code = generate_backup_codes(ctx, outbox, user.token, clock)[0]
    clock.advance(minutes=11)
    assert accounts.reverification_status(ctx, user.token).factors == ["phone_code", "backup_code"]
    accounts.reverify(ctx, user.token, "backup_code", code)
    assert accounts.create_phone(ctx, user.token, "+14155550199")


def test_reverification_expires_after_ten_minutes(ctx, outbox, clock, user):
    enable_mfa(ctx, outbox, user.token)
    reverify_with_sms(ctx, outbox, user.token, clock)
    clock.advance(minutes=10, seconds=1)
    with pytest.raises(AccountError, match="session_reverification_required"):
        accounts.create_phone(ctx, user.token, "+14155550199")


def test_a_wrong_reverification_code_is_refused(ctx, outbox, clock, user):
    enable_mfa(ctx, outbox, user.token)
    phone_id = accounts.reverification_status(ctx, user.token).phones[0].phone_number_id
    clock.advance(seconds=31)
    accounts.prepare_reverification(ctx, user.token, phone_id)
    wrong = "000000" if outbox.last_code() != "000000" else "111111"
    with pytest.raises(AccountError, match="form_code_incorrect"):
        accounts.reverify(ctx, user.token, "phone_code", wrong)


def test_reverification_codes_go_only_to_the_users_mfa_phones(ctx, outbox, user):
    plain = add_verified_phone(ctx, outbox, user.token, "+14155550199")
    enable_mfa(ctx, outbox, user.token)
    with pytest.raises(AccountError, match="resource_not_found"):
        accounts.prepare_reverification(ctx, user.token, plain.id)


def test_signing_in_with_a_second_factor_counts_as_reverified(ctx, outbox, clock, user):
    phone = enable_mfa(ctx, outbox, user.token)
    clock.advance(minutes=20)
    pending = accounts.sign_in(ctx, user.email, PASSWORD).session_token
    accounts.prepare_second_factor(ctx, pending, phone.id)
    accounts.attempt_second_factor(ctx, pending, "phone_code", outbox.last_code())
    assert accounts.create_phone(ctx, pending, "+14155550199")


@pytest.mark.parametrize(
    "sensitive",
    [
        lambda ctx, token, pid: accounts.create_phone(ctx, token, "+14155550199"),
        lambda ctx, token, pid: accounts.set_reserved_for_second_factor(ctx, token, pid, False),
        lambda ctx, token, pid: accounts.make_default_second_factor(ctx, token, pid),
        lambda ctx, token, pid: accounts.destroy_phone(ctx, token, pid),
        lambda ctx, token, pid: accounts.create_backup_codes(ctx, token),
    ],
)
def test_every_sensitive_change_needs_reverification_and_changes_nothing(ctx, outbox, clock, user, sensitive):
    phone = enable_mfa(ctx, outbox, user.token)
    before = accounts.get_user(ctx, user.token)
    with pytest.raises(AccountError, match="session_reverification_required"):
        sensitive(ctx, user.token, phone.id)
    assert accounts.get_user(ctx, user.token) == before


def test_reserving_a_phone_needs_reverification(ctx, outbox, clock, user):
    phone = add_verified_phone(ctx, outbox, user.token, "+14155552671")
    clock.advance(minutes=11)
    with pytest.raises(AccountError, match="session_reverification_required"):
        accounts.set_reserved_for_second_factor(ctx, user.token, phone.id, True)
