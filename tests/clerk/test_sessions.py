"""Signing sessions out from mfa_app's list, on Clerk: the Clerk session ends too (revoked at
Clerk, so ClerkJS signs that browser out), before mfa_app's record of it; when Clerk can't be
reached nothing ends; and nothing is asked of Clerk before the step-up."""

from __future__ import annotations

from dataclasses import replace

import pytest

from mfa_app import accounts
from mfa_app.clerk import ClerkIdentity
from mfa_app.identity import Request, SessionSignOut
from mfa_app.state import service
from tests.clerk.helpers import PASSWORD, FakeClerk, Keys, session_cookie


@pytest.fixture
def hosted(identity: ClerkIdentity, ctx):
    """The context the mounted app's service makes of ClerkIdentity."""
    return replace(ctx, check_password=identity.check_password, sign_out_host_sessions=identity.sign_out_sessions)


def sign_in(identity: ClerkIdentity, keys: Keys, clerk: FakeClerk, ctx, session_id: str) -> str:
    """A Clerk sign-in of Ada that opened mfa_app's pages: its mfa_app token (the `sid`)."""
    if session_id not in clerk.sessions:
        clerk.add_session(session_id, "user_ada")
    who = identity.signed_in(Request(cookies=session_cookie(keys.token(session_id=session_id))))
    assert who is not None
    return accounts.adopt_host_sign_in(ctx, who)


def revokes(clerk: FakeClerk) -> list[str]:
    return [path for method, path in clerk.requests if method == "POST" and path.endswith("/revoke")]


def test_the_mounted_service_hands_the_sign_out_over(identity: ClerkIdentity, ctx, monkeypatch) -> None:
    assert isinstance(identity, SessionSignOut)
    monkeypatch.setattr(service, "current", lambda: service.Setup(identity=identity, settings=ctx.settings))
    built = service.context.__wrapped__()
    assert built.sign_out_host_sessions == identity.sign_out_sessions
    built.engine.dispose()


def test_signing_one_session_out_revokes_that_clerk_session_only(
    identity: ClerkIdentity, keys: Keys, clerk: FakeClerk, hosted
) -> None:
    mine = sign_in(identity, keys, clerk, hosted, "sess_1")
    other = sign_in(identity, keys, clerk, hosted, "sess_laptop")
    sign_in(identity, keys, clerk, hosted, "sess_phone")
    accounts.reverify(hosted, mine, "password", PASSWORD)
    laptop = next(s for s in accounts.list_sessions(hosted, mine) if _is(hosted, s.id, other))

    accounts.revoke_session(hosted, mine, laptop.id)

    assert revokes(clerk) == ["/v1/sessions/sess_laptop/revoke"]
    assert {sid: s["status"] for sid, s in clerk.sessions.items()} == {
        "sess_1": "active",
        "sess_laptop": "revoked",
        "sess_phone": "active",
    }
    assert laptop.id not in {s.id for s in accounts.list_sessions(hosted, mine)}  # mfa_app's record ended too


def test_signing_every_other_session_out_revokes_every_other_clerk_session(
    identity: ClerkIdentity, keys: Keys, clerk: FakeClerk, hosted
) -> None:
    mine = sign_in(identity, keys, clerk, hosted, "sess_1")
    sign_in(identity, keys, clerk, hosted, "sess_laptop")
    clerk.add_session("sess_never_opened_mfa_app", "user_ada")
    clerk.add_user("user_bob", "bob@example.com")
    clerk.add_session("sess_bob", "user_bob")
    accounts.reverify(hosted, mine, "password", PASSWORD)

    assert accounts.revoke_other_sessions(hosted, mine) == 1  # the one mfa_app had a record of

    assert {sid: s["status"] for sid, s in clerk.sessions.items()} == {
        "sess_1": "active",
        "sess_laptop": "revoked",
        "sess_never_opened_mfa_app": "revoked",
        "sess_bob": "active",
    }


@pytest.mark.parametrize("fault", ["503", "reset"])
def test_when_clerk_cant_sign_it_out_nothing_ends(
    identity: ClerkIdentity, keys: Keys, clerk: FakeClerk, hosted, fault: str
) -> None:
    mine = sign_in(identity, keys, clerk, hosted, "sess_1")
    sign_in(identity, keys, clerk, hosted, "sess_laptop")
    accounts.reverify(hosted, mine, "password", PASSWORD)
    before = accounts.list_sessions(hosted, mine)
    clerk.fail(*[fault] * 6)

    with pytest.raises(accounts.AccountError) as refused:
        accounts.revoke_other_sessions(hosted, mine)

    assert refused.value.code == "clerk_unavailable"
    assert revokes(clerk) == []
    assert accounts.list_sessions(hosted, mine) == before  # mfa_app's records still there


def test_nothing_is_asked_of_clerk_before_the_step_up(
    identity: ClerkIdentity, keys: Keys, clerk: FakeClerk, hosted
) -> None:
    mine = sign_in(identity, keys, clerk, hosted, "sess_1")
    sign_in(identity, keys, clerk, hosted, "sess_laptop")  # neither has confirmed anything yet
    asked = len(clerk.requests)

    with pytest.raises(accounts.AccountError) as refused:
        accounts.revoke_other_sessions(hosted, mine)

    assert refused.value.code == "session_reverification_required"
    assert clerk.requests[asked:] == []
    assert clerk.sessions["sess_laptop"]["status"] == "active"


def _is(ctx, session_id: str, token: str) -> bool:
    """Whether mfa_app's session `session_id` is the sign-in of `token`."""
    from mfa_app.store.tables import SessionRow

    with ctx.read() as db:
        row = db.get(SessionRow, session_id)
    return row is not None and row.token_hmac == ctx.hmac("session", token)
