"""Phone numbers: add, verify, reserve for MFA, default rules, disable, remove, ownership."""

from __future__ import annotations

import pytest

from mfa_app import accounts
from mfa_app.accounts import AccountError
from tests.helpers import add_verified_phone, enable_mfa, generate_backup_codes, reverify_with_sms


def phones_by_number(ctx, token):
    return {p.phone_number: p for p in accounts.list_phones(ctx, token)}


@pytest.mark.parametrize(
    ("raw", "region", "e164"),
    [
        ("+1 415 555 2671", None, "+14155552671"),
        ("(415) 555-2671", None, "+14155552671"),
        ("07911 123456", "GB", "+447911123456"),
        ("+30 694 123 4567", "US", "+306941234567"),
    ],
)
def test_create_phone_stores_e164_from_national_or_international_input(ctx, user, raw, region, e164):
    phone = accounts.create_phone(ctx, user.token, raw, region)
    assert phone.phone_number == e164
    assert phone.verification.status == "unverified"
    assert not phone.reserved_for_second_factor


@pytest.mark.parametrize("raw", ["", "hello", "+1 415", "+1 000 000 0000", "1" * 80, "+44 20 7946 0958"])
def test_create_phone_refuses_invalid_or_non_mobile_numbers(ctx, user, raw):
    with pytest.raises(AccountError, match="form_param_format_invalid"):
        accounts.create_phone(ctx, user.token, raw)
    assert accounts.list_phones(ctx, user.token) == []


def test_create_phone_refuses_a_number_already_verified_on_the_account(ctx, outbox, user):
    add_verified_phone(ctx, outbox, user.token, "+14155552671")
    with pytest.raises(AccountError, match="form_identifier_exists"):
        accounts.create_phone(ctx, user.token, "(415) 555-2671")


def test_adding_an_unverified_number_again_resumes_it(ctx, user):
    first = accounts.create_phone(ctx, user.token, "+14155552671")
    again = accounts.create_phone(ctx, user.token, "415-555-2671")
    assert again.id == first.id
    assert len(accounts.list_phones(ctx, user.token)) == 1


def test_an_account_holds_at_most_ten_phones(ctx, settings, user):
    settings.unverified_phones_per_account = 10  # the cap on phones waiting for verification is lower
    for n in range(10):
        accounts.create_phone(ctx, user.token, f"+1415555{n:04d}")
    with pytest.raises(AccountError, match="too_many_phone_numbers"):
        accounts.create_phone(ctx, user.token, "+14155559999")


def test_the_same_number_may_belong_to_two_accounts(ctx, outbox, user, other_user):
    add_verified_phone(ctx, outbox, user.token, "+14155552671")
    assert accounts.create_phone(ctx, other_user.token, "+14155552671").phone_number == "+14155552671"


def test_verifying_a_phone_with_the_sent_code(ctx, outbox, user):
    phone = accounts.create_phone(ctx, user.token, "+14155552671")
    accounts.prepare_verification(ctx, user.token, phone.id)
    verified = accounts.attempt_verification(ctx, user.token, phone.id, outbox.last_code())
    assert verified.verification.status == "verified"
    assert [e.kind for e in accounts.security_events(ctx, user.token)][:2] == ["phone.verified", "phone.added"]


def test_a_verified_phone_needs_no_more_codes(ctx, outbox, user):
    phone = add_verified_phone(ctx, outbox, user.token, "+14155552671")
    with pytest.raises(AccountError, match="verification_already_verified"):
        accounts.prepare_verification(ctx, user.token, phone.id)


def test_the_first_reserved_phone_becomes_the_default(ctx, outbox, user):
    phone = enable_mfa(ctx, outbox, user.token)
    assert phone.reserved_for_second_factor and phone.default_second_factor
    assert accounts.get_user(ctx, user.token).two_factor_enabled


def test_an_unverified_phone_cannot_be_reserved(ctx, user):
    phone = accounts.create_phone(ctx, user.token, "+14155552671")
    with pytest.raises(AccountError, match="form_identifier_not_verified"):
        accounts.set_reserved_for_second_factor(ctx, user.token, phone.id, True)


def test_a_second_reserved_phone_is_not_the_default(ctx, outbox, clock, user):
    enable_mfa(ctx, outbox, user.token)
    reverify_with_sms(ctx, outbox, user.token, clock)
    second = add_verified_phone(ctx, outbox, user.token, "+14155550199")
    second = accounts.set_reserved_for_second_factor(ctx, user.token, second.id, True)
    assert second.reserved_for_second_factor and not second.default_second_factor


