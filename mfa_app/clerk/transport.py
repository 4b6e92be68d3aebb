"""One request to Clerk's Backend API, bounded in time, retried only when it cannot have
changed anything at Clerk, as mfa_app's SMS providers do (mfa_app/sms/retry.py).

Each attempt gets the time left until a deadline; at most 3 attempts, exponential backoff with
full jitter, and a `Retry-After` in seconds waited out as asked (when it would end past the
deadline, the request fails at once). Every request is retried when the connection was never
made (refused, connect timeout, no free pooled connection) or Clerk answered 429 or 503 (it did
not take the request). A read (GET) is also retried after a timeout or a dropped connection
once sent, and after any 5xx: reading twice changes nothing. A POST (the password check, which
Clerk may count towards its lockout) is not, once it may have reached Clerk.

When no answer comes, ClerkUnavailable: an AccountError whose text the pages show as is."""

from __future__ import annotations

import logging
import random
import time
from typing import Any

import httpx

from mfa_app.accounts.errors import AccountError, try_again_in

log = logging.getLogger("mfa_app.clerk")

MAX_ATTEMPTS = 3
BACKOFF_BASE_S = 0.2
BACKOFF_CAP_S = 2.0
NOT_TAKEN = frozenset({429, 503})
READ_RETRY = frozenset({500, 502, 503, 504, 429})

UNAVAILABLE = "Your account's sign-in service isn't answering right now. Try again in a minute."


class ClerkUnavailable(AccountError):
    """Clerk did not answer, or not usefully: nothing was checked."""

    def __init__(self, message: str = UNAVAILABLE) -> None:
        super().__init__("clerk_unavailable", message, status=503)


def send(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    endpoint: str,
    connect_timeout_s: float,
    total_timeout_s: float,
    **request: Any,
) -> httpx.Response:
    """`method` `url` with `request` (httpx keyword arguments). Returns the first answer that is
    not to be retried; raises ClerkUnavailable when none came. Logs name the `endpoint` (the
    path without its ids: a session id is mfa_app's session key, and session keys stay out of
    logs), never the headers (the secret key) or a body."""
    reads = method == "GET"
    retry_statuses = READ_RETRY if reads else NOT_TAKEN
    deadline = time.monotonic() + total_timeout_s
    for attempt in range(1, MAX_ATTEMPTS + 1):
        busy_for: float | None = None
        left = deadline - time.monotonic()
        if left <= 0:
            break
        timeout = httpx.Timeout(left, connect=min(connect_timeout_s, left))
        try:
            response = client.request(method, url, timeout=timeout, **request)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            log.warning("clerk %s: attempt %d could not connect (%s)", endpoint, attempt, type(exc).__name__)
            delay = _backoff(attempt)
        except httpx.TransportError as exc:
            if not reads:
                log.error("clerk %s: no answer after sending (%s); not retrying", endpoint, type(exc).__name__)
                raise ClerkUnavailable() from None
            log.warning("clerk %s: attempt %d got no answer (%s)", endpoint, attempt, type(exc).__name__)
            delay = _backoff(attempt)
        else:
            if response.status_code not in retry_statuses:
                return response
            log.warning(
                "clerk %s: attempt %d answered %d, %s", endpoint, attempt, response.status_code, error_code(response)
            )
            busy_for = _retry_after(response)
            delay = _backoff(attempt) if busy_for is None else busy_for
        if attempt == MAX_ATTEMPTS or delay >= deadline - time.monotonic():
            break
        time.sleep(delay)
    log.error("clerk %s: gave up", endpoint)
    if busy_for is not None and busy_for > 60:
        raise ClerkUnavailable(f"Your account's sign-in service is busy right now. {try_again_in(int(busy_for))}")
    raise ClerkUnavailable()


def _backoff(attempt: int) -> float:
    """Full jitter: anywhere between 0 and the exponential step, so clients spread out."""
    return random.uniform(0, min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** (attempt - 1)))


def _retry_after(response: httpx.Response) -> float | None:
    """`Retry-After` in seconds; None when absent or an HTTP date (then back off as usual)."""
    value = response.headers.get("Retry-After", "").strip()
    return float(value) if value.isdigit() else None


def error_code(response: httpx.Response) -> str:
    """Clerk's first error code (`{"errors": [{"code", "message", "long_message"}]}`), or "no
    error code". Never the messages: they can name the user."""
    try:
        code = response.json()["errors"][0]["code"]
    except (ValueError, LookupError, TypeError):
        return "no error code"
    return code if isinstance(code, str) and code.isidentifier() else "no error code"
