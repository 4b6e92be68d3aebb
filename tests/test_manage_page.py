"""The manage page's data in one call: what get_user, count_backup_codes and security_events
give, from one session check and one read transaction."""

from __future__ import annotations

import pytest

from mfa_app import accounts
from mfa_app.accounts import AccountError, sessions
from tests.helpers import add_verified_phone, enable_mfa, generate_backup_codes, reverify_with_sms


def test_the_manage_page_has_the_user_the_codes_left_and_the_events(ctx, outbox, clock, user):
    enable_mfa(ctx, outbox, user.token, "+14155550951")
    generate_backup_codes(ctx, outbox, user.token, clock)
    page = accounts.manage_page(ctx, user.token, 3)
    assert page.user == accounts.get_user(ctx, user.token)
    assert page.backup_codes_left == accounts.count_backup_codes(ctx, user.token) == 10
    assert page.events == accounts.security_events(ctx, user.token, 3)


def test_no_backup_codes_are_counted_while_mfa_is_off(ctx, user):
    page = accounts.manage_page(ctx, user.token, 10)
    assert (page.user.two_factor_enabled, page.backup_codes_left) == (False, 0)
    assert [e.kind for e in page.events] == ["user.signed_up"]


def test_the_manage_page_checks_the_session_once_in_one_read(ctx, monkeypatch, user):
    finds, reads = [], []
    real_find, real_read = sessions.find, ctx.read
    monkeypatch.setattr(sessions, "find", lambda *a, **k: finds.append(1) or real_find(*a, **k))
    monkeypatch.setattr(ctx, "read", lambda: reads.append(1) or real_read())
    accounts.manage_page(ctx, user.token, 10)
    assert (len(finds), len(reads)) == (1, 1)


def test_a_signed_out_session_gets_no_manage_page(ctx, user):
    accounts.sign_out(ctx, user.token)
    with pytest.raises(AccountError, match="signed_out"):
        accounts.manage_page(ctx, user.token, 10)


def test_the_phone_lists_come_ordered_the_default_mfa_phone_first(ctx, outbox, clock, user):
    enable_mfa(ctx, outbox, user.token, "+14155550951")
    reverify_with_sms(ctx, outbox, user.token, clock)  # MFA is on: changes now need a second factor
    second = enable_mfa(ctx, outbox, user.token, "+14155550952")
    accounts.make_default_second_factor(ctx, user.token, second.id)  # the newer one is the default
    spare = add_verified_phone(ctx, outbox, user.token, "+14155550953")  # verified, not for MFA
    unverified = accounts.create_phone(ctx, user.token, "+14155550954")
    page = accounts.manage_page(ctx, user.token, 10)
    assert [(p.phone_number, p.default_second_factor) for p in page.mfa_phones] == [
        ("+14155550952", True),
        ("+14155550951", False),
    ]
    assert [p.id for p in page.available_phones] == [spare.id]
    assert [p.id for p in page.unverified_phones] == [unverified.id]
