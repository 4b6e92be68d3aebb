"""An event handler that raises: the exception goes to the server's log, and the person gets a
message with no exception text, in every mode. Reflex's default handler shows the exception's
text in development, which can hold SQL with its bound parameters (an email, a phone number)."""

from __future__ import annotations

import logging

from reflex.event import EventSpec
from reflex_components_sonner.toast import toast

logger = logging.getLogger(__name__)

MESSAGE = "Something went wrong. Try again."


def backend_exception_handler(exception: Exception) -> EventSpec:
    logger.error("An event handler raised %s", type(exception).__name__, exc_info=exception)
    # id: one toast however many events fail at once (and what bench/sessions.py looks for).
    return toast(MESSAGE, level="error", fallback_to_alert=True, position="top-center", id="backend_error")
