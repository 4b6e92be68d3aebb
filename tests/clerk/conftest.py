"""The Clerk tests' fixtures: the fake Backend API (tests/clerk/helpers.py), the keys, an
identity on them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mfa_app.clerk import ClerkIdentity, ClerkSettings
from tests.clerk.helpers import CONNECT_TIMEOUT_S, ORIGIN, SECRET_KEY, TOTAL_TIMEOUT_S, FakeClerk, Keys
from tests.loopback_http import CountingClient


@pytest.fixture(scope="session")
def keys() -> Keys:
    return Keys()


@pytest.fixture
def clerk() -> Iterator[FakeClerk]:
    server = FakeClerk()
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
