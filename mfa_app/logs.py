"""Log lines a client cannot forge. Reflex logs what browsers send as it came (event data, an
Origin, a frontend error report), and exception messages quote it too, so a newline or a
terminal escape sequence from a client could fake log lines or restyle a terminal.

Every log record of the process (any logger: Reflex, python-socketio, ours) escapes the
control characters of its message; a traceback keeps its lines, with each exception's message
escaped. Records are changed where they are made, so every handler writes the escaped text."""

from __future__ import annotations

import logging
import traceback

# Lines of a formatted traceback that Python writes itself (frames show our source code).
_TRACEBACK_LINES = (
    "Traceback (most recent call last):",
    "  File ",
    "  [Previous line repeated",
    "\nThe above exception was the direct cause",
    "\nDuring handling of the above exception",
)


def escape(text: str) -> str:
    """Control and other unprintable characters as Python escapes: "\\n", "\\x1b", "\\u202e"."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def format_exception(exc: BaseException) -> str:
    """A traceback with its structure kept and the exception messages escaped."""
    parts = traceback.TracebackException.from_exception(exc).format()
    return "".join(p if p.startswith(_TRACEBACK_LINES) else escape(p.rstrip("\n")) + "\n" for p in parts).rstrip("\n")


class EscapedLogRecord(logging.LogRecord):
    """A record whose message is escaped, with its traceback (if any) appended to it: handlers
    format exc_info themselves, so the record carries no exc_info of its own."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.escaped_traceback = ""
        if self.exc_info and self.exc_info[1] is not None:
            self.escaped_traceback = format_exception(self.exc_info[1])
            self.exc_info, self.exc_text = None, None

    def getMessage(self) -> str:
        message = escape(super().getMessage())
        return f"{message}\n{self.escaped_traceback}" if self.escaped_traceback else message


def escape_every_log_record() -> None:
    logging.setLogRecordFactory(EscapedLogRecord)
