"""An exception in an event handler: the server logs it, and the person sees no text of it.
Reflex's default backend exception handler puts the exception's text in the error toast in
development mode (SQL with its bound parameters, say). tests/browser/test_edges.py shows the
toast in Chromium."""

from __future__ import annotations

import json
import logging

import pytest

from mfa_app import failures

SQL_ERROR = "(sqlite3.IntegrityError) UNIQUE constraint failed [SQL: INSERT INTO users (email) VALUES (?)] [parameters: ('secret@example.com',)]"


@pytest.fixture(autouse=True)
def the_app():
    """The app module, as every backend worker imports it."""
    import mfa_app.mfa_app as app_module

    return app_module.app


@pytest.mark.parametrize("mode", ["dev", "prod"])
def test_an_exception_in_a_handler_is_logged_and_the_person_sees_no_text_of_it(the_app, caplog, monkeypatch, mode):
    monkeypatch.setenv("REFLEX_ENV_MODE", mode)
    assert the_app.backend_exception_handler is failures.backend_exception_handler

    with caplog.at_level(logging.ERROR, logger="mfa_app"):
        shown = the_app.backend_exception_handler(RuntimeError(SQL_ERROR))

    sent = json.dumps(shown.args, default=str)
    assert failures.MESSAGE in sent
    assert "secret@example.com" not in sent and "SQL" not in sent and "RuntimeError" not in sent
    (record,) = caplog.records
    assert "RuntimeError: (sqlite3.IntegrityError)" in record.getMessage()  # the server keeps it all
