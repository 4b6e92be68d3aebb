"""Backup codes: only with MFA, 10 codes of 40+ bits, hashed, single use, replaced on regenerate."""

from __future__ import annotations

import math
import re

import pytest

from mfa_app import accounts
from mfa_app.accounts import AccountError
from mfa_app.accounts.crypto import BACKUP_CODE_ALPHABET, BACKUP_CODE_LENGTH
from tests.conftest import enable_mfa, generate_backup_codes, reverify_with_sms


def use(ctx, token, code):
    accounts.reverify(ctx, token, "backup_code", code)


def test_backup_codes_need_mfa_first(ctx, user):
    with pytest.raises(AccountError, match="backup_codes_not_available"):
        accounts.check_backup_codes_allowed(ctx, user.token)
    with pytest.raises(AccountError, match="backup_codes_not_available"):
        accounts.create_backup_codes(ctx, user.token)


def test_ten_distinct_codes_of_at_least_forty_bits(ctx, outbox, clock, user):
    enable_mfa(ctx, outbox, user.token)
    codes = generate_backup_codes(ctx, outbox, user.token, clock)
    assert len(codes) == len(set(codes)) == 10
    assert all(re.fullmatch(r"[a-z2-9]{5}-[a-z2-9]{5}", c) for c in codes)
    assert BACKUP_CODE_LENGTH * math.log2(len(BACKUP_CODE_ALPHABET)) >= 40
    assert accounts.count_backup_codes(ctx, user.token) == 10


def test_a_backup_code_works_once(ctx, outbox, clock, user):
    enable_mfa(ctx, outbox, user.token)
    code = generate_backup_codes(ctx, outbox, user.token, clock)[3]
    use(ctx, user.token, f"  {code.upper().replace('-', ' ')} ")
    assert accounts.count_backup_codes(ctx, user.token) == 9
    with pytest.raises(AccountError, match="form_code_incorrect"):
        use(ctx, user.token, code)
    assert "backup_code.used" in [e.kind for e in accounts.security_events(ctx, user.token)]


def test_regenerating_invalidates_the_old_codes(ctx, outbox, clock, user):
    enable_mfa(ctx, outbox, user.token)
    old = generate_backup_codes(ctx, outbox, user.token, clock)
    new = generate_backup_codes(ctx, outbox, user.token, clock)
    with pytest.raises(AccountError, match="form_code_incorrect"):
        use(ctx, user.token, old[0])
    use(ctx, user.token, new[0])
    assert accounts.count_backup_codes(ctx, user.token) == 9


def test_a_malformed_backup_code_is_refused_without_counting(ctx, outbox, clock, user):
    enable_mfa(ctx, outbox, user.token)
    generate_backup_codes(ctx, outbox, user.token, clock)
    with pytest.raises(AccountError, match="form_param_format_invalid"):
        use(ctx, user.token, "0000-1111")
    assert accounts.count_backup_codes(ctx, user.token) == 10


def test_a_backup_code_without_codes_is_not_available(ctx, outbox, clock, user):
    enable_mfa(ctx, outbox, user.token)
    with pytest.raises(AccountError, match="backup_codes_not_available"):
        use(ctx, user.token, "abcde-fghjk")


def test_generating_codes_needs_a_recent_second_factor(ctx, outbox, clock, user):
    enable_mfa(ctx, outbox, user.token)
    with pytest.raises(AccountError, match="session_reverification_required"):
        accounts.check_backup_codes_allowed(ctx, user.token)
    with pytest.raises(AccountError, match="session_reverification_required"):
        accounts.create_backup_codes(ctx, user.token)
    reverify_with_sms(ctx, outbox, user.token, clock)
    accounts.check_backup_codes_allowed(ctx, user.token)
    assert len(accounts.create_backup_codes(ctx, user.token).codes) == 10


def test_the_check_refuses_a_signed_out_session(ctx, user):
    accounts.sign_out(ctx, user.token)
    with pytest.raises(AccountError, match="signed_out"):
        accounts.check_backup_codes_allowed(ctx, user.token)
