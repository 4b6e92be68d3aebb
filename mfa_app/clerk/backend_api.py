"""The three calls mfa_app makes to Clerk's Backend API (https://api.clerk.com/v1), with the
instance's secret key as a bearer token: a user (for the primary email address), a session
(whether it is still active) and a user's password check.

Of Clerk's error answers only the code is logged, and the secret key goes into no log, error
or repr."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

import httpx

from mfa_app.clerk import transport
from mfa_app.clerk.settings import ClerkSettings
from mfa_app.clerk.transport import ClerkUnavailable, error_code

log = logging.getLogger("mfa_app.clerk")


class BackendApi:
    def __init__(self, settings: ClerkSettings, client: httpx.Client | None = None) -> None:
        if not settings.secret_key.get_secret_value():
            raise ValueError("CLERK_SECRET_KEY is not set (Clerk dashboard: API keys, secret keys)")
        self._base = settings.api_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {settings.secret_key.get_secret_value()}"}
        self._connect_timeout_s = settings.connect_timeout_s
        self._total_timeout_s = settings.total_timeout_s
        self._client = client or httpx.Client()

    def __repr__(self) -> str:
        return "BackendApi()"

    def primary_email(self, user_id: str) -> str | None:
        """The user's primary email address ("" when they have none); None when Clerk has no
        such user (deleted since the token was made)."""
        user = self._read("/users/{id}", user_id)
        if user is None:
            return None
        primary = user.get("primary_email_address_id")
        addresses = user.get("email_addresses") or []
        return next((a.get("email_address") or "" for a in addresses if primary and a.get("id") == primary), "")

    def session_active(self, session_id: str, user_id: str) -> bool:
        """Whether this session of this user is still signed in at Clerk."""
        session = self._read("/sessions/{id}", session_id)
        return session is not None and session.get("status") == "active" and session.get("user_id") == user_id

    def verify_password(self, user_id: str, password: str) -> bool:
        """Clerk's check of the user's password: 200 `{"verified": true}` when it matches, a
        4xx refusal when it does not (or the user has no password)."""
        response = self._send("POST", "/users/{id}/verify_password", user_id, json={"password": password})
        if response.is_success:
            return _json(response).get("verified") is True
        if response.status_code in (400, 404, 422):
            log.info("clerk refused a password check: HTTP %d, %s", response.status_code, error_code(response))
            return False
        raise _unavailable(response)

    def _read(self, endpoint: str, resource_id: str) -> dict[str, Any] | None:
        response = self._send("GET", endpoint, resource_id)
        if response.status_code == 404:
            return None
        if not response.is_success:
            raise _unavailable(response)
        return _json(response)

    def _send(self, method: str, endpoint: str, resource_id: str, **request: Any) -> httpx.Response:
        """`endpoint` with its {id} filled in (quoted: an id can't reach another endpoint)."""
        return transport.send(
            self._client,
            method,
            self._base + endpoint.replace("{id}", quote(resource_id, safe="")),
            endpoint=f"{method} {endpoint}",
            connect_timeout_s=self._connect_timeout_s,
            total_timeout_s=self._total_timeout_s,
            headers=self._headers,
            **request,
        )


def _unavailable(response: httpx.Response) -> ClerkUnavailable:
    # 401/403: the operator's secret key or instance, not anything the person did.
    level = logging.ERROR if response.status_code in (401, 403) else logging.WARNING
    log.log(level, "clerk answered HTTP %d, %s", response.status_code, error_code(response))
    return ClerkUnavailable()


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        raise _unavailable(response) from None
    if not isinstance(body, dict):
        raise _unavailable(response)
    return body
