"""What the Clerk tests share besides fixtures: a fake of Clerk's Backend API on loopback, the
signing keys and the session cookies. tests/clerk/conftest.py keeps the fixtures."""

from __future__ import annotations

import json
import secrets
import time
from http.server import BaseHTTPRequestHandler
from typing import Any

import jwt
from clerk_backend_api import models
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.loopback_http import LoopbackServer, reset_connection, respond

SECRET_KEY = "sk_test_" + "Zm9vYmFy" * 5


ORIGIN = "https://app.example.com"


CONNECT_TIMEOUT_S = 0.3


TOTAL_TIMEOUT_S = 1.0


PASSWORD = "correct horse battery staple"


def _millis() -> int:
    return int(time.time() * 1000)


def clerk_user(user_id: str, emails: list[str], primary: int | None = 0) -> dict[str, Any]:
    """A User resource as the Backend API returns it (every field the SDK's model requires)."""
    now = _millis()
    addresses = [
        {
            "id": f"idn_{user_id}_{n}",
            "object": "email_address",
            "email_address": email,
            "reserved": False,
            "verification": None,
            "linked_to": [],
            "created_at": now,
            "updated_at": now,
        }
        for n, email in enumerate(emails)
    ]
    user = {
        "id": user_id,
        "object": "user",
        "external_id": None,
        "primary_email_address_id": addresses[primary]["id"] if primary is not None else None,
        "primary_phone_number_id": None,
        "primary_web3_wallet_id": None,
        "username": None,
        "first_name": None,
        "last_name": None,
        "has_image": False,
        "profile_image_url": "https://img.clerk.com/placeholder",
        "public_metadata": {},
        "private_metadata": {},
        "unsafe_metadata": {},
        "email_addresses": addresses,
        "phone_numbers": [],
        "web3_wallets": [],
        "passkeys": [],
        "password_enabled": True,
        "two_factor_enabled": False,
        "totp_enabled": False,
        "backup_code_enabled": False,
        "mfa_enabled_at": None,
        "mfa_disabled_at": None,
        "external_accounts": [],
        "saml_accounts": [],
        "enterprise_accounts": [],
        "last_sign_in_at": now,
        "banned": False,
        "locked": False,
        "lockout_expires_in_seconds": None,
        "verification_attempts_remaining": 100,
        "updated_at": now,
        "created_at": now,
        "delete_self_enabled": True,
        "create_organization_enabled": True,
        "last_active_at": now,
        "legal_accepted_at": None,
    }
    models.User.model_validate(user)
    return user


def clerk_session(session_id: str, user_id: str, status: str = "active") -> dict[str, Any]:
    now = _millis()
    session = {
        "object": "session",
        "id": session_id,
        "user_id": user_id,
        "client_id": "client_test",
        "status": status,
        "last_active_at": now,
        "expire_at": now + 7 * 24 * 3600 * 1000,
        "abandon_at": now + 30 * 24 * 3600 * 1000,
        "updated_at": now,
        "created_at": now,
    }
    models.Session.model_validate(session)
    return session


def clerk_errors(code: str, message: str) -> dict[str, Any]:
    errors = {"errors": [{"code": code, "message": message, "long_message": f"{message} (long)"}]}
    models.ClerkErrorsData.model_validate(errors)
    return errors


