"""The store: data survives closing and reopening the database, migrations build exactly the
code's tables, keep an older database's rows and can run again, write transactions wait for one
of the engine's writer slots, and the secret key file is created once, privately, and agreed on
by concurrent first callers."""

from __future__ import annotations

import multiprocessing
import os
import stat
import threading
import time
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory

from mfa_app import accounts
from mfa_app.accounts.factory import build_context
from mfa_app.settings import Settings
from mfa_app.store import db as store
from mfa_app.store.db import make_engine
from mfa_app.store.legacy import legacy_config
from mfa_app.store.migrate import alembic_config, upgrade
from mfa_app.store.tables import SecurityEventRow, SessionRow, SmsSendRow, UserRow, VerificationRow
from tests.helpers import PASSWORD, add_verified_phone, enable_mfa, reverify_with_sms

MFA_PHONE = "+14155552671"
NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
SPARE_PHONE = "+14155550123"


def reopened(ctx):
    """Close every connection of `ctx` and open a brand-new engine on the same database file."""
    ctx.engine.dispose()
    return replace(ctx, engine=make_engine(ctx.settings.database_url))


# --- persistence -------------------------------------------------------------------------------


def test_user_can_sign_in_with_password_and_backup_code_after_the_database_is_reopened(ctx, outbox, clock, user):
    enable_mfa(ctx, outbox, user.token, MFA_PHONE)
    reverify_with_sms(ctx, outbox, user.token, clock)
    codes = accounts.create_backup_codes(ctx, user.token).codes

    fresh = reopened(ctx)
    try:
        result = accounts.sign_in(fresh, user.email, PASSWORD)
        assert result.attempt.status == "needs_second_factor"
        strategies = [f.strategy for f in result.attempt.supported_second_factors]
        assert strategies == ["phone_code", "backup_code"]

        done = accounts.attempt_second_factor(fresh, result.session_token, "backup_code", codes[0])
        assert done.status == "complete"
    finally:
        fresh.engine.dispose()


def test_phones_and_backup_code_counts_survive_reopening_the_database(ctx, outbox, clock, user):
    add_verified_phone(ctx, outbox, user.token, SPARE_PHONE)
    enable_mfa(ctx, outbox, user.token, MFA_PHONE)
    reverify_with_sms(ctx, outbox, user.token, clock)
    codes = accounts.create_backup_codes(ctx, user.token).codes
    accounts.reverify(ctx, user.token, "backup_code", codes[0])
    before_phones = accounts.list_phones(ctx, user.token)
    before_user = accounts.get_user(ctx, user.token)

    fresh = reopened(ctx)
    try:
        # The old session token still works: sessions survive too.
        assert accounts.list_phones(fresh, user.token) == before_phones
        assert accounts.get_user(fresh, user.token) == before_user
        assert accounts.count_backup_codes(fresh, user.token) == 9
        phones = {p.phone_number: p for p in before_phones}
        assert phones[MFA_PHONE].default_second_factor and phones[MFA_PHONE].verification.status == "verified"
        assert not phones[SPARE_PHONE].reserved_for_second_factor
        assert phones[SPARE_PHONE].verification.status == "verified"
    finally:
        fresh.engine.dispose()


def test_a_used_backup_code_stays_used_after_reopening_the_database(ctx, outbox, clock, user):
    enable_mfa(ctx, outbox, user.token, MFA_PHONE)
    reverify_with_sms(ctx, outbox, user.token, clock)
    codes = accounts.create_backup_codes(ctx, user.token).codes
    accounts.reverify(ctx, user.token, "backup_code", codes[0])

    fresh = reopened(ctx)
    try:
        try:
            accounts.reverify(fresh, user.token, "backup_code", codes[0])
        except accounts.AccountError as error:
            assert error.code == "form_code_incorrect"
        else:
            raise AssertionError("a used backup code was accepted after reopening")
    finally:
        fresh.engine.dispose()


# --- migrations --------------------------------------------------------------------------------


