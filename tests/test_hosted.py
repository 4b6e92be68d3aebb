"""A host app's sign-ins (mfa_app/accounts/hosted.py) and what the host calls (mfa_app.Mfa):
a host user gets mfa_app's rows on first sight; a sign-in of a user with MFA on waits for the
second factor whether or not the host said it signed them in; revoked stays refused; step-up
uses the host's password check."""

from __future__ import annotations

import secrets
from dataclasses import replace

import pytest

from mfa_app import accounts, routes
from mfa_app.accounts import HostUser
from mfa_app.identity import Request
from mfa_app.mounting import Mfa
from mfa_app.state import service
from tests.helpers import enable_mfa, reverify_with_sms

PHONE = "+14155550142"
HOST_PASSWORD = "the host's password"


def host_user(user_id: str = "42", email: str = "ada@example.com") -> HostUser:
    return HostUser(user_id=user_id, session_key=secrets.token_urlsafe(32), email=email)


def with_mfa(ctx, outbox, clock) -> HostUser:
    """A host user who signed in and turned MFA on (with a phone), in a sign-in of their own."""
    first = host_user()
    accounts.begin_host_sign_in(ctx, first)  # verified just now: inside the step-up window
    enable_mfa(ctx, outbox, accounts.adopt_host_sign_in(ctx, first), PHONE)
    return first


def test_a_host_user_first_seen_gets_rows_and_a_signed_in_session_without_mfa(ctx):
    who = host_user()
    token = accounts.adopt_host_sign_in(ctx, who)
    assert accounts.host_sign_in_status(ctx, token) == "verified"
    user = accounts.get_user(ctx, token)
    assert (user.id, user.email_address, user.two_factor_enabled) == ("42", "ada@example.com", False)


def test_a_sign_in_first_seen_without_the_host_saying_so_still_waits_for_the_second_factor(ctx, outbox, clock):
    with_mfa(ctx, outbox, clock)
    skipped = host_user()  # the host signed the user in again and forgot after_password
    token = accounts.adopt_host_sign_in(ctx, skipped)
    assert accounts.host_sign_in_status(ctx, token) == "needs_second_factor"
    with pytest.raises(accounts.AccountError) as refused:
        accounts.get_user(ctx, token)
    assert refused.value.code == "signed_out"

    phone_id = accounts.host_challenge(ctx, token).supported_second_factors[0].phone_number_id
    accounts.prepare_second_factor(ctx, token, phone_id)
    accounts.attempt_second_factor(ctx, token, "phone_code", outbox.last_code(PHONE))
    assert accounts.host_sign_in_status(ctx, token) == "verified"
    assert accounts.get_user(ctx, token).two_factor_enabled


def test_begin_sign_in_says_whether_the_second_factor_is_due(ctx, outbox, clock):
    assert accounts.begin_host_sign_in(ctx, host_user("7", "grace@example.com")) is False
    first = with_mfa(ctx, outbox, clock)
    again = replace(first, session_key=secrets.token_urlsafe(32))
    assert accounts.begin_host_sign_in(ctx, again) is True
    # The same key signed in again (a host that keeps its cookie): waiting again, not verified.
    assert accounts.begin_host_sign_in(ctx, first) is True
    assert accounts.host_sign_in_status(ctx, first.session_key) == "needs_second_factor"


def test_a_key_seen_for_another_user_is_a_new_sign_in_not_theirs(ctx, outbox, clock):
    first = with_mfa(ctx, outbox, clock)
    stolen = HostUser(user_id="99", session_key=first.session_key, email="eve@example.com")
    token = accounts.adopt_host_sign_in(ctx, stolen)
    assert accounts.get_user(ctx, token).id == "99"
    assert accounts.host_sign_in_status(ctx, first.session_key) == "verified"  # now names user 99's


