"""The calls mfa_app makes to Clerk's Backend API (https://api.clerk.com/v1), with the
instance's secret key as a bearer token: a user (for the primary email address, and its phone
numbers and MFA flags), a session (whether it is still active), a user's active sessions and
their sign-out, a user's password check, the text-message codes Clerk sends and checks
(prepare_verification, attempt_verification), and the writes that keep the user's second factor
in Clerk (factors.py): phone numbers created, updated and deleted, backup codes imported and
deleted, MFA disabled.

Of Clerk's error answers only the code is logged, and the secret key goes into no log, error
or repr."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

import httpx

from mfa_app.accounts.errors import AccountError, signed_out
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

    def active_session_ids(self, user_id: str) -> list[str]:
        """The ids of the user's active sessions (GET /sessions; Clerk answers at most 500)."""
        response = self._send("GET", "/sessions", "", params={"user_id": user_id, "status": "active", "limit": 500})
        if not response.is_success:
            raise _unavailable(response)
        try:
            sessions = response.json()
        except ValueError:
            raise _unavailable(response) from None
        if not isinstance(sessions, list):
            raise _unavailable(response)
        return [s["id"] for s in sessions if isinstance(s, dict) and s.get("user_id") == user_id and s.get("id")]

    def revoke_session(self, session_id: str) -> None:
        """POST /sessions/{id}/revoke: that sign-in ends at Clerk (ClerkJS signs the tab out)."""
        self._write("POST", "/sessions/{id}/revoke", session_id, missing_ok=True)

    def verify_password(self, user_id: str, password: str) -> bool:
        """Clerk's check of the user's password: 200 `{"verified": true}` when it matches, a
        4xx refusal when it does not (or the user has no password)."""
        return self._verified("/users/{id}/verify_password", user_id, {"password": password}, "a password check")

    def user(self, user_id: str) -> dict[str, Any]:
        """The User resource (phone_numbers, two_factor_enabled, backup_code_enabled...); a user
        deleted in Clerk is signed out."""
        user = self._read("/users/{id}", user_id)
        if user is None:
            raise signed_out()
        return user

    def create_phone(self, user_id: str, number: str, *, reserved: bool, verified: bool = True) -> dict[str, Any]:
        """A phone number on the user (POST /phone_numbers), verified or not (to be verified by a
        code Clerk sends), reserved for MFA or not."""
        body: dict[str, Any] = {"user_id": user_id, "phone_number": number, "verified": verified, "primary": False}
        if reserved:
            body["reserved_for_second_factor"] = True
        return self._write("POST", "/phone_numbers", "", json=body)

    def update_phone(self, phone_id: str, **fields: bool) -> dict[str, Any]:
        """PATCH /phone_numbers/{id}: `verified`, `reserved_for_second_factor` (no setter for
        the default second factor)."""
        return self._write("PATCH", "/phone_numbers/{id}", phone_id, json=fields)

    def delete_phone(self, phone_id: str) -> None:
        self._write("DELETE", "/phone_numbers/{id}", phone_id, missing_ok=True)

    def import_backup_codes(self, user_id: str, codes: list[str]) -> None:
        """PATCH /users/{id} with `backup_codes` (plain: Clerk takes plain codes or bcrypt digests)."""
        self._write("PATCH", "/users/{id}", user_id, json={"backup_codes": codes})

    def delete_backup_codes(self, user_id: str) -> None:
        self._write("DELETE", "/users/{id}/backup_code", user_id, missing_ok=True)

    def disable_mfa(self, user_id: str) -> None:
        self._write("DELETE", "/users/{id}/mfa", user_id, missing_ok=True)

    def verify_totp(self, user_id: str, code: str) -> bool:
        """POST /users/{id}/verify_totp: whether Clerk took the code (a backup code is then used
        up there); a refusal (the code is not one of Clerk's) is False. Not retried once it may
        have reached Clerk."""
        return self._verified("/users/{id}/verify_totp", user_id, {"code": code}, "a backup code")

    def prepare_phone_verification(self, phone_id: str) -> str:
        """POST /phone_numbers/{id}/prepare_verification: Clerk sends a code to the number; the
        id of that verification. Not retried once it may have reached Clerk (a second text)."""
        verification_id = self._write("POST", "/phone_numbers/{id}/prepare_verification", phone_id).get("id")
        if not isinstance(verification_id, str) or not verification_id:
            raise ClerkUnavailable()
        return verification_id

    def attempt_phone_verification(self, phone_id: str, verification_id: str, code: str) -> str:
        """POST /phone_numbers/{id}/attempt_verification: the verification's status after this
        try (`verified`, `unverified` for a wrong code, `expired`, `failed` after too many tries),
        or `used` when Clerk had already taken that verification's code."""
        body = {"verification_id": verification_id, "code": code}
        response = self._send("POST", "/phone_numbers/{id}/attempt_verification", phone_id, json=body)
        if response.is_success:
            status = _json(response).get("status")
            return status if isinstance(status, str) else "unverified"
        if response.status_code in (400, 404, 422):
            code_of_refusal = error_code(response)
            log.info("clerk refused a code: HTTP %d, %s", response.status_code, code_of_refusal)
            return "used" if code_of_refusal == "verification_already_verified" else "failed"
        raise _unavailable(response)

    def _verified(self, endpoint: str, user_id: str, body: dict[str, str], what: str) -> bool:
        """One of Clerk's checks: 200 `{"verified": true}` when it matches, a 4xx refusal when it
        does not; anything else is Clerk unavailable."""
        response = self._send("POST", endpoint, user_id, json=body)
        if response.is_success:
            return _json(response).get("verified") is True
        if response.status_code in (400, 404, 422):
            log.info("clerk refused %s: HTTP %d, %s", what, response.status_code, error_code(response))
            return False
        raise _unavailable(response)

    def _write(
        self, method: str, endpoint: str, resource_id: str, *, missing_ok: bool = False, **request: Any
    ) -> dict[str, Any]:
        """A change at Clerk: its answer's JSON; a refusal (4xx) as ClerkRefused, with Clerk's
        code logged and a message the person can act on; `missing_ok`: a 404 is what was asked
        (a DELETE of what is already gone)."""
        response = self._send(method, endpoint, resource_id, **request)
        if response.is_success:
            return _json(response)
        if response.status_code == 404 and missing_ok:
            return {}
        if response.status_code in (400, 402, 404, 409, 422):  # 401/403: the operator's key
            code = error_code(response)
            log.warning("clerk refused %s %s: HTTP %d, %s", method, endpoint, response.status_code, code)
            raise ClerkRefused(code)
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


# Clerk's refusals of a change, as the person reads them (their own messages can name the user).
_REFUSALS = {
    "form_identifier_exists": "This phone number is already used by another account, so it can't be added to yours.",
    "form_param_format_invalid": "Your account's sign-in service doesn't accept this phone number.",
    "form_param_value_invalid": "Your account's sign-in service doesn't accept this phone number.",
    "phone_number_exists": "This phone number is already used by another account, so it can't be added to yours.",
}
REFUSED = (
    "Your account's sign-in service refused this change, so nothing was changed. "
    "Try again, or contact support if it keeps happening."
)


class ClerkRefused(AccountError):
    """Clerk answered a change with a refusal (4xx): nothing was changed in mfa_app either."""

    def __init__(self, clerk_code: str) -> None:
        super().__init__("clerk_refused", _REFUSALS.get(clerk_code, REFUSED), status=422, clerk_code=clerk_code)


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
