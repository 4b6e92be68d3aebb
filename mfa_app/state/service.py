"""The one account-service context of this backend process."""

from __future__ import annotations

from functools import lru_cache

from mfa_app.accounts import AccountContext, build_context
from mfa_app.settings import get_settings


@lru_cache(maxsize=1)
def context() -> AccountContext:
    return build_context(get_settings())
