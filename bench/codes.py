"""The SMS codes a server under test sends, read from the file it appends one message a line to:
our app's outbox, or the peer's fake-gateway log."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from bench.load import FlowError


class CodeLog:
    """Reads the file as it grows (complete lines only); `parse` turns a line into (number,
    code), or None for a line without a code."""

    def __init__(self, path: Path, parse: Callable[[str], tuple[str, str] | None], what: str) -> None:
        self.path, self.parse, self.what = path, parse, what
        self.offset = 0
        self.codes: dict[str, list[str]] = defaultdict(list)

    def _read_new(self) -> None:
        if not self.path.exists():
            return
        with self.path.open("rb") as f:
            f.seek(self.offset)
            chunk = f.read()
        end = chunk.rfind(b"\n")
        if end < 0:
            return
        self.offset += end + 1
        for line in chunk[: end + 1].decode().splitlines():
            if found := self.parse(line):
                self.codes[found[0]].append(found[1])

    async def code(self, to: str, nth: int, timeout: float = 10.0) -> str:
        """The `nth` (1-based) code sent to `to`."""
        deadline = time.monotonic() + timeout
        while True:
            self._read_new()
            if len(self.codes[to]) >= nth:
                return self.codes[to][nth - 1]
            if time.monotonic() > deadline:
                raise FlowError(f"no code #{nth} for {to} in {self.what}")
            await asyncio.sleep(0.01)


_OUTBOX_CODE = re.compile(r"#(\d{6})$")
_FAKE_GATEWAY = re.compile(r'Fake SMS to (\+\d+): "Your token is: (\d+)"')


def _outbox_line(line: str) -> tuple[str, str] | None:
    if not line.strip():
        return None
    message = json.loads(line)
    found = _OUTBOX_CODE.search(message["body"])
    return (message["to"], found.group(1)) if found else None


def _fake_gateway_line(line: str) -> tuple[str, str] | None:
    found = _FAKE_GATEWAY.search(line)
    return (found.group(1), found.group(2)) if found else None


def outbox(path: Path) -> CodeLog:
    """The app's outbox: one JSON message a line, the body ending in `#123456`."""
    return CodeLog(path, _outbox_line, "the outbox")


def fake_gateway(path: Path) -> CodeLog:
    """django-two-factor-auth's fake gateway: `Fake SMS to +1...: "Your token is: 123456"`."""
    return CodeLog(path, _fake_gateway_line, "the peer's fake-gateway log")
