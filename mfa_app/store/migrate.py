"""Apply mfa_app's Alembic migrations: `python -m mfa_app.store.migrate` (or `mfa-admin migrate`),
and at the start of every backend worker that serves mfa_app's pages.

mfa_app's history is its own: its tables' metadata (not SQLModel's) and its own version table
(`mfa_app_version`), so it runs beside a host app's `reflex db` migrations in one database.

Several workers may start at once on a new database: one migrates while the others wait, then
find it up to date. On PostgreSQL a transaction-level advisory lock serialises them; on SQLite the
migration takes the write lock first (BEGIN IMMEDIATE), before alembic reads the version."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

from mfa_app.store import legacy

MIGRATIONS = Path(__file__).parent / "migrations"
# pg_advisory_xact_lock key: any constant that no other part of the app locks on ("mfa_app").
_MIGRATION_LOCK = 0x6D66615F617070


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(engine: Engine) -> None:
    config = alembic_config()
    with engine.connect().execution_options(sqlite_begin="IMMEDIATE") as connection, connection.begin():
        if connection.dialect.name == "postgresql":
            # Held until this transaction ends; alembic runs inside it (transactional DDL).
            connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
        config.attributes["connection"] = connection
        if legacy.is_legacy(connection):
            legacy.adopt(connection, config)
        command.upgrade(config, "head")


def main() -> None:
    from mfa_app.settings import get_settings
    from mfa_app.store.db import make_engine

    upgrade(make_engine(get_settings().database_url))


if __name__ == "__main__":
    main()
