"""A fake HTTP API on a free loopback port, for the tests of mfa_app's HTTP clients (the SMS
providers, Clerk's Backend API): threaded, keep-alive, stoppable (new connections then refused)
and told what fault to play on the next requests. Subclasses answer in `handle`."""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like the real APIs

    def do_GET(self) -> None:
        self.server.fake.handle(self)  # type: ignore[attr-defined]

    def do_POST(self) -> None:
        self.server.fake.handle(self)  # type: ignore[attr-defined]

    def do_PATCH(self) -> None:
        self.server.fake.handle(self)  # type: ignore[attr-defined]

    def do_DELETE(self) -> None:
        self.server.fake.handle(self)  # type: ignore[attr-defined]

    def log_message(self, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that gave up on a slow answer is expected here


class LoopbackServer:
    slow_s = 5.0  # how long a "slow" fault waits before answering (or until close)
    retry_after = "0"  # the Retry-After of a 429 or 503 fault

    def __init__(self) -> None:
        self._faults: list[str | int] = []
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self.port = 0
        self.start()

    def start(self) -> None:
        self._server = _Server(("127.0.0.1", self.port), _Handler)
        self._server.fake = self  # type: ignore[attr-defined]
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop listening: new connections to the port are refused until start()."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def close(self) -> None:
        self._closing.set()
        self.stop()

    def fail(self, *faults: str | int) -> None:
        """Play these faults on the next requests, one each."""
        with self._lock:
            self._faults.extend(faults)

    def clear_faults(self) -> None:
        """Forget the faults not played yet: every request answers normally again."""
        with self._lock:
            self._faults.clear()

    def next_fault(self) -> str | int | None:
        """The fault for this request (call under `self._lock`)."""
        return self._faults.pop(0) if self._faults else None

    def wait_slowly(self) -> None:
        self._closing.wait(self.slow_s)

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        raise NotImplementedError


def reset_connection(handler: BaseHTTPRequestHandler) -> None:
    """Drop the connection with a TCP reset, no answer."""
    handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    handler.connection.close()
    handler.close_connection = True


def respond(
    handler: BaseHTTPRequestHandler,
    status: int,
    body: bytes,
    *,
    content_type: str = "application/json",
    headers: dict[str, str] | None = None,
) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(body)


class CountingClient(httpx.Client):
    """An httpx client that counts attempts, including those that never connected."""

    def __init__(self) -> None:
        self.attempts = 0
        # Plain HTTP on loopback: no certificates to load, no proxy from the environment.
        super().__init__(event_hooks={"request": [self._count]}, verify=False, trust_env=False)

    def _count(self, request: httpx.Request) -> None:
        self.attempts += 1


@contextmanager
def unanswered_port() -> Iterator[int]:
    """A port whose accept queue is full, so new connections hang until the connect timeout."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(3):
        filler = socket.socket()
        filler.setblocking(False)
        filler.connect_ex(("127.0.0.1", port))
        fillers.append(filler)
    try:
        yield port
    finally:
        for sock in [*fillers, listener]:
            sock.close()
