"""The sessions a user can see: named from the User-Agent noted when the cookie is set, "last
active" written at most once a minute, and signing out one or every other session, each
re-verified first and a security event."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from mfa_app import accounts, routes
from mfa_app.accounts import AccountError
from mfa_app.accounts.user_agent import describe
from mfa_app.store.tables import SessionRow
from tests.helpers import PASSWORD, enable_mfa, reverify_with_sms, sign_up

FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1"
)


def signed_in_with(ctx, email: str, user_agent: str) -> str:
    """A session signed in with the password and handed to a browser with this User-Agent."""
    token = accounts.sign_in(ctx, email, PASSWORD).session_token
    return accounts.finish_handoff(ctx, accounts.start_handoff(ctx, token), user_agent)


def refused(fn, *args) -> AccountError:
    with pytest.raises(AccountError) as caught:
        fn(*args)
    return caught.value


@pytest.mark.parametrize(
    ("user_agent", "expected"),
    [
        (FIREFOX_WINDOWS, ("Firefox", "Windows")),
        (SAFARI_IPHONE, ("Safari", "iOS")),
        ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 "
         "Safari/537.36 Edg/126.0", ("Edge", "macOS")),
        ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile "
         "Safari/537.36", ("Chrome", "Android")),
        ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/126.0 Safari/537.36",
         ("Chrome", "Linux")),
        ("curl/8.5.0", ("Unknown browser", "unknown system")),
        (None, ("Unknown browser", "unknown system")),
    ],
)  # fmt: skip
def test_browser_and_system_from_the_user_agent(user_agent, expected):
    assert describe(user_agent) == expected


def test_the_list_names_each_browser_this_device_first(ctx, clock, user):
    here = signed_in_with(ctx, user.email, FIREFOX_WINDOWS)
    clock.advance(minutes=5)
    phone = signed_in_with(ctx, user.email, SAFARI_IPHONE)

    listed = accounts.list_sessions(ctx, here)

    assert [(s.browser, s.operating_system, s.current) for s in listed] == [
        ("Firefox", "Windows", True),
        ("Safari", "iOS", False),
        ("Unknown browser", "unknown system", False),  # the sign-up's session, never handed to a browser
    ]
    assert listed[1].signed_in_at == listed[1].last_active_at == clock.now
    assert listed[0].signed_in_at == clock.now - timedelta(minutes=5)
    assert [s.current for s in accounts.list_sessions(ctx, phone)] == [True, False, False]


def test_the_list_leaves_out_ended_and_unfinished_sessions(ctx, outbox, clock, user):
    signed_out = accounts.sign_in(ctx, user.email, PASSWORD).session_token
    accounts.sign_out(ctx, signed_out)
    short = accounts.sign_in(ctx, user.email, PASSWORD).session_token
    with ctx.engine.begin() as db:
        expired = sa.update(SessionRow).where(SessionRow.token_hmac == ctx.hmac("session", short))
        db.execute(expired.values(expires_at=clock.now))
    enable_mfa(ctx, outbox, user.token)
    accounts.sign_in(ctx, user.email, PASSWORD)  # waits for its second factor

    assert len(accounts.list_sessions(ctx, user.token)) == 1


def test_last_active_is_written_at_most_once_a_minute(ctx, clock, user):
    def last_active():
        return accounts.list_sessions(ctx, user.token)[0].last_active_at

    start = clock.now
    accounts.get_user(ctx, user.token)
    assert last_active() == start
    clock.advance(seconds=59)
    accounts.get_user(ctx, user.token)
    assert last_active() == start
    clock.advance(seconds=1)
    accounts.get_user(ctx, user.token)
    assert last_active() == clock.now


def test_signing_out_one_session(ctx, clock, user):
    other = signed_in_with(ctx, user.email, SAFARI_IPHONE)
    target = next(s for s in accounts.list_sessions(ctx, user.token) if not s.current)

    accounts.revoke_session(ctx, user.token, target.id)

    assert refused(accounts.get_user, ctx, other).code == "signed_out"
    assert [s.current for s in accounts.list_sessions(ctx, user.token)] == [True]
    event = accounts.security_events(ctx, user.token)[0]
    assert (event.kind, event.detail) == ("session.revoked", "Safari on iOS")
    assert refused(accounts.revoke_session, ctx, user.token, target.id).code == "resource_not_found"


def test_another_users_session_is_not_found(ctx, user):
    stranger = sign_up(ctx)
    theirs = accounts.list_sessions(ctx, stranger.token)[0].id
    assert refused(accounts.revoke_session, ctx, user.token, theirs).code == "resource_not_found"
    assert accounts.get_user(ctx, stranger.token).email_address == stranger.email


def test_signing_out_every_other_session_keeps_this_one(ctx, outbox, user):
    others = [signed_in_with(ctx, user.email, ua) for ua in (FIREFOX_WINDOWS, SAFARI_IPHONE)]

    assert accounts.revoke_other_sessions(ctx, user.token) == 2

    for token in others:
        assert refused(accounts.get_user, ctx, token).code == "signed_out"
    assert accounts.get_user(ctx, user.token).email_address == user.email
    event = accounts.security_events(ctx, user.token)[0]
    assert (event.kind, event.detail) == ("sessions.revoked_others", "2 sessions")


def test_signing_out_every_other_session_ends_sign_ins_waiting_for_their_second_factor(ctx, outbox, clock, user):
    phone = enable_mfa(ctx, outbox, user.token)
    waiting = accounts.sign_in(ctx, user.email, PASSWORD).session_token
    reverify_with_sms(ctx, outbox, user.token, clock)

    assert accounts.revoke_other_sessions(ctx, user.token) == 1
    assert refused(accounts.prepare_second_factor, ctx, waiting, phone.id).code == "signed_out"


@pytest.mark.parametrize("action", ["one", "others"])
def test_signing_out_sessions_re_verifies_first(ctx, clock, user, action):
    other = signed_in_with(ctx, user.email, SAFARI_IPHONE)
    target = next(s for s in accounts.list_sessions(ctx, user.token) if not s.current)
    clock.advance(minutes=11)

    if action == "one":
        error = refused(accounts.revoke_session, ctx, user.token, target.id)
    else:
        error = refused(accounts.revoke_other_sessions, ctx, user.token)

    assert error.code == "session_reverification_required"
    assert accounts.get_user(ctx, other).email_address == user.email
    accounts.reverify(ctx, user.token, "password", PASSWORD)
    accounts.revoke_other_sessions(ctx, user.token)
    assert refused(accounts.get_user, ctx, other).code == "signed_out"


def test_the_session_route_notes_the_browsers_user_agent(ctx, monkeypatch):
    from mfa_app import http

    monkeypatch.setattr(http, "context", lambda: ctx)
    person = sign_up(ctx)
    nonce = accounts.start_handoff(ctx, person.token)
    headers = {"User-Agent": FIREFOX_WINDOWS, "Sec-Fetch-Site": "same-origin"}
    client = TestClient(http.auth_routes, base_url="http://127.0.0.1", headers=headers)

    response = client.post(routes.AUTH_SESSION, data={"nonce": nonce}, follow_redirects=False)

    token = response.cookies[routes.SESSION_COOKIE]
    [session] = accounts.list_sessions(ctx, token)
    assert (session.browser, session.operating_system, session.current) == ("Firefox", "Windows", True)
