"""One POST to an SMS provider, bounded in time and never able to send a message twice.

httpx has no total timeout, so each attempt gets the time left until a deadline as its read,
write and pool timeout (and at most the connect timeout to connect), and the retry loop stops at
the deadline. (httpx times each read on its own, so an answer trickling in byte by byte could
still run past the deadline.)

Retries (at most 3 attempts, exponential backoff with full jitter) happen only when the provider
cannot have taken the message: the connection was never made (refused, connect error, connect
timeout, no free pooled connection), or it answered 429 or 503. A `Retry-After` in seconds is
waited out as asked; when that wait would end past the deadline, the send fails at once. After a
read or write timeout, a connection dropped once the request was sent, or any other answer, the
message may have been accepted, so it is never sent again.

Also the texts users see when a provider fails, shared by every provider."""

from __future__ import annotations

import logging
import random
import time
from typing import Any

import httpx

from mfa_app.settings import Settings
from mfa_app.sms.base import SmsSendError

log = logging.getLogger("mfa_app.sms")

MAX_ATTEMPTS = 3
BACKOFF_BASE_S = 0.2
BACKOFF_CAP_S = 2.0
RETRY_STATUSES = frozenset({429, 503})

NOT_SENT = "The text message couldn't be sent right now. Try again in a minute."
MAYBE_SENT = "The text message may not have been sent. If it doesn't arrive, try again in a minute."
REFUSED = "The text message couldn't be sent. Try again later, or use a different number."


def post(
    client: httpx.Client,
    url: str,
    *,
    provider: str,
    connect_timeout_s: float,
    total_timeout_s: float,
    **request: Any,
) -> httpx.Response:
    """POST `request` (httpx keyword arguments) to `url`. Returns the first response that is
    not a retryable 429/503; raises SmsSendError when none came. `provider` names it in logs."""
    deadline = time.monotonic() + total_timeout_s
    for attempt in range(1, MAX_ATTEMPTS + 1):
        left = deadline - time.monotonic()
        if left <= 0:
            break
        timeout = httpx.Timeout(left, connect=min(connect_timeout_s, left))
        try:
            response = client.post(url, timeout=timeout, **request)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            log.warning("%s: attempt %d could not connect (%s)", provider, attempt, type(exc).__name__)
            delay = _backoff(attempt)
        except httpx.TransportError as exc:
            log.error("%s: no answer after sending (%s); not retrying", provider, type(exc).__name__)
            raise SmsSendError(MAYBE_SENT) from None
        else:
            if response.status_code not in RETRY_STATUSES:
                return response
            log.warning("%s: attempt %d answered %d", provider, attempt, response.status_code)
            retry_after = _retry_after(response)
            delay = _backoff(attempt) if retry_after is None else retry_after
        if attempt == MAX_ATTEMPTS or delay >= deadline - time.monotonic():
            break
        time.sleep(delay)
    log.error("%s: gave up; the message was not sent", provider)
    raise SmsSendError(NOT_SENT)


def _backoff(attempt: int) -> float:
    """Full jitter: anywhere between 0 and the exponential step, so clients spread out."""
    return random.uniform(0, min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** (attempt - 1)))


def _retry_after(response: httpx.Response) -> float | None:
    """`Retry-After` in seconds; None when absent or an HTTP date (then back off as usual)."""
    value = response.headers.get("Retry-After", "").strip()
    return float(value) if value.isdigit() else None


class HttpSender:
    """What the HTTP providers (twilio, webhook) share: one client, the two timeouts from the
    settings, a repr with nothing of their credentials, `post` with this module's retries, and
    what a refusal they can't explain means to the user."""

    provider = "http"

    def __init__(self, settings: Settings, client: httpx.Client | None = None) -> None:
        self._connect_timeout_s = settings.sms_connect_timeout_s
        self._total_timeout_s = settings.sms_total_timeout_s
        self._client = client or httpx.Client()

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def _post(self, url: str, **request: Any) -> httpx.Response:
        return post(
            self._client,
            url,
            provider=self.provider,
            connect_timeout_s=self._connect_timeout_s,
            total_timeout_s=self._total_timeout_s,
            **request,
        )


def refused(response: httpx.Response) -> SmsSendError:
    """A refusal the provider gave no reason for: a 5xx may have sent the message anyway."""
    return SmsSendError(MAYBE_SENT if response.status_code >= 500 else REFUSED)
