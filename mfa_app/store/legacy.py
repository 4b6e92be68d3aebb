"""Bring a database from before mfa_app's tables were named `mfa_*` (the standalone app's first
releases) to today's names, keeping every row.

Those releases named the tables `users`, `sessions`, ... and kept their Alembic revision
(0001 to 0003) in Alembic's default `alembic_version` table: both clash with a host app's own
tables and `reflex db` migrations once mfa_app shares its database. Such a database is first
brought to its last old revision (mfa_app/store/legacy_migrations), then its tables, indexes,
constraints and sequences are renamed, the old version table is dropped (it held only
mfa_app's revision) and the new history is stamped at its first revision, which creates exactly
the schema the old history ended with, under the new names."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection

LEGACY_MIGRATIONS = Path(__file__).parent / "legacy_migrations"
LEGACY_REVISIONS = {"0001", "0002", "0003"}
# The first revision of the new history: the old history's last schema, renamed.
SAME_SCHEMA_REVISION = "m001"
TABLES = (
    "users",
    "sessions",
    "phone_numbers",
    "verifications",
    "backup_codes",
    "security_events",
    "sms_sends",
    "password_resets",
)
# Index and constraint names that do not start with their table's name.
NAMED = {"uq_phone_per_user": "uq_mfa_phone_per_user", "uq_one_default_per_user": "uq_mfa_one_default_per_user"}


def is_legacy(connection: Connection) -> bool:
    """Old tables and an `alembic_version` that holds only old mfa_app revisions (a host's own
    revisions are never these), and no new version table yet."""
    names = set(sa.inspect(connection).get_table_names())
    if "mfa_app_version" in names or "alembic_version" not in names or not {"users", "phone_numbers"} <= names:
        return False
    revisions = set(connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalars())
    return bool(revisions) and revisions <= LEGACY_REVISIONS


def legacy_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(LEGACY_MIGRATIONS))
    return config


def adopt(connection: Connection, new_history: Config) -> None:
    """Rename a legacy database's schema in place, inside the caller's transaction."""
    legacy = legacy_config()
    legacy.attributes["connection"] = connection
    command.upgrade(legacy, "head")
    if connection.dialect.name == "postgresql":
        _rename_postgresql(connection)
    else:
        _rename_sqlite(connection)
    connection.execute(sa.text("DROP TABLE alembic_version"))
    command.stamp(new_history, SAME_SCHEMA_REVISION)


def new_name(old: str, table: str) -> str:
    """An index's or constraint's name under the new table name: `ix_users_email` becomes
    `ix_mfa_users_email`, `users_pkey` becomes `mfa_users_pkey`."""
    if old in NAMED:
        return NAMED[old]
    for prefix in (f"ix_{table}_", f"{table}_"):
        if old.startswith(prefix):
            return old.replace(table, f"mfa_{table}", 1)
    return old


def _rename_postgresql(connection: Connection) -> None:
    """Index, constraint and sequence names are unique per schema in PostgreSQL: each follows
    its table, or it would clash with a host table's of the old name."""
    run = connection.exec_driver_sql
    for table in TABLES:
        run(f'ALTER TABLE "{table}" RENAME TO "mfa_{table}"')
    for table in TABLES:
        constraints = connection.execute(
            sa.text("SELECT conname FROM pg_constraint WHERE conrelid = CAST(:t AS regclass)"), {"t": f"mfa_{table}"}
        ).scalars()
        for name in list(constraints):
            if new_name(name, table) != name:
                run(f'ALTER TABLE "mfa_{table}" RENAME CONSTRAINT "{name}" TO "{new_name(name, table)}"')
        indexes = connection.execute(
            sa.text("SELECT indexname FROM pg_indexes WHERE tablename = :t"), {"t": f"mfa_{table}"}
        ).scalars()
        for name in list(indexes):
            if new_name(name, table) != name:
                run(f'ALTER INDEX "{name}" RENAME TO "{new_name(name, table)}"')
    run('ALTER SEQUENCE IF EXISTS "security_events_id_seq" RENAME TO "mfa_security_events_id_seq"')


def _rename_sqlite(connection: Connection) -> None:
    """SQLite renames a table's references in the other tables with it, but has no way to rename
    an index: each is created again from its own SQL under the new name. (A constraint's name,
    like uq_phone_per_user, is local to its table in SQLite and stays.)"""
    for table in TABLES:
        connection.exec_driver_sql(f'ALTER TABLE "{table}" RENAME TO "mfa_{table}"')
    for table in TABLES:
        indexes = connection.execute(
            sa.text("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = :t AND sql IS NOT NULL"),
            {"t": f"mfa_{table}"},
        ).all()
        for name, sql in indexes:
            if new_name(name, table) != name:
                connection.exec_driver_sql(f'DROP INDEX "{name}"')
                connection.exec_driver_sql(sql.replace(name, new_name(name, table), 1))
