"""A fake of Clerk's Backend API on 127.0.0.1, and `__session` tokens signed with a test key.

The fake serves what mfa_app.clerk calls: GET /v1/users/{id}, GET /v1/sessions/{id} and
POST /v1/users/{id}/verify_password, with the secret key as a bearer token. Every answer it
gives is first checked against the official SDK's models (clerk-backend-api), so its shapes
are Clerk's. `clerk.fail(*faults)` queues one fault per coming request, then it answers
normally again:
  "429"    429 with `Retry-After: <retry_after>` (nothing done)
  "500"    500 with Clerk's error JSON (after doing the work: a password check was counted)
  "503"    503 with `Retry-After: <retry_after>` (nothing done)
  "slow"   answers normally, but only after `slow_s` seconds
  "reset"  reads the request, then resets the connection without answering
"""

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
