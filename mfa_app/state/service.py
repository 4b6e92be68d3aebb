"""What mfa_app's states run on in this backend process: the mount's configuration (set by
mfa_app.mount, or the environment's settings and the built-in accounts), the one account-service
context built from it, and the threads that call the service.

Service functions are blocking (database, SMS provider, argon2id), so the states run them in
threads, through `call`. argon2id calls get a pool of their own, at a lower CPU priority: on a
busy machine a light event (one short transaction) must not wait in line behind other sessions'
password checks, nor for a core while hashing holds them all; hashing still gets every core the
events leave idle. `HASHING` is the one list of the calls that hash: no state chooses a pool."""

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

from mfa_app import accounts
from mfa_app.accounts import AccountContext, HostUser
from mfa_app.identity import BuiltInAccounts, Identity, context_for
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
    return context_for(setup.identity, setup.settings, engine=setup.engine, sms_sender=setup.sms_sender)


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


def _always(*_args: Any, **_kwargs: Any) -> bool:
    return True


def _unless_an_sms_code(method: str, *_args: Any) -> bool:
    """A password or a backup code is checked against argon2id hashes, an SMS code by HMAC."""
    return method != "phone_code"


# The service calls that check or make argon2id hashes (passwords, backup codes), each with when
# it does, from its arguments after the context and the token.
HASHING: dict[Callable[..., Any], Callable[..., bool]] = {
    accounts.sign_up: _always,
    accounts.sign_in: _always,
    accounts.reset_password: _always,
    accounts.create_backup_codes: _always,
    accounts.attempt_second_factor: _unless_an_sms_code,
    accounts.reverify: _unless_an_sms_code,
}


async def call(fn: Callable[..., T], *args: Any, token: str | Callable[[], str] | None = None, **kwargs: Any) -> T:
    """`fn(context(), *args)`, or `fn(context(), token, *args)`, in a worker thread: the hashing
    pool for the calls in HASHING, the default threads for the rest. `token` may be a blocking
    function (a host's identity may read its database): it runs in a default thread, for a light
    call in the same one as `fn`."""
    hashes = HASHING.get(fn)
    if hashes is not None and hashes(*args, **kwargs):
        if callable(token):
            token = await asyncio.to_thread(token)
        before = () if token is None else (token,)
        return await run_hashing(functools.partial(fn, context(), *before, *args, **kwargs))

    def light() -> T:
        before = () if token is None else (token() if callable(token) else token,)
        return fn(context(), *before, *args, **kwargs)

    return await asyncio.to_thread(light)
