"""Build the service's context from the settings: engine (migrated), SMS sender, secret key."""

from __future__ import annotations

from mfa_app.accounts.context import AccountContext
from mfa_app.settings import Settings
from mfa_app.sms import make_sender
from mfa_app.store.db import make_engine
from mfa_app.store.migrate import upgrade


def build_context(settings: Settings) -> AccountContext:
    engine = make_engine(settings.database_url, writers=settings.db_writers)
    upgrade(engine)
    return AccountContext(
        engine=engine,
        sender=make_sender(settings),
        settings=settings,
        secret_key=settings.resolved_secret_key(),
    )