def test_a_session_signed_out_from_the_list_stays_refused_until_the_next_sign_in(ctx, outbox, clock):
    kept, other = host_user(), host_user()
    accounts.begin_host_sign_in(ctx, kept)
    accounts.begin_host_sign_in(ctx, other)
    accounts.adopt_host_sign_in(ctx, other)
    accounts.revoke_other_sessions(ctx, kept.session_key)
    assert accounts.adopt_host_sign_in(ctx, other) == other.session_key
    assert accounts.host_sign_in_status(ctx, other.session_key) == "signed_out"
    accounts.begin_host_sign_in(ctx, other)
    assert accounts.host_sign_in_status(ctx, other.session_key) == "verified"


def test_the_email_follows_the_host_and_an_invalid_one_is_refused(ctx):
    who = host_user()
    accounts.adopt_host_sign_in(ctx, who)
    moved = replace(who, email="Ada.Lovelace@Example.com")
    assert accounts.get_user(ctx, accounts.adopt_host_sign_in(ctx, moved)).email_address == "ada.lovelace@example.com"
    with pytest.raises(accounts.AccountError) as refused:
        accounts.adopt_host_sign_in(ctx, replace(who, email="not an address"))
    assert refused.value.code == "host_identity_invalid"
    with pytest.raises(accounts.AccountError):
        accounts.adopt_host_sign_in(ctx, replace(who, session_key=""))


def test_step_up_without_mfa_uses_the_hosts_password_check(ctx, clock):
    checked = []

    def check(user_id: str, password: str) -> bool:
        checked.append(user_id)
        return password == HOST_PASSWORD

    hosted = replace(ctx, check_password=check)
    who = host_user()
    token = accounts.adopt_host_sign_in(hosted, who)  # first seen: nothing verified recently
    with pytest.raises(accounts.AccountError) as wrong:
        accounts.reverify(hosted, token, "password", "guess")
    assert wrong.value.code == "form_password_incorrect"
    accounts.reverify(hosted, token, "password", HOST_PASSWORD)
    accounts.create_phone(hosted, token, PHONE)
    assert checked == ["42", "42"]

    with pytest.raises(accounts.AccountError) as no_check:
        accounts.reverify(ctx, accounts.adopt_host_sign_in(ctx, host_user("8", "b@example.com")), "password", "x")
    assert no_check.value.code == "strategy_for_user_invalid"


class FakeIdentity:
    def __init__(self) -> None:
        self.users: dict[str, HostUser] = {}

    def signed_in(self, request: Request) -> HostUser | None:
        return self.users.get(request.cookies.get("host", ""))


@pytest.fixture
def mfa(ctx, monkeypatch):
    identity = FakeIdentity()
    monkeypatch.setattr(service, "current", lambda: service.Setup(identity=identity, settings=ctx.settings))
    monkeypatch.setattr(service, "context", lambda: ctx)
    host = Mfa(routes.Paths.under("/settings/security", sign_in="/login", sign_out=""))
    return host, identity


def test_after_password_sends_a_user_with_mfa_to_the_challenge_and_back(mfa, ctx, outbox, clock):
    host, identity = mfa
    assert host.after_password(host_user("5", "c@example.com"), "/home") == "/home"
    who = with_mfa(ctx, outbox, clock)
    again = replace(who, session_key=secrets.token_urlsafe(32))
    assert host.after_password(again, "/reports?q=1") == "/settings/security/second-factor?next=/reports%3Fq%3D1"
    assert host.after_password(again, "https://evil.example/") == "/settings/security/second-factor?next=/"
    assert host.after_password(host_user("6", "d@example.com"), "//evil.example") == "/"

    identity.users["cookie"] = again
    request = Request(cookies={"host": "cookie"})
    assert host.access_for(request).status == "needs_second_factor"
    assert host.access_for(request).user is None
    assert host.access_for(Request()).status == "signed_out"


def test_access_names_the_user_once_verified(mfa, ctx, outbox, clock):
    host, identity = mfa
    who = with_mfa(ctx, outbox, clock)
    reverify_with_sms(ctx, outbox, who.session_key, clock)
    identity.users["cookie"] = who
    access = host.access_for(Request(cookies={"host": "cookie"}))
    assert (access.status, access.user) == ("verified", who)
