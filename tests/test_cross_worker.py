"""Limits, lockouts and single-use codes hold across workers: attempts are spread over two OS
processes (started with `spawn`, each with its own engine and connection pool, like two backend
workers), released at the same instant by a barrier, on one database. Inside each process the
attempts run in threads, at once, as a worker's event handlers do.

On SQLite the two processes share the database file; with `--db postgres` they share one
PostgreSQL database and race in SERIALIZABLE transactions."""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
import traceback
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime

import pytest
import sqlalchemy as sa

from mfa_app import accounts
from mfa_app.settings import Settings
from mfa_app.store.migrate import alembic_config
from mfa_app.store.tables import SecurityEventRow, SmsSendRow, UserRow
from tests.helpers import PASSWORD, enable_mfa, reverify_with_sms

MFA_PHONE = "+14155552671"
MAX_FAILED_ATTEMPTS = Settings().lockout_max_attempts
NUMBERS = [f"+1415555{n:04d}" for n in range(100, 110)]  # ten valid, distinct US numbers
BARRIER_TIMEOUT_S = 60
JOB_TIMEOUT_S = 120

Call = tuple[str, tuple]  # (a function of mfa_app.accounts, or "upgrade"; its arguments after ctx)
Outcome = tuple[str, str]  # ("ok", summary) | ("refused", error code) | ("crash", traceback)


@dataclass(frozen=True)
class Job:
    database_url: str
    outbox: str
    secret_key: str
    now: datetime
    overrides: dict = field(default_factory=dict)
    calls: tuple[Call, ...] = ()


# --- the worker processes ---------------------------------------------------------------------


def _serve(inbox, results, barrier) -> None:
    """A worker process: for each job, build a service context of its own (engine, pool), wait
    for the other worker at the barrier, then make all the job's calls at once in threads."""
    _die_with_parent()
    while (job := inbox.get()) is not None:
        try:
            outcomes = _run(job, barrier)
        except BaseException:
            barrier.abort()
            outcomes = [("crash", traceback.format_exc())]
        results.put((os.getpid(), outcomes))


def _die_with_parent() -> None:
    """Linux: end with the test process even if it is killed (prctl PR_SET_PDEATHSIG)."""
    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)


def _run(job: Job, barrier) -> list[Outcome]:
    from mfa_app.accounts.context import AccountContext
    from mfa_app.settings import Settings
    from mfa_app.sms.outbox import OutboxSender
    from mfa_app.store.db import make_engine
    from tests.helpers import fast_hashing

    settings = Settings(
        database_url=job.database_url, sms_outbox=job.outbox, secret_key=job.secret_key, **job.overrides
    )
    ctx = AccountContext(
        engine=make_engine(job.database_url),
        sender=OutboxSender(settings.sms_outbox),
        settings=settings,
        secret_key=settings.resolved_secret_key(),
        clock=lambda: job.now,
        hashing=fast_hashing(),
    )
    try:
        with ctx.engine.connect():
            pass  # connect before the barrier: the race is between the calls, not the connects
        barrier.wait(BARRIER_TIMEOUT_S)
        with ThreadPoolExecutor(len(job.calls)) as pool:
            return list(pool.map(lambda call: _call(ctx, *call), job.calls))
    finally:
        ctx.engine.dispose()


def _call(ctx, name: str, args: tuple) -> Outcome:
    from mfa_app.store.migrate import upgrade

    try:
        result = upgrade(ctx.engine) if name == "upgrade" else getattr(accounts, name)(ctx, *args)
    except accounts.AccountError as error:
        return ("refused", error.code)
    except BaseException:
        return ("crash", traceback.format_exc())
    return ("ok", _summary(result))


def _summary(result: object) -> str:
    for path in ("status", "attempt.status", "verification.status"):
        value = result
        for name in path.split("."):
            value = getattr(value, name, None)
        if isinstance(value, str):
            return value
    return type(result).__name__


