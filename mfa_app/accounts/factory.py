"""Build the service's context: engine (migrated), SMS sender, secret key, from the settings
unless the caller hands over its own engine or sender."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.engine import Engine

from mfa_app.accounts.code_service import CodeService
from mfa_app.accounts.context import AccountContext
from mfa_app.accounts.mirror import FactorMirror
from mfa_app.settings import Settings
from mfa_app.sms import make_sender
from mfa_app.sms.base import SmsSender
from mfa_app.store.db import make_engine, share_engine
from mfa_app.store.migrate import upgrade


def build_context(
    settings: Settings,
    *,
    engine: Engine | None = None,
    sms_sender: SmsSender | None = None,
    check_password: Callable[[str, str], bool] | None = None,
    mirror: FactorMirror | None = None,
    sign_out_host_sessions: Callable[[str, Callable[[str], bool]], None] | None = None,
    code_service: CodeService | None = None,
) -> AccountContext:
    if engine is None:
        engine = make_engine(settings.database_url, writers=settings.db_writers)
    else:
        share_engine(engine, writers=settings.db_writers)
    upgrade(engine)
    return AccountContext(
        engine=engine,
        sender=sms_sender or make_sender(settings),
        settings=settings,
        secret_key=settings.resolved_secret_key(),
        check_password=check_password,
        mirror=mirror,
        sign_out_host_sessions=sign_out_host_sessions,
        code_service=code_service,
    )
