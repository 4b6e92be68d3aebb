"""Races: requests released at the same instant by a barrier. A single-use secret is used once,
the first MFA phone becomes the only default, and no failed attempt is lost."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from mfa_app import accounts
from mfa_app.settings import Settings
from mfa_app.store.tables import SecurityEventRow, UserRow
from tests.helpers import PASSWORD, add_verified_phone, enable_mfa, reverify_with_sms

MFA_PHONE = "+14155552671"
MAX_FAILED_ATTEMPTS = Settings().lockout_max_attempts
PHONE_A = "+14155550123"
PHONE_B = "+14155550199"
ROUNDS = 3
NOT_A_BACKUP_CODE = "zzzzz-zzzzz"  # well-formed, so it is checked and counted


def race(*calls: Callable[[], object]) -> list[object]:
    """Run the calls in threads that start together; each outcome is the call's result or the
    AccountError it raised (any other exception fails the test)."""
    barrier = threading.Barrier(len(calls), timeout=10)

    def released(call):
        barrier.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        futures = [pool.submit(released, call) for call in calls]
    outcomes = []
    for future in futures:
        try:
            outcomes.append(future.result())
        except accounts.AccountError as error:
            outcomes.append(error)
    return outcomes


def split(outcomes: list[object]) -> tuple[list[object], list[str]]:
    """(the successes, the error codes of the refusals)."""
    wins = [o for o in outcomes if not isinstance(o, accounts.AccountError)]
    codes = [o.code for o in outcomes if isinstance(o, accounts.AccountError)]
    return wins, codes


def count_events(ctx, kind: str) -> int:
    with ctx.engine.connect() as conn:
        query = sa.select(sa.func.count()).select_from(SecurityEventRow).where(SecurityEventRow.kind == kind)
        return conn.execute(query).scalar_one()


@pytest.fixture
def mfa_user(ctx, outbox, clock, user):
    """A user with an MFA phone and a fresh set of backup codes; returns (user, codes)."""
    enable_mfa(ctx, outbox, user.token, MFA_PHONE)
    reverify_with_sms(ctx, outbox, user.token, clock)
    return user, accounts.create_backup_codes(ctx, user.token).codes


# --- one backup code, two requests ----------------------------------------------------------------


def test_two_sign_ins_racing_with_the_same_backup_code_let_exactly_one_in(ctx, mfa_user):
    user, codes = mfa_user
    for code in codes[:ROUNDS]:
        first = accounts.sign_in(ctx, user.email, PASSWORD).session_token
        second = accounts.sign_in(ctx, user.email, PASSWORD).session_token

        outcomes = race(
            lambda: accounts.attempt_second_factor(ctx, first, "backup_code", code),
            lambda: accounts.attempt_second_factor(ctx, second, "backup_code", code),
        )

        wins, refusals = split(outcomes)
        assert [w.status for w in wins] == ["complete"]
        assert refusals == ["form_code_incorrect"]
    assert accounts.count_backup_codes(ctx, user.token) == len(codes) - ROUNDS
    assert count_events(ctx, "backup_code.used") == ROUNDS


def test_two_reverifications_racing_with_the_same_backup_code_accept_exactly_one(ctx, mfa_user):
    user, codes = mfa_user
    for code in codes[:ROUNDS]:
        outcomes = race(
            lambda: accounts.reverify(ctx, user.token, "backup_code", code),
            lambda: accounts.reverify(ctx, user.token, "backup_code", code.upper()),
        )

        wins, refusals = split(outcomes)
        assert wins == [None]
        assert refusals == ["form_code_incorrect"]
    assert accounts.count_backup_codes(ctx, user.token) == len(codes) - ROUNDS


# --- one SMS code, two requests -------------------------------------------------------------------


def test_two_attempts_racing_with_the_right_phone_verification_code_verify_exactly_once(ctx, outbox):
    for round_ in range(ROUNDS):
        token = accounts.sign_up(ctx, f"racer{round_}@example.com", PASSWORD).session_token
        phone = accounts.create_phone(ctx, token, MFA_PHONE)
        accounts.prepare_verification(ctx, token, phone.id)
        code = outbox.last_code(MFA_PHONE)

        outcomes = race(
            lambda: accounts.attempt_verification(ctx, token, phone.id, code),
            lambda: accounts.attempt_verification(ctx, token, phone.id, code),
        )

        wins, refusals = split(outcomes)
        assert [w.verification.status for w in wins] == ["verified"]
        assert refusals == ["verification_already_verified"]
        assert count_events(ctx, "phone.verified") == round_ + 1


def test_two_reverifications_racing_with_the_same_sms_code_accept_exactly_one(ctx, outbox, clock, mfa_user):
    user, _ = mfa_user
    phone_id = accounts.reverification_status(ctx, user.token).phones[0].phone_number_id
    for _ in range(2):  # with the fixture's two, within the phone's hourly quota of five codes
        clock.advance(seconds=31)
        accounts.prepare_reverification(ctx, user.token, phone_id)
        code = outbox.last_code(MFA_PHONE)

        outcomes = race(
            lambda: accounts.reverify(ctx, user.token, "phone_code", code),
            lambda: accounts.reverify(ctx, user.token, "phone_code", code),
        )

        wins, refusals = split(outcomes)
        assert wins == [None]
        assert refusals == ["verification_already_verified"]


def test_two_code_requests_racing_for_the_same_phone_send_exactly_one_sms(ctx, outbox, user):
    phone = accounts.create_phone(ctx, user.token, MFA_PHONE)

    outcomes = race(
        lambda: accounts.prepare_verification(ctx, user.token, phone.id),
        lambda: accounts.prepare_verification(ctx, user.token, phone.id),
    )

    wins, refusals = split(outcomes)
    assert len(wins) == 1
    assert refusals == ["verification_code_too_many_requests"]
    assert [m["to"] for m in outbox.messages()] == [MFA_PHONE]


def test_two_sign_ups_racing_with_the_same_email_create_one_account(ctx):
    outcomes = race(
        lambda: accounts.sign_up(ctx, "same@example.com", PASSWORD),
        lambda: accounts.sign_up(ctx, " Same@Example.com ", PASSWORD),
    )

    wins, refusals = split(outcomes)
    assert len(wins) == 1
    assert refusals == ["form_identifier_exists"]
    with ctx.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(UserRow)).scalar_one() == 1


def test_two_requests_racing_with_the_same_handoff_nonce_get_exactly_one_session_token(ctx, user):
    nonce = accounts.start_handoff(ctx, user.token)

    outcomes = race(lambda: accounts.finish_handoff(ctx, nonce), lambda: accounts.finish_handoff(ctx, nonce))

    wins, refusals = split(outcomes)
    assert len(wins) == 1 and wins[0] != user.token
    assert refusals == ["signed_out"]
    assert accounts.get_user(ctx, wins[0]).email_address == user.email


# --- the first MFA phone --------------------------------------------------------------------------


def two_verified_phones(ctx, outbox, token) -> tuple[str, str]:
    a = add_verified_phone(ctx, outbox, token, PHONE_A)
    b = add_verified_phone(ctx, outbox, token, PHONE_B)
    return a.id, b.id


def reserve_both_at_once(ctx, token, a: str, b: str) -> list[object]:
    return race(
        lambda: accounts.set_reserved_for_second_factor(ctx, token, a, True),
        lambda: accounts.set_reserved_for_second_factor(ctx, token, b, True),
    )


@pytest.mark.parametrize("round_", range(2))
def test_reserving_two_phones_at_once_on_a_fresh_account_makes_exactly_one_default(ctx, outbox, user, round_):
    a, b = two_verified_phones(ctx, outbox, user.token)

    outcomes = reserve_both_at_once(ctx, user.token, a, b)

    # The first reservation turns MFA on, so the second now needs a second-factor step-up.
    wins, refusals = split(outcomes)
    assert len(wins) == 1 and wins[0].default_second_factor
    assert refusals == ["session_reverification_required"]
    phones = accounts.list_phones(ctx, user.token)
    assert [p.id for p in phones if p.default_second_factor] == [wins[0].id]
    assert [p.id for p in phones if p.reserved_for_second_factor] == [wins[0].id]


@pytest.mark.parametrize("round_", range(2))
def test_reserving_two_phones_at_once_with_a_strong_session_makes_exactly_one_default(ctx, outbox, clock, user, round_):
    # A session verified with an SMS code, on an account whose MFA was then turned off: both
    # reservations pass the step-up check and really race for the default.
    first_mfa = enable_mfa(ctx, outbox, user.token, MFA_PHONE)
    reverify_with_sms(ctx, outbox, user.token, clock)
    a, b = two_verified_phones(ctx, outbox, user.token)
    accounts.set_reserved_for_second_factor(ctx, user.token, first_mfa.id, False)
    assert not accounts.get_user(ctx, user.token).two_factor_enabled

    outcomes = reserve_both_at_once(ctx, user.token, a, b)

    wins, refusals = split(outcomes)
    assert refusals == []
    assert sorted(w.default_second_factor for w in wins) == [False, True]
    phones = {p.id: p for p in accounts.list_phones(ctx, user.token)}
    assert phones[a].reserved_for_second_factor and phones[b].reserved_for_second_factor
    assert [p for p in (a, b) if phones[p].default_second_factor] == [
        next(w.id for w in wins if w.default_second_factor)
    ]


# --- failed attempts under concurrency ------------------------------------------------------------


def password_failures(ctx, email: str) -> int:
    with ctx.engine.connect() as conn:
        return conn.execute(sa.select(UserRow.password_failures).where(UserRow.email == email)).scalar_one()


def wrong_password(ctx, email: str) -> Callable[[], object]:
    return lambda: accounts.sign_in(ctx, email, "definitely wrong password")


def test_concurrent_wrong_passwords_are_all_counted(ctx, user):
    outcomes = race(*[wrong_password(ctx, user.email) for _ in range(MAX_FAILED_ATTEMPTS - 1)])

    assert split(outcomes) == ([], ["form_password_incorrect"] * (MAX_FAILED_ATTEMPTS - 1))
    assert password_failures(ctx, user.email) == MAX_FAILED_ATTEMPTS - 1
    assert accounts.sign_in(ctx, user.email, PASSWORD).attempt.status == "complete"


def test_ten_concurrent_wrong_passwords_lock_the_account(ctx, user):
    outcomes = race(*[wrong_password(ctx, user.email) for _ in range(MAX_FAILED_ATTEMPTS)])

    _, refusals = split(outcomes)
    assert Counter(refusals) == {"form_password_incorrect": MAX_FAILED_ATTEMPTS - 1, "user_locked": 1}
    with pytest.raises(accounts.AccountError) as locked:
        accounts.sign_in(ctx, user.email, PASSWORD)
    assert locked.value.code == "user_locked"
    assert count_events(ctx, "user.locked") == 1


def test_more_concurrent_wrong_passwords_than_the_limit_lock_the_account_once(ctx, user):
    outcomes = race(*[wrong_password(ctx, user.email) for _ in range(MAX_FAILED_ATTEMPTS + 4)])

    _, refusals = split(outcomes)
    assert Counter(refusals) == {"form_password_incorrect": MAX_FAILED_ATTEMPTS - 1, "user_locked": 5}
    assert count_events(ctx, "user.locked") == 1
    with pytest.raises(accounts.AccountError) as locked:
        accounts.sign_in(ctx, user.email, PASSWORD)
    assert locked.value.code == "user_locked"


def test_concurrent_wrong_sms_codes_and_backup_codes_count_together_and_lock_once(ctx, outbox, clock, mfa_user):
    user, _ = mfa_user
    phone_id = accounts.reverification_status(ctx, user.token).phones[0].phone_number_id
    clock.advance(seconds=31)
    accounts.prepare_reverification(ctx, user.token, phone_id)
    right = outbox.last_code(MFA_PHONE)
    wrong_codes = [f"{(int(right) + n) % 1_000_000:06d}" for n in range(1, 6)]  # all five tries of the code

    outcomes = race(
        *[lambda c=c: accounts.reverify(ctx, user.token, "phone_code", c) for c in wrong_codes],
        *[lambda: accounts.reverify(ctx, user.token, "backup_code", NOT_A_BACKUP_CODE) for _ in range(5)],
    )

    wins, refusals = split(outcomes)
    assert wins == []
    assert Counter(refusals) == {"form_code_incorrect": MAX_FAILED_ATTEMPTS - 1, "user_locked": 1}
    assert count_events(ctx, "user.locked") == 1
    with pytest.raises(accounts.AccountError) as locked:
        accounts.sign_in(ctx, user.email, PASSWORD)
    assert locked.value.code == "user_locked"