class TwoWorkers:
    def __init__(self) -> None:
        spawn = multiprocessing.get_context("spawn")
        self.barrier = spawn.Barrier(2)
        self.results = spawn.Queue()
        self.inboxes = [spawn.Queue(), spawn.Queue()]
        self.processes = [
            spawn.Process(target=_serve, args=(inbox, self.results, self.barrier), daemon=True)
            for inbox in self.inboxes
        ]
        for process in self.processes:
            process.start()

    def run(self, ctx, first: list[Call], second: list[Call], **overrides) -> list[Outcome]:
        """Make `first`'s calls on one worker and `second`'s on the other, all at once; the
        outcomes in order (first's, then second's)."""
        pids = {}
        for inbox, calls in zip(self.inboxes, (first, second), strict=True):
            job = Job(
                database_url=ctx.settings.database_url,
                outbox=str(ctx.settings.sms_outbox),
                secret_key=ctx.settings.secret_key,
                now=ctx.now(),
                overrides=overrides,
                calls=tuple(calls),
            )
            inbox.put(job)
        for _ in self.inboxes:
            pid, outcomes = self.results.get(timeout=JOB_TIMEOUT_S)
            pids[pid] = outcomes
        assert set(pids) == {p.pid for p in self.processes} and os.getpid() not in pids
        crashes = [o[1] for outcomes in pids.values() for o in outcomes if o[0] == "crash"]
        assert not crashes, "\n".join(crashes)
        return pids[self.processes[0].pid] + pids[self.processes[1].pid]

    def stop(self) -> None:
        for inbox in self.inboxes:
            inbox.put(None)
        for process in self.processes:
            process.join(10)
            if process.is_alive():
                process.kill()


@pytest.fixture(scope="module")
def workers() -> Iterator[TwoWorkers]:
    pool = TwoWorkers()
    yield pool
    pool.stop()


def refusals(outcomes: list[Outcome]) -> Counter:
    return Counter(value if kind == "refused" else f"ok:{value}" for kind, value in outcomes)


def count(ctx, table, *where) -> int:
    with ctx.engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table).where(*where)).scalar_one()


def spread(calls: list[Call]) -> tuple[list[Call], list[Call]]:
    """Alternate calls between the two workers."""
    return calls[0::2], calls[1::2]


# --- single-use codes ----------------------------------------------------------------------------


def test_a_backup_code_used_on_two_workers_at_once_lets_exactly_one_sign_in_through(ctx, outbox, clock, user, workers):
    enable_mfa(ctx, outbox, user.token, MFA_PHONE)
    reverify_with_sms(ctx, outbox, user.token, clock)
    codes = accounts.create_backup_codes(ctx, user.token).codes[:3]
    pending = {side: [accounts.sign_in(ctx, user.email, PASSWORD).session_token for _ in codes] for side in "ab"}

    outcomes = workers.run(
        ctx,
        [
            ("attempt_second_factor", (token, "backup_code", code))
            for token, code in zip(pending["a"], codes, strict=False)
        ],
        [
            ("attempt_second_factor", (token, "backup_code", code))
            for token, code in zip(pending["b"], codes, strict=False)
        ],
    )

    for i in range(len(codes)):  # each code: one worker let in, the other refused
        assert sorted([outcomes[i], outcomes[len(codes) + i]]) == [
            ("ok", "complete"),
            ("refused", "form_code_incorrect"),
        ]
    assert accounts.count_backup_codes(ctx, user.token) == 10 - len(codes)
    assert count(ctx, SecurityEventRow, SecurityEventRow.kind == "backup_code.used") == len(codes)


def test_a_phone_verification_code_tried_on_two_workers_at_once_verifies_once(ctx, outbox, workers):
    calls = []
    for n in range(3):
        token = accounts.sign_up(ctx, f"racer{n}@example.com", PASSWORD).session_token
        phone = accounts.create_phone(ctx, token, MFA_PHONE)
        accounts.prepare_verification(ctx, token, phone.id)
        calls.append(("attempt_verification", (token, phone.id, outbox.last_code(MFA_PHONE))))

    outcomes = workers.run(ctx, calls, calls)

    assert refusals(outcomes) == {"ok:verified": 3, "verification_already_verified": 3}
    assert count(ctx, SecurityEventRow, SecurityEventRow.kind == "phone.verified") == 3


def test_an_sms_code_gets_at_most_five_tries_over_two_workers(ctx, outbox, user, workers):
    phone = accounts.create_phone(ctx, user.token, MFA_PHONE)
    accounts.prepare_verification(ctx, user.token, phone.id)
    right = outbox.last_code(MFA_PHONE)
    wrong = [
        ("attempt_verification", (user.token, phone.id, f"{(int(right) + n) % 1_000_000:06d}")) for n in range(1, 9)
    ]

    outcomes = workers.run(ctx, *spread(wrong))

    assert refusals(outcomes) == {"form_code_incorrect": 5, "verification_failed": 3}
    with pytest.raises(accounts.AccountError) as dead:
        accounts.attempt_verification(ctx, user.token, phone.id, right)
    assert dead.value.code == "verification_failed"


def test_a_code_requested_on_two_workers_at_once_is_sent_once(ctx, outbox, user, workers):
    phone = accounts.create_phone(ctx, user.token, MFA_PHONE)

    outcomes = workers.run(
        ctx, [("prepare_verification", (user.token, phone.id))], [("prepare_verification", (user.token, phone.id))]
    )

    assert refusals(outcomes) == {"ok:unverified": 1, "verification_code_too_many_requests": 1}
    assert [m["to"] for m in outbox.messages()] == [MFA_PHONE]


