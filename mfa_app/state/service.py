"""The one account-service context of this backend process, and the threads that call it.

Service functions are blocking (database, SMS provider, argon2id), so the states run them in
threads. argon2id calls get a pool of their own, at a lower CPU priority: on a busy machine a
light event (one short transaction) must not wait in line behind other sessions' password checks,
nor for a core while hashing holds them all; hashing still gets every core the events leave idle."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import threading
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


HASHING_NICENESS = 10  # Linux: a nice-10 thread gets about a tenth of a core a nice-0 one wants


def _lower_priority() -> None:
    """Runs in each hashing thread (argon2's own lane threads inherit its niceness). Raising
    one's niceness needs no privilege; where threads can't be reniced, hashing runs as before."""
    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HASHING_NICENESS)


@lru_cache(maxsize=1)
def _hashing_pool() -> ThreadPoolExecutor:
    threads = get_settings().hashing_threads or os.cpu_count() or 1
    return ThreadPoolExecutor(max_workers=threads, thread_name_prefix="argon2id", initializer=_lower_priority)


async def run_hashing(fn: Callable[..., T], *args: Any) -> T:
    """For the service functions that check or make argon2id hashes (passwords, backup codes)."""
    return await asyncio.get_running_loop().run_in_executor(_hashing_pool(), functools.partial(fn, *args))