@pytest.fixture
def two_mfa_phones(ctx, outbox, clock, user):
    first = enable_mfa(ctx, outbox, user.token, "+14155552671")
    reverify_with_sms(ctx, outbox, user.token, clock)
    second = add_verified_phone(ctx, outbox, user.token, "+14155550199")
    second = accounts.set_reserved_for_second_factor(ctx, user.token, second.id, True)
    return first, second


def test_make_default_moves_the_default(ctx, user, two_mfa_phones):
    first, second = two_mfa_phones
    accounts.make_default_second_factor(ctx, user.token, second.id)
    phones = phones_by_number(ctx, user.token)
    assert phones[second.phone_number].default_second_factor
    assert not phones[first.phone_number].default_second_factor


def test_make_default_needs_an_mfa_phone(ctx, outbox, clock, user):
    enable_mfa(ctx, outbox, user.token)
    reverify_with_sms(ctx, outbox, user.token, clock)
    plain = add_verified_phone(ctx, outbox, user.token, "+14155550199")
    with pytest.raises(AccountError, match="identification_update_second_factor_unverified"):
        accounts.make_default_second_factor(ctx, user.token, plain.id)


def test_the_default_cannot_be_disabled_while_other_mfa_phones_remain(ctx, user, two_mfa_phones):
    first, _ = two_mfa_phones
    with pytest.raises(AccountError, match="form_disable_default_second_factor_not_allowed"):
        accounts.set_reserved_for_second_factor(ctx, user.token, first.id, False)


@pytest.mark.parametrize("action", ["disable_for_mfa", "remove"])
def test_the_preview_of_the_default_gives_the_refusal_the_action_would_give(ctx, user, two_mfa_phones, action):
    first, second = two_mfa_phones
    preview = accounts.preview_phone_action(ctx, user.token, action, first.id)
    fn = accounts.destroy_phone if action == "remove" else accounts.set_reserved_for_second_factor
    with pytest.raises(AccountError) as refused:
        fn(ctx, user.token, first.id, *([] if action == "remove" else [False]))
    assert (preview.allowed, preview.explanation) == (False, refused.value.message)
    assert accounts.preview_phone_action(ctx, user.token, action, second.id).allowed


def test_the_preview_of_the_last_mfa_phone_says_mfa_and_backup_codes_stop(ctx, outbox, clock, user):
    phone = enable_mfa(ctx, outbox, user.token)
    preview = accounts.preview_phone_action(ctx, user.token, "remove", phone.id)
    assert preview.allowed and preview.title == "Remove +1 415-555-2671?" and preview.confirm_label == "Remove"
    assert "MFA will be turned off and your backup codes will stop working" in preview.explanation


def test_the_default_cannot_be_removed_while_other_mfa_phones_remain(ctx, user, two_mfa_phones):
    first, _ = two_mfa_phones
    with pytest.raises(AccountError, match="second_factor_deletion_not_allowed"):
        accounts.destroy_phone(ctx, user.token, first.id)


def test_a_non_default_mfa_phone_can_be_disabled_and_stays_on_the_account(ctx, user, two_mfa_phones):
    _, second = two_mfa_phones
    disabled = accounts.set_reserved_for_second_factor(ctx, user.token, second.id, False)
    assert not disabled.reserved_for_second_factor
    assert disabled.verification.status == "verified"
    assert accounts.get_user(ctx, user.token).two_factor_enabled


def test_disabling_the_last_mfa_phone_turns_mfa_off_and_kills_backup_codes(ctx, outbox, clock, user):
    phone = enable_mfa(ctx, outbox, user.token)
    generate_backup_codes(ctx, outbox, user.token, clock)
    accounts.set_reserved_for_second_factor(ctx, user.token, phone.id, False)
    me = accounts.get_user(ctx, user.token)
    assert (me.two_factor_enabled, me.backup_code_enabled) == (False, False)
    assert "mfa.disabled" in [e.kind for e in accounts.security_events(ctx, user.token)]
    assert "two-step verification was turned off" in outbox.messages()[-1]["body"]


