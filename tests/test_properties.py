"""Property-based tests: arbitrary text fed to phone-number creation and to code attempts gives
only typed AccountErrors, and a refused input leaves the database exactly as it was (a wrong
but well-formed code changes only the attempt counters)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st
from sqlmodel import SQLModel

from mfa_app import accounts
from mfa_app.accounts.crypto import BACKUP_CODE_ALPHABET
from mfa_app.accounts.models import PhoneNumber
from mfa_app.store.tables import UserRow, VerificationRow
from tests.helpers import PASSWORD, add_verified_phone, enable_mfa, reverify_with_sms

# The fixtures (one database, one signed-in user) are shared by every example of a test: each
# example resets the counters it may move, then compares snapshots taken around the call.
examples = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

CREATE_PHONE_REFUSALS = {
    "form_param_format_invalid",
    "form_identifier_exists",
    "unsupported_country_code",
    "too_many_phone_numbers",
}
VERIFIED_PHONE = "+14155552671"


def snapshot(engine, ignore: dict[str, set[str]] | None = None) -> dict[str, list[tuple]]:
    """Every row of every table: table name -> sorted list of row tuples (minus ignored columns)."""
    ignore = ignore or {}
    result = {}
    with engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            columns = [c for c in table.columns if c.name not in ignore.get(table.name, set())]
            rows = conn.execute(sa.select(*columns)).all()
            result[table.name] = sorted((tuple(row) for row in rows), key=repr)
    return result


def reset_counters(ctx) -> None:
    """Undo what earlier examples' wrong tries counted, so no example hits a lockout or try limit."""
    with ctx.engine.begin() as conn:
        conn.execute(sa.update(UserRow).values(password_failures=0, second_factor_failures=0, locked_until=None))
        conn.execute(sa.update(VerificationRow).values(attempts=0))


def second_factor_failures(ctx) -> int:
    with ctx.engine.connect() as conn:
        return conn.execute(sa.select(UserRow.second_factor_failures)).scalar_one()


def verification_attempts(ctx) -> dict[str, int]:
    with ctx.engine.connect() as conn:
        return {vid: n for vid, n in conn.execute(sa.select(VerificationRow.id, VerificationRow.attempts))}


# --- phone-number creation ----------------------------------------------------------------------

phone_like = st.from_regex(r"\A\+?[0-9 ()\-.]{0,20}\Z")
known_numbers = st.sampled_from(
    [VERIFIED_PHONE, "4155552671", "(415) 555-2671", "+44 7400 123456", "+33 6 12 34 56 78", "+1 800 555 0100", "+"]
)
mobile_like = st.integers(2_012_000_000, 9_899_999_999).map(lambda n: f"+1{n}")
phone_inputs = st.one_of(st.text(max_size=80), phone_like, known_numbers, mobile_like)


@pytest.fixture
def with_verified_phone(ctx, outbox, user):
    add_verified_phone(ctx, outbox, user.token, VERIFIED_PHONE)
    return user


@examples
@given(raw=phone_inputs)
def test_create_phone_gives_a_phone_or_a_typed_refusal_that_changes_nothing(ctx, with_verified_phone, raw):
    before = snapshot(ctx.engine)
    try:
        phone = accounts.create_phone(ctx, with_verified_phone.token, raw)
    except accounts.AccountError as error:
        event(error.code)
        assert error.code in CREATE_PHONE_REFUSALS
        assert snapshot(ctx.engine) == before
    else:
        event("created")
        assert isinstance(phone, PhoneNumber)
        assert re.fullmatch(r"\+[1-9]\d{6,14}", phone.phone_number)
        assert phone.verification.status == "unverified"
        assert phone.id in {p.id for p in accounts.list_phones(ctx, with_verified_phone.token)}


# --- phone verification codes ---------------------------------------------------------------------


def is_six_ascii_digits(text: str) -> bool:
    return re.fullmatch(r"[0-9]{6}", text.strip()) is not None


