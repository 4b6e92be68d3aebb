"""No client text reaches the logs raw. Reflex logs what a client sent as it came (event data,
an Origin, a frontend error report), so a newline or a terminal escape sequence in it could
forge log lines or restyle a terminal."""

from __future__ import annotations

import logging

import pytest

from mfa_app import logs
from tests.helpers import run_async

FORGED = "x\n2026-01-05 12:00:00 ERROR forged line\r\x1b[2J\u202e"


@pytest.fixture(autouse=True)
def the_app():
    """The app module, as every backend worker imports it (it sets up the logging)."""
    import mfa_app.mfa_app as app_module

    return app_module.app


def no_raw_control_characters(text: str) -> bool:
    return not any(c in text for c in "\n\r\x1b\u202e")


def test_a_clients_text_cannot_forge_a_log_line(caplog):
    with caplog.at_level(logging.WARNING):
        logging.getLogger("reflex.app").warning("Event data: %s", FORGED)
        logging.getLogger("mfa_app.anything").warning(f"Event data: {FORGED}")

    for record in caplog.records:
        assert no_raw_control_characters(record.getMessage())
        assert "\\n2026-01-05 12:00:00 ERROR forged line\\r\\x1b[2J\\u202e" in record.getMessage()
    assert len(caplog.text.splitlines()) == 2


def test_reflexs_own_warning_with_a_clients_event_data_is_escaped(the_app, caplog):
    """Reflex logs "Event data: {data}" raw for an event from an unknown socket session."""
    with caplog.at_level(logging.WARNING, logger="reflex"):
        run_async(the_app.event_namespace.on_event("no-such-sid", FORGED))

    (record,) = [r for r in caplog.records if "Event data" in r.getMessage()]
    assert no_raw_control_characters(record.getMessage()) and "forged line" in record.getMessage()


def test_a_traceback_keeps_its_lines_and_escapes_the_exception_message(caplog):
    def handler(data: str):
        raise ValueError(f"Failed to deserialize event data: {data}.")

    try:
        try:
            handler(FORGED)
        except ValueError as exc:
            raise RuntimeError("the handler failed") from exc
    except RuntimeError:
        logging.getLogger("reflex.app").exception("Error in an event")

    lines = caplog.records[-1].getMessage().splitlines()
    assert lines[0] == "Error in an event" and lines[1] == "Traceback (most recent call last):"
    assert any(line.startswith("  File ") and line.endswith("in handler") for line in lines)
    assert "The above exception was the direct cause of the following exception:" in lines
    assert (
        "ValueError: Failed to deserialize event data: x\\n2026-01-05 12:00:00 ERROR forged line\\r\\x1b[2J\\u202e."
        in lines
    )
    assert lines[-1] == "RuntimeError: the handler failed"
    assert not any(line.startswith("2026-01-05") for line in lines)
    assert caplog.records[-1].exc_info is None  # no handler formats the raw traceback again


def test_an_escape_is_only_for_what_cannot_be_printed():
    assert (
        logs.escape("Sign-in for user@example.com, +1 415-555-2671, é ü 中")
        == "Sign-in for user@example.com, +1 415-555-2671, é ü 中"
    )
    assert logs.escape("a\tb\x00c\x7f") == "a\\tb\\x00c\\x7f"
