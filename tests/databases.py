"""Where a test's database lives: a SQLite file in the test's temp folder, or a fresh PostgreSQL
database per test. Either way a copy of a template migrated once per session (a file copy or
CREATE DATABASE ... TEMPLATE takes milliseconds, an Alembic run some 100 ms)."""

from __future__ import annotations

import secrets
import shutil
import tempfile
from pathlib import Path

import sqlalchemy as sa

from mfa_app.store.db import make_engine
from mfa_app.store.migrate import upgrade


class SqliteDatabases:
    dialect = "sqlite"

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="mfa-test-sqlite-"))
        self.template = self.folder / "template.db"
        engine = make_engine(f"sqlite:///{self.template}")
        try:
            upgrade(engine)
        finally:
            engine.dispose()  # the last connection out checkpoints the WAL into the file

    def create(self, folder: Path, *, name: str = "mfa", migrated: bool = True) -> str:
        path = folder / f"{name}.db"
        if migrated:
            shutil.copyfile(self.template, path)
        return f"sqlite:///{path}"

    def drop(self, url: str) -> None:
        pass  # the file goes with the test's temp folder

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


class PostgresDatabases:
    dialect = "postgresql"

    def __init__(self, server_url: str) -> None:
        self.server_url = sa.engine.make_url(server_url)
        self.admin = sa.create_engine(self.server_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
        # Unique per session, so that several test sessions can share one server.
        self.template = f"mfa_template_{secrets.token_hex(4)}"
        self._execute(f'CREATE DATABASE "{self.template}"')
        engine = make_engine(self._url(self.template))
        try:
            upgrade(engine)
        finally:
            engine.dispose()  # a template must have no connection when it is copied

    def create(self, folder: Path | None = None, *, name: str = "mfa", migrated: bool = True) -> str:
        database = f"mfa_test_{secrets.token_hex(6)}"
        template = self.template if migrated else "template0"
        self._execute(f'CREATE DATABASE "{database}" TEMPLATE "{template}" STRATEGY FILE_COPY')
        return self._url(database)

    def drop(self, url: str) -> None:
        self._execute(f'DROP DATABASE IF EXISTS "{sa.engine.make_url(url).database}" WITH (FORCE)')

    def close(self) -> None:
        try:
            self._execute(f'DROP DATABASE IF EXISTS "{self.template}" WITH (FORCE)')
        finally:
            self.admin.dispose()

    def _url(self, database: str) -> str:
        return self.server_url.set(database=database).render_as_string(hide_password=False)

    def _execute(self, statement: str) -> None:
        with self.admin.connect() as conn:
            conn.execute(sa.text(statement))