def _head_revision(engine) -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def test_upgrading_an_already_migrated_database_again_changes_nothing(ctx, user):
    # `ctx` has already upgraded the database once.
    engine = make_engine(ctx.settings.database_url)
    try:
        tables_before = set(sa.inspect(engine).get_table_names())
        upgrade(engine)
        upgrade(engine)
        assert set(sa.inspect(engine).get_table_names()) == tables_before
        with engine.connect() as conn:
            versions = conn.execute(sa.text("SELECT version_num FROM mfa_app_version")).scalars().all()
        assert versions == [_head_revision(engine)]
    finally:
        engine.dispose()
    assert accounts.get_user(ctx, user.token).email_address == user.email


def test_migrations_build_exactly_the_tables_of_the_code(empty_database_url):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from mfa_app.store.tables import MfaTable

    engine = make_engine(empty_database_url)
    try:
        upgrade(engine)
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"version_table": "mfa_app_version"})
            assert compare_metadata(context, MfaTable.metadata) == []
    finally:
        engine.dispose()


def test_upgrading_from_0001_keeps_the_rows_and_separates_the_counts(empty_database_url):
    # A database of the first release, with a user (referenced by an event) and a send.
    engine = make_engine(empty_database_url)
    config = legacy_config()
    try:
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "0001")
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO users (id, email, password_hash, created_at, failed_attempts)"
                    " VALUES ('user_1', 'a@example.com', 'hash', :t, 7)"
                ),
                {"t": NOW},
            )
            conn.execute(
                sa.text(
                    "INSERT INTO security_events (user_id, kind, detail, created_at) VALUES ('user_1', 'user.signed_up', '', :t)"
                ),
                {"t": NOW},
            )
            conn.execute(
                sa.text(
                    "INSERT INTO sms_sends (id, user_id, phone_number, sent_at) VALUES ('sms_1', 'user_1', :n, :t)"
                ),
                {"n": MFA_PHONE, "t": NOW},
            )

        upgrade(engine)

        with engine.connect() as conn:
            user = conn.execute(sa.select(UserRow.password_failures, UserRow.second_factor_failures)).one()
            send = conn.execute(sa.select(SmsSendRow.purpose, SmsSendRow.client_ip)).one()
            events = conn.execute(sa.select(sa.func.count()).select_from(SecurityEventRow)).scalar_one()
        assert tuple(user) == (7, 0)
        assert tuple(send) == ("phone_verification", None)  # the smaller budget: the safe side
        assert events == 1
    finally:
        engine.dispose()


def test_upgrading_from_0002_keeps_the_sessions_and_the_codes_that_reference_them(empty_database_url):
    # 0003 adds columns to sessions, which verifications reference: the rows must all stay.
    engine = make_engine(empty_database_url)
    config = legacy_config()
    try:
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "0002")
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO users (id, email, password_hash, created_at, password_failures, second_factor_failures)"
                    " VALUES ('user_1', 'a@example.com', 'hash', :t, 0, 0)"
                ),
                {"t": NOW},
            )
            conn.execute(
                sa.text(
                    "INSERT INTO sessions (id, token_hmac, user_id, created_at, expires_at, second_factor_pending,"
                    " last_verified_at, last_verified_level) VALUES ('sess_1', 'h', 'user_1', :t, :t, false, :t, 'first_factor')"
                ),
                {"t": NOW},
            )
            conn.execute(
                sa.text(
                    "INSERT INTO phone_numbers (id, user_id, phone_number, created_at, reserved_for_second_factor,"
                    " default_second_factor) VALUES ('idn_1', 'user_1', :n, :t, false, false)"
                ),
                {"n": MFA_PHONE, "t": NOW},
            )
            conn.execute(
                sa.text(
                    "INSERT INTO verifications (id, user_id, phone_id, session_id, purpose, code_hmac, created_at, expires_at,"
                    " attempts) VALUES ('ver_1', 'user_1', 'idn_1', 'sess_1', 'sign_in', 'c', :t, :t, 0)"
                ),
                {"t": NOW},
            )

        upgrade(engine)

        with engine.connect() as conn:
            session = conn.execute(sa.select(SessionRow.id, SessionRow.user_agent, SessionRow.last_active_at)).one()
            verifications = conn.execute(sa.select(sa.func.count()).select_from(VerificationRow)).scalar_one()
        assert tuple(session) == ("sess_1", None, None)
        assert verifications == 1
    finally:
        engine.dispose()


