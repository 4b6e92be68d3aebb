"""Alembic environment: runs on the connection that mfa_app.store.migrate hands over, with
mfa_app's own metadata and its own version table, so it never sees or touches a host's tables
or its `alembic_version` (a host's `reflex db` migrations)."""

from alembic import context

from mfa_app.store.tables import MfaTable

VERSION_TABLE = "mfa_app_version"

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=MfaTable.metadata,
    version_table=VERSION_TABLE,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
