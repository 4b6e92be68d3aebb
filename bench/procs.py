"""Child processes of the bench: each in its own process group (so a server and every worker it
forks stop together), all stopped at exit, whatever happens; waiting for a server to answer within
a bound."""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path

_RUNNING: list[Proc] = []


class Proc:
    """A child started in a new session (its own process group), output to a log file."""

    def __init__(
        self, name: str, argv: Sequence[str | os.PathLike], *, cwd: Path, env: dict[str, str], log: Path
    ) -> None:
        self.name, self.log = name, log
        log.parent.mkdir(parents=True, exist_ok=True)
        self._log_file = log.open("ab")
        self.popen = subprocess.Popen(
            [str(a) for a in argv],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.pid = self.popen.pid
        _RUNNING.append(self)

    def alive(self) -> bool:
        return self.popen.poll() is None

    def tail(self, lines: int = 25) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self, grace: float = 10.0) -> None:
        """SIGTERM to the whole group, then SIGKILL to whatever is left of it."""
        for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pid, sig)
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline:
                if self.popen.poll() is not None and not _group_alive(self.pid):
                    break
                time.sleep(0.05)
            else:
                continue
            break
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)  # stragglers that outlived the leader
        self.popen.poll()
        self._log_file.close()
        if self in _RUNNING:
            _RUNNING.remove(self)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def stop_all() -> None:
    for proc in list(reversed(_RUNNING)):
        proc.stop(grace=5.0)


atexit.register(stop_all)


def _on_signal(signum, _frame):
    stop_all()
    raise SystemExit(128 + signum)


def install_signal_handlers() -> None:
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGHUP, _on_signal)


def http_status(url: str, timeout: float = 2.0) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            response.read(1)
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (OSError, ValueError):
        return None


def wait_until(ready: Callable[[], bool], proc: Proc | None, what: str, timeout: float, poll: float = 0.1) -> float:
    """Poll `ready` until it is true; the seconds it took. Fails (with the log's tail) when the
    process exits or the bound passes."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if proc is not None and not proc.alive():
            raise RuntimeError(f"{what}: process exited with {proc.popen.returncode}:\n{proc.tail()}")
        if ready():
            return time.monotonic() - start
        time.sleep(poll)
    tail = proc.tail() if proc is not None else ""
    raise RuntimeError(f"{what}: not ready within {timeout:.0f} s\n{tail}")
