"""mfa_app mounted with ClerkIdentity, through what a host calls (Mfa.access_for) and the service:
a Clerk user turns MFA on in mfa_app, and the Clerk user then has that phone reserved for the
second factor (so Clerk's own sign-in asks for it); a later Clerk sign-in (a new sid) waits for
the second factor, while the token renewals of a sign-in that passed it do not."""

from __future__ import annotations

import secrets
from dataclasses import replace

import pytest

from mfa_app import accounts, routes
from mfa_app.clerk import ClerkIdentity
from mfa_app.identity import Request
from mfa_app.mounting import Mfa
from mfa_app.state import service
from mfa_app.state.session import service_token
from tests.clerk.helpers import PASSWORD, FakeClerk, Keys, session_cookie
from tests.helpers import enable_mfa

PHONE = "+14155550142"


@pytest.fixture
def mfa(identity: ClerkIdentity, ctx, monkeypatch) -> Mfa:
    monkeypatch.setattr(service, "current", lambda: service.Setup(identity=identity, settings=ctx.settings))
    built = service.context.__wrapped__()  # what the mounted app's service makes of the identity
    assert built.check_password == identity.check_password and built.mirror is identity
    built.engine.dispose()
    hosted = replace(ctx, check_password=identity.check_password, mirror=identity, code_service=identity)
    monkeypatch.setattr(service, "context", lambda: hosted)
    return Mfa(routes.Paths.under("/settings/security", sign_in="/sign-in", sign_out=""))


def clerk_request(keys: Keys, session_id: str) -> Request:
    return Request(cookies=session_cookie(keys.token(session_id=session_id)))


def test_a_new_clerk_sign_in_of_a_user_with_mfa_waits_for_the_second_factor(mfa: Mfa, keys: Keys, ctx, outbox) -> None:
    first = clerk_request(keys, "sess_1")
    token = service_token(first)
    assert token == "sess_1"
    accounts.reverify(service.context(), token, "password", PASSWORD)  # Clerk's password: step-up
    enable_mfa(service.context(), outbox, token, PHONE)
    assert mfa.access_for(first).status == "verified"
    assert mfa.access_for(clerk_request(keys, "sess_1")).status == "verified"  # a renewed token

    later = "sess_" + secrets.token_hex(8)  # signed in again with Clerk, on another device
    assert mfa.access_for(clerk_request(keys, later)).status == "needs_second_factor"
    pending = service_token(clerk_request(keys, later))
    phone_id = accounts.host_challenge(ctx, pending).supported_second_factors[0].phone_number_id
    accounts.prepare_second_factor(ctx, pending, phone_id)
    accounts.attempt_second_factor(ctx, pending, "phone_code", outbox.last_code(PHONE))
    access = mfa.access_for(clerk_request(keys, later))
    assert access.status == "verified"
    assert access.user is not None and (access.user.user_id, access.user.email) == ("user_ada", "ada@example.com")


def test_an_mfa_phone_added_through_mfa_app_is_clerks_second_factor(
    mfa: Mfa, keys: Keys, clerk: FakeClerk, outbox
) -> None:
    token = service_token(clerk_request(keys, "sess_1"))
    assert clerk.users["user_ada"]["two_factor_enabled"] is False
    accounts.reverify(service.context(), token, "password", PASSWORD)
    enable_mfa(service.context(), outbox, token, PHONE)  # add, verify, use for MFA: the page's steps
    user = clerk.users["user_ada"]
    (phone,) = user["phone_numbers"]
    assert phone["phone_number"] == PHONE and phone["verification"]["status"] == "verified"
    assert (phone["reserved_for_second_factor"], phone["default_second_factor"]) == (True, True)
    assert user["two_factor_enabled"] is True  # Clerk's <SignIn/> now asks for the second factor
    assert user["primary_phone_number_id"] is None  # not made the number Clerk signs in with
    page = accounts.manage_page(service.context(), token, 5)
    assert page.user.two_factor_enabled is True and page.can_choose_default is False


def test_a_clerk_sign_in_that_passed_clerks_second_factor_is_not_asked_again(mfa: Mfa, keys: Keys, outbox) -> None:
    token = service_token(clerk_request(keys, "sess_1"))
    accounts.reverify(service.context(), token, "password", PASSWORD)
    enable_mfa(service.context(), outbox, token, PHONE)
    asked = "sess_" + secrets.token_hex(8)  # fva [0, -1]: no second factor at Clerk's sign-in
    assert mfa.access_for(clerk_request(keys, asked)).status == "needs_second_factor"
    passed = "sess_" + secrets.token_hex(8)  # Clerk's <SignIn/> asked for the phone's code: fva [0, 0]
    request = Request(cookies=session_cookie(keys.token(session_id=passed, fva=[0, 0])))
    access = mfa.access_for(request)
    assert access.status == "verified" and access.user is not None and access.user.second_factor_verified
    for fva in ([0], "0,0", [0, True], None):  # anything else is no second factor
        other = Request(cookies=session_cookie(keys.token(session_id="sess_" + secrets.token_hex(8), fva=fva)))
        assert mfa.access_for(other).status == "needs_second_factor"


def test_no_valid_token_is_signed_out(mfa: Mfa, keys: Keys) -> None:
    assert mfa.access_for(Request()).status == "signed_out"
    assert mfa.access_for(Request(cookies=session_cookie(keys.token(signer=keys.other)))).status == "signed_out"
    assert service_token(Request(cookies=session_cookie(keys.token(azp="https://evil.example")))) == ""
