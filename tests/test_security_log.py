"""Security events are also one JSON line each on the `mfa_app.security` logger, written once the
transaction that records them commits: none for work that was refused and rolled back."""

from __future__ import annotations

import json
import logging

import pytest

from mfa_app import accounts
from mfa_app.accounts import events
from mfa_app.accounts.errors import AccountError
from tests.helpers import PASSWORD


def security_lines(caplog: pytest.LogCaptureFixture) -> list[dict]:
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == "mfa_app.security"]


def test_each_event_is_one_json_line_after_commit(ctx, clock, caplog):
    caplog.set_level(logging.INFO, logger="mfa_app.security")
    result = accounts.sign_up(ctx, "ada@example.com", PASSWORD)
    user_id = accounts.get_user(ctx, result.session_token).id

    [line] = security_lines(caplog)
    assert line == {
        "time": clock.now.isoformat(),
        "user_id": user_id,
        "kind": "user.signed_up",
        "detail": "",
        "client": None,
    }


def test_an_event_of_a_rolled_back_transaction_is_not_logged(ctx, user, caplog):
    caplog.set_level(logging.INFO, logger="mfa_app.security")
    user_id = accounts.get_user(ctx, user.token).id

    def work(db):
        events.record(db, user_id, "test.refused", "", ctx.now(), client="203.0.113.9")
        raise AccountError("refused", "No.")

    with pytest.raises(AccountError):
        ctx.write(work)
    assert security_lines(caplog) == []
    ctx.write(lambda db: events.record(db, user_id, "test.kept", "x", ctx.now(), client="203.0.113.9"))
    assert [(line["kind"], line["client"]) for line in security_lines(caplog)] == [("test.kept", "203.0.113.9")]