class FakeClerk(LoopbackServer):
    def __init__(self) -> None:
        self.users: dict[str, dict[str, Any]] = {}
        self.passwords: dict[str, str] = {}
        self.sessions: dict[str, dict[str, Any]] = {}
        self.requests: list[tuple[str, str]] = []  # (method, path) of every authenticated request
        self.bodies: list[dict[str, Any]] = []  # the JSON body of every authenticated POST
        self.authorizations: list[str] = []  # the Authorization header of every request
        self.password_checks = 0  # the checks Clerk did (and would count towards its lockout)
        super().__init__()

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def add_user(self, user_id: str, *emails: str, primary: int | None = 0, password: str = PASSWORD) -> None:
        self.users[user_id] = clerk_user(user_id, list(emails), primary)
        self.passwords[user_id] = password

    def add_session(self, session_id: str, user_id: str, status: str = "active") -> None:
        self.sessions[session_id] = clerk_session(session_id, user_id, status)

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        raw = handler.rfile.read(int(handler.headers.get("Content-Length", 0)))
        authorization = handler.headers.get("Authorization", "")
        with self._lock:
            self.authorizations.append(authorization)
        if authorization != f"Bearer {SECRET_KEY}":
            _respond(handler, 401, clerk_errors("authentication_invalid", "Invalid authentication"))
            return
        with self._lock:
            self.requests.append((handler.command, handler.path))
            if raw:
                self.bodies.append(json.loads(raw))
            fault = self.next_fault()
        if fault == "slow":
            self.wait_slowly()
        if fault == "reset":
            reset_connection(handler)
            return
        if fault in ("429", "503"):
            _respond(
                handler,
                int(fault),
                clerk_errors("too_many_requests", "Too many requests"),
                headers={"Retry-After": self.retry_after},
            )
            return
        status, body = self._answer(handler.command, handler.path, json.loads(raw) if raw else {})
        if fault == "500":
            status, body = 500, clerk_errors("internal_clerk_error", "Oops, an unexpected error occurred")
        _respond(handler, status, body)

    def _answer(self, method: str, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        parts = path.split("/")  # "", "v1", "users", id[, "verify_password"]
        if method == "GET" and len(parts) == 4 and parts[2] == "users" and parts[3] in self.users:
            return 200, self.users[parts[3]]
        if method == "GET" and len(parts) == 4 and parts[2] == "sessions" and parts[3] in self.sessions:
            models.Session.model_validate(self.sessions[parts[3]])
            return 200, self.sessions[parts[3]]
        if method == "POST" and len(parts) == 5 and parts[2] == "users" and parts[4] == "verify_password":
            if parts[3] not in self.users:
                return 404, clerk_errors("resource_not_found", "User not found")
            with self._lock:
                self.password_checks += 1
            if models.VerifyPasswordRequestBody.model_validate(body).password != self.passwords[parts[3]]:
                email = self.users[parts[3]]["email_addresses"][0]["email_address"]
                return 422, clerk_errors("incorrect_password", f"Password incorrect for {email}")
            verified = {"verified": True}
            models.VerifyPasswordResponseBody.model_validate(verified)
            return 200, verified
        return 404, clerk_errors("resource_not_found", "Resource not found")


def _respond(
    handler: BaseHTTPRequestHandler, status: int, body: dict[str, Any], *, headers: dict[str, str] | None = None
) -> None:
    respond(handler, status, json.dumps(body).encode(), headers=headers)


class Keys:
    """The instance's signing key (and another instance's), and tokens signed with them."""

    def __init__(self) -> None:
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.public_pem = (
            self.private.public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode()
        )

    def token(self, user_id: str = "user_ada", session_id: str = "sess_1", *, signer=None, **claims: Any) -> str:
        """A session token as Clerk makes them (v2 claims), valid for a minute from now unless
        `claims` say otherwise (a claim given as None is left out)."""
        now = int(time.time())
        payload = {
            "azp": ORIGIN,
            "exp": now + 60,
            "fva": [0, -1],
            "iat": now,
            "iss": "https://example.clerk.accounts.dev",
            "nbf": now - 5,
            "sid": session_id,
            "sts": "active",
            "sub": user_id,
            "v": 2,
            **claims,
        }
        payload = {name: value for name, value in payload.items() if value is not None}
        return jwt.encode(payload, signer or self.private, algorithm="RS256", headers={"kid": "ins_test"})


def session_cookie(token: str) -> dict[str, str]:
    return {"__session": token}


def new_session_id() -> str:
    return "sess_" + secrets.token_hex(8)
