"""Answers kept for a short while, per key, in this process's memory (never persisted)."""

from __future__ import annotations

import threading
import time
from typing import Generic, TypeVar

V = TypeVar("V")

MAX_ENTRIES = 10_000


class TtlCache(Generic[V]):
    def __init__(self, ttl_s: float) -> None:
        self._ttl_s = ttl_s
        self._entries: dict[str, tuple[float, V]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> V | None:
        with self._lock:
            entry = self._entries.get(key)
        if entry is None or entry[0] <= time.monotonic():
            return None
        return entry[1]

    def put(self, key: str, value: V) -> None:
        now = time.monotonic()
        with self._lock:
            if len(self._entries) >= MAX_ENTRIES:
                self._entries = {k: e for k, e in self._entries.items() if e[0] > now}
                if len(self._entries) >= MAX_ENTRIES:
                    self._entries.clear()
            self._entries[key] = (now + self._ttl_s, value)