def test_removing_the_last_mfa_phone_turns_mfa_off(ctx, outbox, clock, user):
    phone = enable_mfa(ctx, outbox, user.token)
    generate_backup_codes(ctx, outbox, user.token, clock)
    reverify_with_sms(ctx, outbox, user.token, clock)
    accounts.destroy_phone(ctx, user.token, phone.id)
    me = accounts.get_user(ctx, user.token)
    assert (me.two_factor_enabled, me.backup_code_enabled, me.phone_numbers) == (False, False, [])
    assert outbox.messages()[-1]["to"] == phone.phone_number


def test_removing_a_plain_phone(ctx, outbox, user):
    phone = add_verified_phone(ctx, outbox, user.token, "+14155552671")
    assert accounts.destroy_phone(ctx, user.token, phone.id).deleted
    assert accounts.list_phones(ctx, user.token) == []
    assert accounts.security_events(ctx, user.token)[0].kind == "phone.removed"


def test_adding_a_phone_tells_the_mfa_phone(ctx, outbox, clock, user):
    mfa = enable_mfa(ctx, outbox, user.token)
    reverify_with_sms(ctx, outbox, user.token, clock)
    add_verified_phone(ctx, outbox, user.token, "+14155550199")
    notice = outbox.messages()[-1]
    assert notice["to"] == mfa.phone_number
    assert "+1 *** *** 0199 was added" in notice["body"]


def test_reserving_twice_changes_nothing(ctx, outbox, clock, user):
    phone = enable_mfa(ctx, outbox, user.token)
    reverify_with_sms(ctx, outbox, user.token, clock)
    again = accounts.set_reserved_for_second_factor(ctx, user.token, phone.id, True)
    assert again == phone


def test_disabling_a_phone_not_reserved_changes_nothing(ctx, outbox, user):
    phone = add_verified_phone(ctx, outbox, user.token, "+14155552671")
    assert accounts.set_reserved_for_second_factor(ctx, user.token, phone.id, False) == phone


@pytest.mark.parametrize(
    "touch",
    [
        lambda ctx, token, pid: accounts.prepare_verification(ctx, token, pid),
        lambda ctx, token, pid: accounts.attempt_verification(ctx, token, pid, "123456"),
        lambda ctx, token, pid: accounts.set_reserved_for_second_factor(ctx, token, pid, True),
        lambda ctx, token, pid: accounts.set_reserved_for_second_factor(ctx, token, pid, False),
        lambda ctx, token, pid: accounts.make_default_second_factor(ctx, token, pid),
        lambda ctx, token, pid: accounts.destroy_phone(ctx, token, pid),
    ],
)
def test_another_users_phone_id_is_not_found_and_nothing_changes(ctx, outbox, user, other_user, touch):
    victim = enable_mfa(ctx, outbox, other_user.token)
    before = accounts.get_user(ctx, other_user.token)
    with pytest.raises(AccountError, match="resource_not_found"):
        touch(ctx, user.token, victim.id)
    assert accounts.get_user(ctx, other_user.token) == before


def test_preview_formats_a_valid_number_and_is_empty_otherwise():
    from mfa_app.accounts.numbers import preview

    assert preview("4155552671", "US") == "+1 415-555-2671"
    assert preview("41555", "US") == ""
    assert preview("+", "US") == ""


@pytest.mark.parametrize(
    ("header", "region"),
    [("en-GB,en;q=0.9", "GB"), ("de", "US"), ("fr-CA;q=0.8", "CA"), ("", "US"), ("en-XX,pt-BR", "BR")],
)
def test_region_from_accept_language(header, region):
    from mfa_app.accounts.numbers import region_from_accept_language

    assert region_from_accept_language(header, "US") == region


def test_regions_are_named_with_their_calling_codes_in_name_order():
    from mfa_app.accounts.numbers import regions

    listed = regions()
    assert ("US", "United States (+1)") in listed and ("GR", "Greece (+30)") in listed
    assert ("XK", "Kosovo (+383)") in listed  # named although phonenumbers' geocoder has no name for it
    assert [name for _, name in listed] == sorted(name for _, name in listed)


@pytest.mark.parametrize(
    ("typed", "current", "region"),
    [("+44 7911 123456", "US", "GB"), ("+1 416 555 0100", "CA", "CA"), ("07911 123456", "GB", "GB"), ("+", "FR", "FR")],
)
def test_a_typed_calling_code_picks_its_region(typed, current, region):
    from mfa_app.accounts.numbers import region_typed

    assert region_typed(typed, current) == region
