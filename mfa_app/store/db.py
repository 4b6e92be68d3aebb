"""Engines and transactions.

Every write runs as a serializable transaction: on SQLite `BEGIN IMMEDIATE` (one writer at a
time), on PostgreSQL the SERIALIZABLE isolation level with a retry when the database reports a
conflict. So a read-modify-write (consume a code, count a failure, reserve the last factor) is
correct when two requests race, on one worker or on many.
"""

from __future__ import annotations

import logging
import random
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar, cast

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.expression import Executable
from sqlmodel import Session

T = TypeVar("T")
log = logging.getLogger("mfa_app.store")

_RETRYABLE_PGCODES = {"40001", "40P01"}  # serialization_failure, deadlock_detected
# Retries are cheap and conflicts come in bursts (a dozen requests on one account's row, across
# workers): enough attempts for every contender of a burst to get its turn, and a randomised,
# growing pause ("full jitter") so the losers of one round do not all collide again in the next.
_MAX_ATTEMPTS = 20
_BACKOFF_BASE_S = 0.004
_BACKOFF_CAP_S = 0.2

# Write transactions at once per process (a backend worker). One process runs Python on one core
# at a time, so more concurrent transactions add no speed, only conflicts: on PostgreSQL two
# transactions that read and insert on the same index page (all of them, while tables are small)
# are a serialization failure and a retry. bench/write_contention.py measures it.
DEFAULT_WRITERS = 2
_writer_slots: weakref.WeakKeyDictionary[Engine, threading.BoundedSemaphore] = weakref.WeakKeyDictionary()


def make_engine(url: str, *, writers: int = DEFAULT_WRITERS) -> Engine:
    """An engine whose `writing()` transactions run at most `writers` at once in this process."""
    engine = _sqlite_engine(url) if url.startswith("sqlite") else sa.create_engine(url, pool_pre_ping=True)
    _writer_slots[engine] = threading.BoundedSemaphore(writers)
    return engine


def share_engine(engine: Engine, *, writers: int = DEFAULT_WRITERS) -> None:
    """Use a host app's own engine (its database, its pool). Only PostgreSQL: a SQLite engine
    needs the connection settings of `make_engine` (write lock taken at BEGIN, WAL, foreign
    keys) for its transactions to be serializable, so for SQLite pass a database URL instead."""
    if engine.dialect.name != "postgresql":
        raise ValueError("mfa_app shares a host's engine on PostgreSQL only: for SQLite, give it a database URL.")
    _writer_slots.setdefault(engine, threading.BoundedSemaphore(writers))


def _sqlite_engine(url: str) -> Engine:
    database = sa.engine.make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record):
        # Let SQLAlchemy's "begin" event below issue BEGIN itself (pysqlite's own is deferred).
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA busy_timeout=30000")
        _use_wal(dbapi_connection)
        dbapi_connection.execute("PRAGMA synchronous=NORMAL")  # safe with WAL; fsync at checkpoints
        dbapi_connection.execute("PRAGMA foreign_keys=ON")

    @sa.event.listens_for(engine, "begin")
    def _begin(conn):
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def _use_wal(dbapi_connection, timeout_s: float = 30.0) -> None:
    """Switch a new database file to WAL. When several processes open a new file at once (the
    workers' first connections), SQLite can refuse the switch at once with "database is locked",
    without waiting for its busy timeout: try again until one of them has switched it."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            dbapi_connection.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(random.uniform(0.005, 0.05))


def changed_rows(db: Session, statement: Executable) -> int:
    """How many rows an UPDATE or a DELETE changed (typed as a plain Result, it is a CursorResult)."""
    return cast(CursorResult, db.execute(statement)).rowcount


@contextmanager
def reading(engine: Engine) -> Iterator[Session]:
    """A short read-only unit of work."""
    with Session(engine) as db:
        yield db


def writing(engine: Engine, work: Callable[[Session], T]) -> T:
    """Run `work(db)` in one serializable transaction, committed at the end, retried whole when
    PostgreSQL reports a serialization conflict. `work` must have no side effect outside the db.
    It waits for one of the engine's writer slots, which it does not hold while backing off."""
    attempt = 0
    while True:
        attempt += 1
        try:
            with _writer_slots[engine], _serializable_session(engine) as db:
                result = work(db)
                db.commit()
                return result
        except DBAPIError as exc:
            pgcode = getattr(exc.orig, "pgcode", None)
            if attempt == _MAX_ATTEMPTS or pgcode not in _RETRYABLE_PGCODES:
                raise
            log.debug("write conflict %s on attempt %d, retrying", pgcode, attempt)
            time.sleep(random.uniform(0, min(_BACKOFF_CAP_S, _BACKOFF_BASE_S * 2**attempt)))


@contextmanager
def _serializable_session(engine: Engine) -> Iterator[Session]:
    options = {"sqlite_begin": "IMMEDIATE"} if engine.dialect.name == "sqlite" else {"isolation_level": "SERIALIZABLE"}
    with engine.connect().execution_options(**options) as conn, Session(bind=conn) as db:
        yield db
