"""argon2id calls from the pages run in a pool of their own, at a lower CPU priority, so a light
event never waits in line (for a thread or for a core) behind other sessions' hashing."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Iterator

import pytest

from mfa_app import accounts
from mfa_app.settings import Settings
from mfa_app.state import service
from tests.helpers import run_async


@pytest.fixture
def pool_with(monkeypatch) -> Iterator:
    """A fresh hashing pool built from the given settings."""
    pools = []

    def make(settings: Settings):
        monkeypatch.setattr(service, "current", lambda: service.Setup(settings=settings))
        service._hashing_pool.cache_clear()
        pools.append(service._hashing_pool())
        return pools[-1]

    yield make
    for pool in pools:
        pool.shutdown(wait=True, cancel_futures=True)
    service._hashing_pool.cache_clear()


def test_hashing_runs_in_its_own_threads_at_a_lower_priority(pool_with):
    pool_with(Settings())

    def where() -> tuple[str, int]:
        return threading.current_thread().name, os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    name, niceness = run_async(service.run_hashing(where))
    assert name.startswith("argon2id")
    assert niceness == os.getpriority(os.PRIO_PROCESS, 0) + service.HASHING_NICENESS


def test_one_hashing_thread_per_core_unless_set(pool_with):
    assert pool_with(Settings())._max_workers == os.cpu_count()
    assert pool_with(Settings(hashing_threads=3))._max_workers == 3


def test_a_light_call_runs_while_every_hashing_thread_is_busy(pool_with):
    """More hashing calls than asyncio's default pool has threads, all stuck: a light service
    call (asyncio.to_thread, the default pool) still runs at once."""
    pool_with(Settings())
    release = threading.Event()
    stuck = (os.cpu_count() or 1) + 32  # above the default pool's min(32, cores + 4)

    async def scenario() -> str:
        hashing = [asyncio.ensure_future(service.run_hashing(release.wait, 60)) for _ in range(stuck)]
        try:
            return await asyncio.wait_for(asyncio.to_thread(lambda: "light call done"), timeout=20)
        finally:
            release.set()
            await asyncio.gather(*hashing)

    assert run_async(scenario()) == "light call done"


def test_service_call_chooses_the_pool_from_the_one_list_of_hashing_calls(pool_with, monkeypatch):
    """The states call every service function through service.call: the calls that hash (and,
    for a second factor, only a backup code or a password) go to the hashing threads."""
    pool_with(Settings())
    monkeypatch.setattr(service, "context", lambda: "ctx")

    def thread_of(fn, *args, **kwargs):
        def where(ctx, *_args, **_kwargs):
            assert ctx == "ctx"
            return threading.current_thread().name

        monkeypatch.setitem(service.HASHING, where, service.HASHING.get(fn, lambda *_a, **_k: False))
        return run_async(service.call(where, *args, **kwargs))

    assert thread_of(accounts.sign_in, "a@example.com", "password").startswith("argon2id")
    assert thread_of(accounts.create_backup_codes, token=lambda: "token").startswith("argon2id")
    assert thread_of(accounts.reverify, "backup_code", "abcde-fghjk", token="token").startswith("argon2id")
    assert not thread_of(accounts.reverify, "phone_code", "123456", token="token").startswith("argon2id")
    assert not thread_of(accounts.get_user, token=lambda: "token").startswith("argon2id")
