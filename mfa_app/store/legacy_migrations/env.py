"""Alembic environment of the schema before mfa_app's tables had names and a version table of
their own (see mfa_app/store/legacy.py): only ever run to bring such a database to its last
revision before its tables are renamed."""

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