code_inputs = st.one_of(
    st.text(max_size=20),
    st.from_regex(r"\A\s*[0-9]{6}\s*\Z"),
    st.from_regex(r"\A[0-9]{5,7}\Z"),
    st.text(alphabet="0123456789٠١٢٣٤٥٦٧٨٩０１２３４５６７８９ \t\n", min_size=5, max_size=8),
)


@pytest.fixture
def pending_phone(ctx, outbox, user):
    """An unverified phone with a live verification code; returns (token, phone id, right code)."""
    phone = accounts.create_phone(ctx, user.token, VERIFIED_PHONE)
    accounts.prepare_verification(ctx, user.token, phone.id)
    return user.token, phone.id, outbox.last_code(VERIFIED_PHONE)


@examples
@given(text=code_inputs)
def test_verification_attempt_with_arbitrary_text_only_raises_typed_errors(ctx, pending_phone, text):
    token, phone_id, right = pending_phone
    assume(text.strip() != right)
    reset_counters(ctx)
    tries = {"verifications": {"attempts"}}  # and no lockout count: typos here never lock the account
    before, before_all = snapshot(ctx.engine, ignore=tries), snapshot(ctx.engine)
    tries_before = verification_attempts(ctx)

    with pytest.raises(accounts.AccountError) as refused:
        accounts.attempt_verification(ctx, token, phone_id, text)
    event(refused.value.code)

    if not is_six_ascii_digits(text):
        assert refused.value.code == "form_param_format_invalid"
        assert snapshot(ctx.engine) == before_all
    else:
        assert refused.value.code == "form_code_incorrect"
        assert snapshot(ctx.engine, ignore=tries) == before
        assert verification_attempts(ctx) == {vid: n + 1 for vid, n in tries_before.items()}


# --- sign-in with a backup code -------------------------------------------------------------------


def is_well_formed_backup_code(text: str) -> bool:
    """Ten characters of the backup-code alphabet once case, dashes and spaces are ignored."""
    kept = "".join(ch for ch in text.lower() if ch.isalnum())
    return len(kept) == 10 and all(ch in BACKUP_CODE_ALPHABET for ch in kept)


backup_inputs = st.one_of(
    st.text(max_size=30),
    st.text(alphabet=BACKUP_CODE_ALPHABET + BACKUP_CODE_ALPHABET.upper() + "-  01ilo", min_size=8, max_size=14),
    st.from_regex(rf"\A[{BACKUP_CODE_ALPHABET}]{{5}}-[{BACKUP_CODE_ALPHABET}]{{5}}\Z"),
)


@pytest.fixture
def pending_sign_in(ctx, outbox, clock, user):
    """A user with MFA and backup codes, and a sign-in waiting for its second factor."""
    enable_mfa(ctx, outbox, user.token)
    reverify_with_sms(ctx, outbox, user.token, clock)
    codes = accounts.create_backup_codes(ctx, user.token).codes
    accounts.sign_out(ctx, user.token)
    pending = accounts.sign_in(ctx, user.email, PASSWORD)
    assert pending.attempt.status == "needs_second_factor"
    return pending.session_token, codes


@examples
@given(text=backup_inputs)
def test_backup_code_sign_in_with_arbitrary_text_only_raises_typed_errors(ctx, pending_sign_in, text):
    token, codes = pending_sign_in
    assume(not any(c.replace("-", "") in text.lower().replace("-", "") for c in codes))
    reset_counters(ctx)
    counter = {"users": {"second_factor_failures"}}
    before, before_all = snapshot(ctx.engine, ignore=counter), snapshot(ctx.engine)

    with pytest.raises(accounts.AccountError) as refused:
        accounts.attempt_second_factor(ctx, token, "backup_code", text)
    event(refused.value.code)

    if not is_well_formed_backup_code(text):
        assert refused.value.code == "form_param_format_invalid"
        assert snapshot(ctx.engine) == before_all
    else:
        assert refused.value.code == "form_code_incorrect"
        assert snapshot(ctx.engine, ignore=counter) == before
        assert second_factor_failures(ctx) == 1
