"""Write transactions at once per worker (MFA_DB_WRITERS), side by side, on PostgreSQL.

    .venv/bin/python -m bench.write_contention [--threads N] [--rounds N] [--writers 40,8,2,1]

Many threads of one process (like a backend worker's threads under load) each add, then verify,
phones of their own account, through the account service. Every account is different, so every
serialization conflict is a false one: PostgreSQL tracks reads by index page, and while tables
are small every account's rows share those pages. Printed for each writer limit: wall time,
retries of each transaction kind, and the most attempts one transaction needed (20 fail).
"""

from __future__ import annotations

import argparse
import logging
import re
import threading
import time
from collections import Counter

import sqlalchemy as sa
from argon2 import PasswordHasher

import throwaway_servers
from mfa_app import accounts
from mfa_app.accounts.context import AccountContext
from mfa_app.accounts.crypto import Hashing
from mfa_app.settings import Settings
from mfa_app.sms.base import SmsMessage
from mfa_app.store.db import make_engine
from mfa_app.store.migrate import upgrade

PASSWORD = "correct horse battery"
STEPS = ["add", "send", "verify"]


class MemorySender:
    """The last code texted to each number."""

    def __init__(self) -> None:
        self.codes: dict[str, str] = {}

    def send(self, message: SmsMessage) -> None:
        self.codes[message.to] = re.search(r"#(\d{6})$", message.body).group(1)


class RetryCounter(logging.Handler):
    """Counts the store's "write conflict … retrying" records, by the step the thread is on."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.step = threading.local()
        self.retries: Counter[str] = Counter()
        self.worst = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.retries[self.step.name] += 1  # emit() runs under the handler's own lock
        self.worst = max(self.worst, record.args[1])


def run_once(database_url: str, writers: int, threads: int, rounds: int) -> dict:
    engine = make_engine(database_url, writers=writers)
    sender = MemorySender()
    settings = Settings(  # nothing is written to its data_dir: the key is given, codes stay in memory
        database_url=database_url,
        secret_key="bench",
        sms_per_phone_per_hour=1000,
        sms_per_account_per_hour=1000,
        sms_global_per_minute=1_000_000,
        sms_new_numbers_per_hour=1_000_000,
    )
    ctx = AccountContext(
        engine=engine,
        sender=sender,
        settings=settings,
        secret_key=b"bench",
        hashing=Hashing(passwords=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)),  # sign-ups only
    )
    tokens = [accounts.sign_up(ctx, f"w{writers}-{i}@example.com", PASSWORD).session_token for i in range(threads)]
    counter = RetryCounter()
    store_log = logging.getLogger("mfa_app.store")
    store_log.addHandler(counter)
    store_log.setLevel(logging.DEBUG)
    errors: list[str] = []

    def flow(i: int) -> None:
        try:
            for r in range(rounds):
                counter.step.name = "add"
                phone = accounts.create_phone(ctx, tokens[i], f"+1415555{i:02d}{r:02d}")
                counter.step.name = "send"
                accounts.prepare_verification(ctx, tokens[i], phone.id)
                counter.step.name = "verify"
                accounts.attempt_verification(ctx, tokens[i], phone.id, sender.codes[phone.phone_number])
        except Exception as exc:  # counted and shown
            errors.append(f"{type(exc).__name__}: {str(exc)[:120]}")

    started = time.perf_counter()
    workers = [threading.Thread(target=flow, args=(i,)) for i in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    wall = time.perf_counter() - started
    store_log.removeHandler(counter)
    engine.dispose()
    transactions = threads * rounds
    return {
        "writers": writers,
        "wall_s": round(wall, 2),
        "retries_per_transaction": {step: round(counter.retries[step] / transactions, 2) for step in STEPS},
        "most_attempts": counter.worst + 1,
        "errors": len(errors),
        "first_error": errors[0] if errors else None,
    }


def measure(server_url: str, writer_limits: list[int], threads: int = 40, rounds: int = 5) -> dict:
    """Each limit on a fresh database of its own (same table sizes at the start)."""
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    runs = []
    try:
        for writers in writer_limits:
            name = f"contention_{writers}"
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
            url = sa.engine.make_url(server_url).set(database=name).render_as_string(hide_password=False)
            engine = make_engine(url)
            upgrade(engine)
            engine.dispose()
            runs.append(run_once(url, writers, threads, rounds))
    finally:
        admin.dispose()
    return {"threads": threads, "rounds": rounds, "runs": runs}


def table(result: dict) -> list[str]:
    lines = [
        f"{result['threads']} threads of one process, {result['rounds']} rounds each of add / send / verify "
        "(each thread its own account)",
        "",
        "| writers at once | wall s | retries per add | per send | per verify | most attempts | errors |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in result["runs"]:
        r = run["retries_per_transaction"]
        lines.append(
            f"| {run['writers']} | {run['wall_s']} | {r['add']} | {r['send']} | {r['verify']} "
            f"| {run['most_attempts']} | {run['errors']} |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--writers", default="40,8,2,1", help="writer limits to compare, comma separated")
    args = parser.parse_args()
    limits = [int(n) for n in args.writers.split(",")]
    with throwaway_servers.postgres() as url:
        print("\n".join(table(measure(url, limits, args.threads, args.rounds))))


if __name__ == "__main__":
    main()