def test_migrations_create_every_table_on_an_empty_database(empty_database_url):
    from mfa_app.store.tables import MfaTable

    engine = make_engine(empty_database_url)
    try:
        upgrade(engine)
        upgrade(engine)
        tables = set(sa.inspect(engine).get_table_names())
        assert {t.name for t in MfaTable.metadata.sorted_tables} <= tables
    finally:
        engine.dispose()


def _schema_names(engine) -> set[str]:
    """Every table, index and named constraint of the database, and (PostgreSQL) every sequence."""
    inspector = sa.inspect(engine)
    names = set(inspector.get_table_names())
    for table in names.copy():
        names |= {i["name"] for i in inspector.get_indexes(table) if i["name"]}
        names |= {c["name"] for c in inspector.get_unique_constraints(table) if c["name"]}
        names |= {c["name"] for c in inspector.get_foreign_keys(table) if c["name"]}
        pk = inspector.get_pk_constraint(table).get("name")
        names |= {pk} if pk else set()
    if engine.dialect.name == "postgresql":
        names |= set(inspector.get_sequence_names())
    return names


def test_a_database_of_the_old_history_ends_up_named_as_a_new_one(empty_database_url, tmp_path):
    """Renamed tables, indexes, constraints and sequences, no `alembic_version` left, and the new
    version table at head: the same schema, by name, as a database migrated from empty."""
    engine = make_engine(empty_database_url)
    fresh = make_engine(f"sqlite:///{tmp_path}/fresh.db") if engine.dialect.name == "sqlite" else None
    config = legacy_config()
    try:
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
        upgrade(engine)

        assert "alembic_version" not in sa.inspect(engine).get_table_names()
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT version_num FROM mfa_app_version")).scalars().all() == [
                _head_revision(engine)
            ]
        names = _schema_names(engine)
        old_tables = {"users", "sessions", "phone_numbers", "verifications", "backup_codes", "security_events"}
        assert not names & old_tables
        # SQLite keeps a constraint's name inside its table's definition (see legacy.py).
        assert not [n for n in names if not ("mfa" in n or (n == "uq_phone_per_user" and fresh is not None))]
        if fresh is not None:
            upgrade(fresh)
            assert names - {"uq_phone_per_user"} == _schema_names(fresh) - {"uq_mfa_phone_per_user"}
    finally:
        engine.dispose()
        if fresh is not None:
            fresh.dispose()


