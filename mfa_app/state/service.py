"""The one account-service context of this backend process, and the threads that call it.

Service functions are blocking (database, SMS provider, argon2id), so the states run them in
threads. argon2id calls get a small pool of their own: on a busy machine a light event (one short
transaction) must not wait in line behind other sessions' password checks, and hashing must not
take every core from the event loop."""

from __future__ import annotations

import asyncio
import functools
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import Any, TypeVar

from mfa_app.accounts import AccountContext, build_context
from mfa_app.settings import get_settings

T = TypeVar("T")


@lru_cache(maxsize=1)
def context() -> AccountContext:
    return build_context(get_settings())


@lru_cache(maxsize=1)
def _hashing_pool() -> ThreadPoolExecutor:
    threads = get_settings().hashing_threads or max(1, (os.cpu_count() or 2) - 1)
    return ThreadPoolExecutor(max_workers=threads, thread_name_prefix="argon2id")


async def run_hashing(fn: Callable[..., T], *args: Any) -> T:
    """For the service functions that check or make argon2id hashes (passwords, backup codes)."""
    return await asyncio.get_running_loop().run_in_executor(_hashing_pool(), functools.partial(fn, *args))
