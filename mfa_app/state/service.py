"""What mfa_app's states run on in this backend process: the mount's configuration (set by
mfa_app.mount, or the environment's settings and the built-in accounts), the one account-service
context built from it, and the threads that call the service.

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
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, TypeVar

from sqlalchemy.engine import Engine

from mfa_app.accounts import AccountContext, HostUser, build_context
from mfa_app.accounts.mirror import FactorMirror
from mfa_app.identity import BuiltInAccounts, Identity, PasswordCheck, SessionSignOut
from mfa_app.settings import Settings, get_settings
from mfa_app.sms.base import SmsSender

T = TypeVar("T")


@dataclass(frozen=True)
class Setup:
    """One mount's configuration (see mfa_app.mount for each field)."""

    identity: Identity | BuiltInAccounts = field(default_factory=BuiltInAccounts)
    settings: Settings = field(default_factory=get_settings)
    engine: Engine | None = None
    sms_sender: SmsSender | None = None
    on_second_factor: Callable[[HostUser], None] | None = None


_setup: Setup | None = None


def configure(setup: Setup) -> None:
    """Run mfa_app's states on `setup` from now on (one mount per process)."""
    global _setup
    _setup = setup
    context.cache_clear()
    _hashing_pool.cache_clear()


def current() -> Setup:
    global _setup
    if _setup is None:
        _setup = Setup()
    return _setup


def built_in_accounts() -> bool:
    return isinstance(current().identity, BuiltInAccounts)


@lru_cache(maxsize=1)
def context() -> AccountContext:
    setup = current()
    check = setup.identity.check_password if isinstance(setup.identity, PasswordCheck) else None
    mirror = setup.identity if isinstance(setup.identity, FactorMirror) else None
    sign_out = setup.identity.sign_out_sessions if isinstance(setup.identity, SessionSignOut) else None
    return build_context(
        setup.settings,
        engine=setup.engine,
        sms_sender=setup.sms_sender,
        check_password=check,
        mirror=mirror,
        sign_out_host_sessions=sign_out,
    )


HASHING_NICENESS = 10  # Linux: a nice-10 thread gets about a tenth of a core a nice-0 one wants


def _lower_priority() -> None:
    """Runs in each hashing thread (argon2's own lane threads inherit its niceness). Raising
    one's niceness needs no privilege; where threads can't be reniced, hashing runs as before."""
    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HASHING_NICENESS)


@lru_cache(maxsize=1)
def _hashing_pool() -> ThreadPoolExecutor:
    threads = current().settings.hashing_threads or os.cpu_count() or 1
    return ThreadPoolExecutor(max_workers=threads, thread_name_prefix="argon2id", initializer=_lower_priority)


async def run_hashing(fn: Callable[..., T], *args: Any) -> T:
    """For the service functions that check or make argon2id hashes (passwords, backup codes)."""
    return await asyncio.get_running_loop().run_in_executor(_hashing_pool(), functools.partial(fn, *args))
