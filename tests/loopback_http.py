"""A fake HTTP API on a free loopback port, for the tests of mfa_app's HTTP clients (the SMS
providers, Clerk's Backend API): threaded, keep-alive, stoppable (new connections then refused)
and told what fault to play on the next requests. Subclasses answer in `handle`."""

from __future__ import annotations

import socket
import struct
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like the real APIs

    def do_GET(self) -> None:
        self.server.fake.handle(self)  # type: ignore[attr-defined]

    def do_POST(self) -> None:
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
