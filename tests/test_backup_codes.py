"""Backup codes: only with MFA, 10 codes of 40+ bits, hashed, single use, replaced on regenerate."""

from __future__ import annotations

import math
import random
import re

import pytest
import sqlalchemy as sa

from mfa_app import accounts
from mfa_app.accounts import AccountError
from mfa_app.accounts.backup_codes import LOOKUP_LENGTH
from mfa_app.accounts.crypto import BACKUP_CODE_ALPHABET, BACKUP_CODE_LENGTH, Hashing
from mfa_app.store.tables import BackupCodeRow
from tests.helpers import enable_mfa, fast_hashing, generate_backup_codes, reverify_with_sms


def use(ctx, token, code):
    accounts.reverify(ctx, token, "backup_code", code)


def test_backup_codes_need_mfa_first(ctx, user):
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
        accounts.create_backup_codes(ctx, user.token)
    reverify_with_sms(ctx, outbox, user.token, clock)
    assert len(accounts.create_backup_codes(ctx, user.token).codes) == 10


def test_generating_codes_refuses_a_signed_out_session(ctx, user):
    accounts.sign_out(ctx, user.token)
    with pytest.raises(AccountError, match="signed_out"):
        accounts.create_backup_codes(ctx, user.token)


class CountingHashing(Hashing):
    """The tests' cheap argon2id, counting the backup-code verifications."""

    def __init__(self) -> None:
        cheap = fast_hashing()
        super().__init__(passwords=cheap.passwords, backup_codes=cheap.backup_codes)
        self.verified = 0

    def backup_code_matches(self, code_hash: str, code: str) -> bool:
        self.verified += 1
        return super().backup_code_matches(code_hash, code)


def _wrong_code_with_the_prefix_of(code: str) -> str:
    last = code[-1]
    return code[:-1] + next(ch for ch in BACKUP_CODE_ALPHABET if ch != last)


def test_an_attempt_verifies_exactly_one_hash(ctx, outbox, clock, user):
    enable_mfa(ctx, outbox, user.token, "+14155550941")
    codes = generate_backup_codes(ctx, outbox, user.token, clock)
    ctx.hashing = counting = CountingHashing()
    taken = {c[:LOOKUP_LENGTH] for c in codes}
    unmatched = next(a + b for a in BACKUP_CODE_ALPHABET for b in BACKUP_CODE_ALPHABET if a + b not in taken)
    for wrong in (_wrong_code_with_the_prefix_of(codes[4]), f"{unmatched}zzz-zzzzz"):
        counting.verified = 0
        with pytest.raises(AccountError, match="form_code_incorrect"):
            use(ctx, user.token, wrong)
        assert counting.verified == 1
    counting.verified = 0
    use(ctx, user.token, codes[7])
    assert counting.verified == 1
    assert accounts.count_backup_codes(ctx, user.token) == 9


class ScriptedRandom(random.Random):
    """Draws the given symbols first, then random ones."""

    def __init__(self, symbols: str) -> None:
        super().__init__(1)
        self.script = iter(symbols)

    def choice(self, seq):
        return next(self.script, None) or super().choice(seq)


def test_a_set_has_distinct_lookup_prefixes(ctx, outbox, clock, user):
    enable_mfa(ctx, outbox, user.token, "+14155550942")
    ctx.rng = ScriptedRandom("aaaaaaaaaa" + "aabbbbbbbb")  # type: ignore[assignment]  # two codes, one prefix
    codes = generate_backup_codes(ctx, outbox, user.token, clock)
    assert "aaaaa-aaaaa" in codes and "aabbb-bbbbb" not in codes
    assert len({c[:LOOKUP_LENGTH] for c in codes}) == 10


def test_codes_stored_without_a_lookup_part_still_work(ctx, outbox, clock, user):
    enable_mfa(ctx, outbox, user.token, "+14155550943")
    codes = generate_backup_codes(ctx, outbox, user.token, clock)
    with ctx.engine.begin() as conn:  # as stored before revision 0004
        conn.execute(sa.update(BackupCodeRow).values(lookup_hmac=None))
    ctx.hashing = counting = CountingHashing()
    with pytest.raises(AccountError, match="form_code_incorrect"):
        use(ctx, user.token, _wrong_code_with_the_prefix_of(codes[2]))
    assert counting.verified == 10  # the old scan
    use(ctx, user.token, codes[2])
    assert accounts.count_backup_codes(ctx, user.token) == 9