def test_a_handoff_nonce_traded_on_two_workers_at_once_gives_one_session(ctx, user, workers):
    nonce = accounts.start_handoff(ctx, user.token)

    outcomes = workers.run(ctx, [("finish_handoff", (nonce,))], [("finish_handoff", (nonce,))])

    assert refusals(outcomes) == {"ok:str": 1, "signed_out": 1}


# --- lockout ---------------------------------------------------------------------------------------


def password_failures(ctx, email: str) -> int:
    with ctx.engine.connect() as conn:
        return conn.execute(sa.select(UserRow.password_failures).where(UserRow.email == email)).scalar_one()


def test_nine_wrong_passwords_over_two_workers_are_all_counted_and_do_not_lock(ctx, user, workers):
    wrong = [("sign_in", (user.email, f"wrong password {n}")) for n in range(MAX_FAILED_ATTEMPTS - 1)]

    outcomes = workers.run(ctx, *spread(wrong))

    assert refusals(outcomes) == {"form_password_incorrect": MAX_FAILED_ATTEMPTS - 1}
    assert password_failures(ctx, user.email) == MAX_FAILED_ATTEMPTS - 1
    assert accounts.sign_in(ctx, user.email, PASSWORD).attempt.status == "complete"


def test_wrong_passwords_over_two_workers_lock_the_account_at_exactly_ten(ctx, user, workers):
    wrong = [("sign_in", (user.email, f"wrong password {n}")) for n in range(MAX_FAILED_ATTEMPTS + 4)]

    outcomes = workers.run(ctx, *spread(wrong))

    assert refusals(outcomes) == {"form_password_incorrect": MAX_FAILED_ATTEMPTS - 1, "user_locked": 5}
    assert count(ctx, SecurityEventRow, SecurityEventRow.kind == "user.locked") == 1
    with pytest.raises(accounts.AccountError) as locked:
        accounts.sign_in(ctx, user.email, PASSWORD)
    assert locked.value.code == "user_locked"


def test_wrong_sms_codes_and_backup_codes_over_two_workers_count_together_and_lock_once(
    ctx, outbox, clock, user, workers
):
    enable_mfa(ctx, outbox, user.token, MFA_PHONE)
    reverify_with_sms(ctx, outbox, user.token, clock)
    accounts.create_backup_codes(ctx, user.token)
    phone_id = accounts.reverification_status(ctx, user.token).phones[0].phone_number_id
    clock.advance(seconds=31)
    accounts.prepare_reverification(ctx, user.token, phone_id)
    right = outbox.last_code(MFA_PHONE)
    calls = [
        *[("reverify", (user.token, "phone_code", f"{(int(right) + n) % 1_000_000:06d}")) for n in range(1, 6)],
        *[("reverify", (user.token, "backup_code", "zzzzz-zzzzz")) for _ in range(5)],
    ]

    outcomes = workers.run(ctx, *spread(calls))

    assert refusals(outcomes) == {"form_code_incorrect": MAX_FAILED_ATTEMPTS - 1, "user_locked": 1}
    assert count(ctx, SecurityEventRow, SecurityEventRow.kind == "user.locked") == 1


# --- SMS sending limits ------------------------------------------------------------------------


def users_with_phone(ctx, numbers: list[str]) -> list[Call]:
    """A new user per number, each with that (unverified) phone; the calls that send its code."""
    calls = []
    for n, number in enumerate(numbers):
        token = accounts.sign_up(ctx, f"sender{n}@example.com", PASSWORD).session_token
        calls.append(("prepare_verification", (token, accounts.create_phone(ctx, token, number).id)))
    return calls


def sent(ctx, *where) -> int:
    return count(ctx, SmsSendRow, *where)


def test_the_per_phone_cap_holds_across_workers(ctx, outbox, workers):
    calls = users_with_phone(ctx, [MFA_PHONE] * 8)  # eight accounts, one number

    outcomes = workers.run(ctx, *spread(calls))

    cap = ctx.settings.sms_per_phone_per_hour
    assert refusals(outcomes) == {"ok:unverified": cap, "too_many_requests": len(calls) - cap}
    assert sent(ctx, SmsSendRow.phone_number == MFA_PHONE) == cap
    assert len(outbox.messages()) == cap


def test_the_per_account_cap_holds_across_workers(ctx, outbox, user, workers):
    ctx.settings.unverified_phones_per_account = 8
    phones = [accounts.create_phone(ctx, user.token, number).id for number in NUMBERS[:8]]
    calls = [("prepare_verification", (user.token, phone_id)) for phone_id in phones]

    outcomes = workers.run(ctx, *spread(calls), sms_per_account_per_hour=3)

    assert refusals(outcomes) == {"ok:unverified": 3, "too_many_requests": 5}
    assert len(outbox.messages()) == 3