def test_mfa_app_migrates_beside_a_host_apps_own_tables_and_alembic_history(empty_database_url):
    """A host's `users` table and its `reflex db` history in `alembic_version` stay untouched."""
    engine = make_engine(empty_database_url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE users (id INTEGER PRIMARY KEY, email VARCHAR NOT NULL)"))
            conn.execute(sa.text("CREATE INDEX ix_users_email ON users (email)"))
            conn.execute(sa.text("INSERT INTO users (id, email) VALUES (1, 'host@example.com')"))
            conn.execute(sa.text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)"))
            conn.execute(sa.text("INSERT INTO alembic_version (version_num) VALUES ('3fa2c1b0d9e8')"))
        upgrade(engine)
        upgrade(engine)
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT email FROM users")).scalars().all() == ["host@example.com"]
            assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all() == ["3fa2c1b0d9e8"]
            assert conn.execute(sa.text("SELECT version_num FROM mfa_app_version")).scalars().all() == [
                _head_revision(engine)
            ]
        assert "mfa_users" in sa.inspect(engine).get_table_names()
    finally:
        engine.dispose()


# --- SQLite: several processes on a new file ---------------------------------------------------


def _open_new_files(folder: str, rounds: int, barrier, results) -> None:
    """One process: for each round, open the round's (new) database file at the same instant as
    the other processes, and report whether it could."""
    for n in range(rounds):
        barrier.wait(30)
        engine = make_engine(f"sqlite:///{folder}/round{n}.db")
        try:
            with engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
            results.put("ok")
        except Exception as exc:
            results.put(repr(exc))
        finally:
            engine.dispose()


def test_processes_opening_a_new_sqlite_file_at_once_all_connect(tmp_path):
    # Switching a new file to WAL can be refused at once ("database is locked") when another
    # process switches it at the same moment; workers starting together must all get through.
    processes_count, rounds = 6, 25
    spawn = multiprocessing.get_context("spawn")
    barrier, results = spawn.Barrier(processes_count), spawn.Queue()
    processes = [
        spawn.Process(target=_open_new_files, args=(str(tmp_path), rounds, barrier, results))
        for _ in range(processes_count)
    ]
    for process in processes:
        process.start()
    try:
        outcomes = [results.get(timeout=60) for _ in range(processes_count * rounds)]
    finally:
        for process in processes:
            process.join(10)
            if process.is_alive():
                process.kill()
    assert [o for o in outcomes if o != "ok"] == []


# --- writer slots --------------------------------------------------------------------------------


@contextmanager
def _no_database(engine):
    """A stand-in for the serializable transaction: lets transactions overlap on any database
    (SQLite's BEGIN IMMEDIATE would serialize them itself and hide the slots)."""
    yield sa.orm.Session()


def most_transactions_at_once(engine, transactions: int = 8) -> int:
    running, most = 0, 0
    lock = threading.Lock()

    def work(_db) -> None:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.05)
        with lock:
            running -= 1

    threads = [threading.Thread(target=store.writing, args=(engine, work)) for _ in range(transactions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert running == 0
    return most


def test_at_most_the_engines_writers_run_write_transactions_at_once(monkeypatch, tmp_path):
    # More at once only adds serialization conflicts on PostgreSQL (bench/write_contention.py).
    monkeypatch.setattr(store, "_serializable_session", _no_database)
    engine = make_engine(f"sqlite:///{tmp_path}/slots.db")

    assert most_transactions_at_once(engine) == store.DEFAULT_WRITERS == 2


def test_mfa_db_writers_sets_the_apps_writer_slots(monkeypatch, settings):
    monkeypatch.setattr(store, "_serializable_session", _no_database)
    ctx = build_context(settings.model_copy(update={"db_writers": 3}))

    assert most_transactions_at_once(ctx.engine) == 3
    ctx.engine.dispose()


# --- the secret key file -------------------------------------------------------------------------


def _keyless(tmp_path) -> Settings:
    return Settings(secret_key="", data_dir=tmp_path / "data")


def test_secret_key_file_is_created_with_mode_0600_when_no_key_is_configured(tmp_path):
    settings = _keyless(tmp_path)

    key = settings.resolved_secret_key()

    path = settings.data_dir / "secret_key"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert len(key) >= 32
    assert path.read_bytes().strip() == key
    assert os.listdir(settings.data_dir) == ["secret_key"]  # no temporary file left behind


def test_secret_key_file_is_reused_on_the_second_call(tmp_path):
    settings = _keyless(tmp_path)
    first = settings.resolved_secret_key()
    inode = os.stat(settings.data_dir / "secret_key").st_ino

    second = _keyless(tmp_path).resolved_secret_key()

    assert second == first
    assert os.stat(settings.data_dir / "secret_key").st_ino == inode


def test_configured_secret_key_is_used_and_no_key_file_is_written(tmp_path):
    settings = Settings(secret_key="from-the-environment", data_dir=tmp_path / "data")

    assert settings.resolved_secret_key() == b"from-the-environment"
    assert not (tmp_path / "data" / "secret_key").exists()


def test_concurrent_first_calls_agree_on_one_secret_key(tmp_path):
    threads_count = 8
    barrier = threading.Barrier(threads_count)
    keys: list[bytes] = []
    errors: list[BaseException] = []

    def first_call() -> None:
        barrier.wait()
        try:
            keys.append(_keyless(tmp_path).resolved_secret_key())
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=first_call) for _ in range(threads_count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    assert len(keys) == threads_count and len(set(keys)) == 1
    data_dir = tmp_path / "data"
    assert os.listdir(data_dir) == ["secret_key"]
    assert (data_dir / "secret_key").read_bytes().strip() == keys[0]
    assert stat.S_IMODE(os.stat(data_dir / "secret_key").st_mode) == 0o600
