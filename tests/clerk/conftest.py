"""The Clerk tests' fixtures: the fake Backend API (tests/clerk/helpers.py), the keys, an
identity on them, a Clerk user signed in to mfa_app on it (`ada`), with MFA and backup codes
(`codes`)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from mfa_app import accounts
from mfa_app.clerk import ClerkIdentity, ClerkSettings
from mfa_app.identity import Request
from tests.clerk.helpers import (
    CONNECT_TIMEOUT_S,
    ORIGIN,
    PASSWORD,
    SECRET_KEY,
    TOTAL_TIMEOUT_S,
    Clerked,
    FakeClerk,
    Keys,
    session_cookie,
)
from tests.helpers import Outbox
from tests.loopback_http import CountingClient


@pytest.fixture(scope="session")
def keys() -> Keys:
    return Keys()


@pytest.fixture
def clerk(outbox: Outbox) -> Iterator[FakeClerk]:
    server = FakeClerk()
    server.outbox = outbox  # the codes Clerk texts, read as mfa_app's are
    server.add_user("user_ada", "ada@old.example", "ada@example.com", primary=1)
    server.add_session("sess_1", "user_ada")
    yield server
    server.close()


@pytest.fixture
def http() -> Iterator[CountingClient]:
    with CountingClient() as client:
        yield client


@pytest.fixture
def clerk_settings(keys: Keys, clerk: FakeClerk) -> ClerkSettings:
    return ClerkSettings(
        secret_key=SECRET_KEY,
        jwt_key=keys.public_pem,
        api_url=clerk.api_url,
        authorized_parties=ORIGIN,
        clock_skew_s=5,
        connect_timeout_s=CONNECT_TIMEOUT_S,
        total_timeout_s=TOTAL_TIMEOUT_S,
    )


@pytest.fixture
def identity(clerk_settings: ClerkSettings, http: CountingClient) -> ClerkIdentity:
    return ClerkIdentity(clerk_settings, client=http)


@pytest.fixture
def ada(identity: ClerkIdentity, keys: Keys, clerk: FakeClerk, ctx) -> Clerked:
    hosted = replace(ctx, check_password=identity.check_password, mirror=identity, code_service=identity)
    who = identity.signed_in(Request(cookies=session_cookie(keys.token())))
    assert who is not None
    token = accounts.adopt_host_sign_in(hosted, who)
    accounts.reverify(hosted, token, "password", PASSWORD)  # step-up by Clerk's password
    clerk.requests.clear()
    return Clerked(hosted, token, clerk)


@pytest.fixture
def codes(ada: Clerked, outbox: Outbox) -> list[str]:
    ada.use_for_mfa(ada.add_phone(outbox))
    ada.step_up_by_sms(outbox)
    made = accounts.create_backup_codes(ada.ctx, ada.token).codes
    ada.ctx.clock.advance(seconds=3600)  # type: ignore[attr-defined]  # the step-up window long gone
    ada.calls()
    return made