def test_the_per_client_cap_holds_across_workers(ctx, outbox, workers):
    calls = [(name, (*args, "203.0.113.7")) for name, args in users_with_phone(ctx, NUMBERS[:8])]  # one address

    outcomes = workers.run(ctx, *spread(calls), sms_new_numbers_per_client_per_hour=3)

    assert refusals(outcomes) == {"ok:unverified": 3, "too_many_requests": 5}
    assert len(outbox.messages()) == 3


def test_once_the_new_number_cap_is_reached_every_worker_stops_sending_codes_to_new_numbers(ctx, outbox, workers):
    # The app-wide caps are tripwires read outside the sending transaction (mfa_app/accounts/
    # limits.py): a burst may overshoot one a little, but never stop short of it, and after it
    # no worker sends anything of that budget.
    calls = users_with_phone(ctx, NUMBERS[:10])
    burst, after = calls[:8], calls[8:]

    outcomes = workers.run(ctx, *spread(burst), sms_new_numbers_per_hour=4)

    assert set(refusals(outcomes)) <= {"ok:unverified", "sms_send_error"}
    assert refusals(outcomes)["ok:unverified"] >= 4
    sent_in_burst = len(outbox.messages())
    assert workers.run(ctx, *spread(after), sms_new_numbers_per_hour=4) == [("refused", "sms_send_error")] * 2
    assert len(outbox.messages()) == sent_in_burst


def test_once_the_mfa_phone_cap_is_reached_every_worker_stops_sending_sign_in_codes(ctx, outbox, workers):
    calls = []
    for n, number in enumerate(NUMBERS):
        token = accounts.sign_up(ctx, f"mfa{n}@example.com", PASSWORD).session_token
        phone = enable_mfa(ctx, outbox, token, number)
        pending = accounts.sign_in(ctx, f"mfa{n}@example.com", PASSWORD).session_token
        calls.append(("prepare_second_factor", (pending, phone.id)))
    burst, after = calls[:8], calls[8:]
    verification_codes = len(outbox.messages())

    outcomes = workers.run(ctx, *spread(burst), sms_global_per_minute=4)

    assert set(refusals(outcomes)) <= {"ok:needs_second_factor", "sms_send_error"}
    assert refusals(outcomes)["ok:needs_second_factor"] >= 4
    sent_in_burst = len(outbox.messages())
    assert workers.run(ctx, *spread(after), sms_global_per_minute=4) == [("refused", "sms_send_error")] * 2
    assert len(outbox.messages()) == sent_in_burst > verification_codes


# --- bursts: on PostgreSQL most of these SERIALIZABLE transactions conflict and are retried,
# some many times (mfa_app/store/db.py); none may fail for it ---------------------------------


def test_forty_sign_ins_at_once_to_one_account_over_two_workers_all_succeed(ctx, user, workers):
    # Each one clears the account's failure count: forty writes to one row at the same moment.
    calls = [("sign_in", (user.email, PASSWORD)) for _ in range(40)]

    outcomes = workers.run(ctx, *spread(calls))

    assert refusals(outcomes) == {"ok:complete": 40}


def test_forty_codes_requested_at_once_over_two_workers_all_go_out(ctx, outbox, workers):
    # Each send counts the recent sends to its number and its account (index ranges of one table).
    numbers = [f"+1415555{n:04d}" for n in range(100, 140)]
    calls = users_with_phone(ctx, numbers)

    outcomes = workers.run(ctx, *spread(calls), sms_new_numbers_per_hour=len(numbers))

    assert refusals(outcomes) == {"ok:unverified": len(numbers)}
    assert sorted(m["to"] for m in outbox.messages()) == sorted(numbers)


# --- start-up ----------------------------------------------------------------------------------


def test_two_workers_starting_at_once_on_an_empty_database_migrate_it_once(ctx, empty_database_url, workers):
    from dataclasses import replace

    from alembic.script import ScriptDirectory

    from mfa_app.store.db import make_engine

    on_empty = replace(ctx, settings=ctx.settings.model_copy(update={"database_url": empty_database_url}))
    outcomes = workers.run(on_empty, [("upgrade", ())], [("upgrade", ())])

    assert outcomes == [("ok", "NoneType"), ("ok", "NoneType")]
    engine = make_engine(empty_database_url)
    try:
        with engine.connect() as conn:
            versions = conn.execute(sa.text("SELECT version_num FROM mfa_app_version")).scalars().all()
        assert versions == [ScriptDirectory.from_config(alembic_config()).get_current_head()]
    finally:
        engine.dispose()
