"""What the Clerk tests share besides fixtures (tests/clerk/conftest.py keeps those): a fake of
Clerk's Backend API on 127.0.0.1, and `__session` tokens signed with a test key.

The fake serves what mfa_app.clerk calls: GET /v1/users/{id}, GET /v1/sessions/{id}, GET /v1/sessions?user_id=…&status=…,
POST /v1/sessions/{id}/revoke,
POST /v1/users/{id}/verify_password, and for the second factor kept in Clerk
POST /v1/phone_numbers, PATCH and DELETE /v1/phone_numbers/{id}, PATCH /v1/users/{id}
(backup_codes), DELETE /v1/users/{id}/backup_code, DELETE /v1/users/{id}/mfa and
POST /v1/users/{id}/verify_totp, with the secret key as a bearer token. Every request body it
takes and every answer it gives is checked against the official SDK's models
(clerk-backend-api), so its shapes are Clerk's. What Clerk does not document it plays the
unsafe way unless told otherwise: an import of backup codes adds to the earlier ones
(`import_replaces = False`), and `codes_on_first_reserve` makes it hand out backup codes of its
own when a user's first phone is reserved (as Clerk's Frontend API does).
`clerk.fail(*faults)` queues one fault per coming request, then it answers normally again:
  "429"    429 with `Retry-After: <retry_after>` (nothing done)
  "500"    500 with Clerk's error JSON (after doing the work: a password check was counted)
  "503"    503 with `Retry-After: <retry_after>` (nothing done)
  "slow"   answers normally, but only after `slow_s` seconds
  "reset"  reads the request, then resets the connection without answering
  400...   (an int) that status with an error code mfa_app has no text for (nothing done)
  0        no fault: answers normally (to let earlier requests through)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
from clerk_backend_api import models
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from mfa_app import accounts
from mfa_app.accounts.context import AccountContext
from mfa_app.sms.base import SmsMessage
from mfa_app.sms.outbox import OutboxSender
from tests.helpers import Outbox
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
        self.backup_codes: dict[str, list[str]] = {}  # per user id, in the clear
        # The codes Clerk texts (prepare_verification), by verification id; and where the texts
        # go: the tests' outbox, in its format, so the tests read Clerk's codes as mfa_app's.
        self.verifications: dict[str, dict[str, Any]] = {}
        self.outbox: OutboxSender | None = None
        self.import_replaces = False
        self.codes_on_first_reserve: list[str] | None = None
        self._ids = 0
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
        if isinstance(fault, int) and fault >= 400:  # a refusal with a code mfa_app doesn't know
            _respond(handler, fault, clerk_errors("unexpected_refusal", "Refused for ada@example.com"))
            return
        status, body = self._answer(handler.command, handler.path, json.loads(raw) if raw else {})
        if fault == "500":
            status, body = 500, clerk_errors("internal_clerk_error", "Oops, an unexpected error occurred")
        _respond(handler, status, body)

    def phones(self, user_id: str) -> dict[str, dict[str, Any]]:
        """The user's PhoneNumber resources by number."""
        return {p["phone_number"]: p for p in self.users[user_id]["phone_numbers"]}

    def add_phone(self, user_id: str, number: str, *, verified: bool = True, reserved: bool = False) -> dict[str, Any]:
        """A phone number put on the user in Clerk (its own UI, or an earlier push)."""
        with self._lock:
            return self._create_phone(user_id, number, verified=verified, reserved=reserved)

    def _answer(self, method: str, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        parts = path.split("/")  # "", "v1", "users", id[, "verify_password"]
        with self._lock:
            factors = self._factor_answer(method, parts, body)
        if factors is not None:
            return factors
        if method == "GET" and len(parts) == 4 and parts[2] == "users" and parts[3] in self.users:
            return 200, self.users[parts[3]]
        if method == "GET" and path.startswith("/v1/sessions?"):
            query = parse_qs(urlsplit(path).query)
            listed = [
                s
                for s in self.sessions.values()
                if s["user_id"] in query.get("user_id", [s["user_id"]])
                and s["status"] in query.get("status", [s["status"]])
            ]
            for session in listed:
                models.Session.model_validate(session)
            return 200, listed[: int(query.get("limit", ["10"])[0])]
        if method == "POST" and len(parts) == 5 and parts[2] == "sessions" and parts[4] == "revoke":
            if parts[3] not in self.sessions:
                return 404, clerk_errors("resource_not_found", "Session not found")
            with self._lock:
                self.sessions[parts[3]]["status"] = "revoked"
            models.Session.model_validate(self.sessions[parts[3]])
            return 200, self.sessions[parts[3]]
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

    def _factor_answer(self, method: str, parts: list[str], body: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
        """The phone-number and backup-code endpoints (under the lock), or None for another."""
        if method == "POST" and parts[2:] == ["phone_numbers"]:
            request = models.CreatePhoneNumberRequestBody.model_validate(body)
            if request.user_id not in self.users:
                return 404, clerk_errors("resource_not_found", "User not found")
            if any(request.phone_number in self.phones(u) for u in self.users):
                return 422, clerk_errors("form_identifier_exists", f"{request.phone_number} is taken")
            if request.reserved_for_second_factor and not request.verified:
                return 422, clerk_errors("form_param_value_invalid", "A reserved number must be verified")
            phone = self._create_phone(
                request.user_id,
                request.phone_number,
                verified=bool(request.verified),
                reserved=bool(request.reserved_for_second_factor),
            )
            return 200, self._phone_answer(phone)
        if len(parts) == 5 and parts[2] == "phone_numbers" and method == "POST":
            return self._verification_answer(parts[3], parts[4], body)
        if len(parts) == 4 and parts[2] == "phone_numbers" and method in ("PATCH", "DELETE"):
            found = next(
                ((u, p) for u in self.users for p in self.users[u]["phone_numbers"] if p["id"] == parts[3]), None
            )
            if found is None:
                return 404, clerk_errors("resource_not_found", "Phone number not found")
            user_id, phone = found
            if method == "DELETE":
                self.users[user_id]["phone_numbers"].remove(phone)
                self._update_flags(user_id)
                deleted = {"object": "phone_number", "id": phone["id"], "deleted": True}
                models.DeletedObject.model_validate(deleted)
                return 200, deleted
            update = models.UpdatePhoneNumberRequestBody.model_validate(body)
            if update.verified:
                phone["verification"] = _admin_verification()
            if update.reserved_for_second_factor is not None:
                if update.reserved_for_second_factor and phone["verification"] is None:
                    return 422, clerk_errors("form_param_value_invalid", "A reserved number must be verified")
                self._reserve(user_id, phone, update.reserved_for_second_factor)
            phone["updated_at"] = _millis()
            self._update_flags(user_id)
            return 200, self._phone_answer(phone)
        if len(parts) < 4 or parts[2] != "users" or parts[3] not in self.users:
            return None
        user_id, rest = parts[3], parts[4:]
        if method == "PATCH" and not rest:
            update_user = models.UpdateUserRequestBody.model_validate(body)
            if update_user.backup_codes is not None:
                kept = [] if self.import_replaces else self.backup_codes.get(user_id, [])
                self.backup_codes[user_id] = kept + list(update_user.backup_codes)
            self._update_flags(user_id)
            return 200, self.users[user_id]
        if method == "DELETE" and rest == ["backup_code"]:
            self.backup_codes.pop(user_id, None)
            self._update_flags(user_id)
            answer = {"user_id": user_id}
            models.DeleteBackupCodeResponseBody.model_validate(answer)
            return 200, answer
        if method == "DELETE" and rest == ["mfa"]:
            for phone in self.users[user_id]["phone_numbers"]:
                phone["reserved_for_second_factor"] = phone["default_second_factor"] = False
            self.backup_codes.pop(user_id, None)
            self.users[user_id]["totp_enabled"] = False
            self._update_flags(user_id)
            answer = {"user_id": user_id}
            models.DisableMFAResponseBody.model_validate(answer)
            return 200, answer
        if method == "POST" and rest == ["verify_totp"]:
            code = models.VerifyTOTPRequestBody.model_validate(body).code
            codes = self.backup_codes.get(user_id, [])
            if code not in codes:
                return 422, clerk_errors("verification_failed", "Incorrect code")
            codes.remove(code)
            self._update_flags(user_id)
            verified = {"verified": True, "code_type": "backup_code"}
            models.VerifyTOTPResponseBody.model_validate(verified)
            return 200, verified
        return None

    def _verification_answer(self, phone_id: str, action: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """prepare_verification: a new code texted to the number (at most 3 tries, 10 minutes);
        attempt_verification: the verification's status after one try (a right code also
        verifies the number)."""
        found = next((p for u in self.users for p in self.users[u]["phone_numbers"] if p["id"] == phone_id), None)
        if found is None:
            return 404, clerk_errors("resource_not_found", "Phone number not found")
        if action == "prepare_verification":
            self._ids += 1
            code = f"{secrets.randbelow(10**6):06d}"
            verification = {
                "object": "verification",
                "id": f"ver_clerk_{self._ids}",
                "status": "unverified",
                "strategy": "phone_code",
                "attempts": 0,
                "expire_at": _millis() + 600_000,
            }
            self.verifications[verification["id"]] = {**verification, "code": code, "phone_id": phone_id}
            if self.outbox is not None:
                self.outbox.send(
                    SmsMessage(
                        to=found["phone_number"], body=f"Clerk: {code} is your code.\n\n#{code}", purpose="notification"
                    )
                )
            models.VerificationResponse.model_validate(verification)
            return 200, verification
        if action != "attempt_verification":
            return 404, clerk_errors("resource_not_found", "Resource not found")
        attempt = models.AttemptPhoneNumberVerificationRequestBody.model_validate(body)
        kept = self.verifications.get(attempt.verification_id)
        if kept is None or kept["phone_id"] != phone_id:
            return 404, clerk_errors("resource_not_found", "Verification not found")
        if kept["status"] == "verified":
            return 422, clerk_errors("verification_already_verified", "This verification has already been verified")
        if kept["expire_at"] < _millis():
            kept["status"] = "expired"
        elif kept["status"] != "failed":
            kept["attempts"] += 1
            if attempt.code == kept["code"]:
                kept["status"] = "verified"
                found["verification"] = {
                    **_admin_verification(),
                    "strategy": "phone_code",
                    "object": "verification_otp",
                }
                found["updated_at"] = _millis()
            elif kept["attempts"] >= 3:
                kept["status"] = "failed"
        answer = {k: v for k, v in kept.items() if k not in ("code", "phone_id")}
        models.VerificationResponse.model_validate(answer)
        return 200, answer

    def _create_phone(self, user_id: str, number: str, *, verified: bool, reserved: bool) -> dict[str, Any]:
        self._ids += 1
        now = _millis()
        phone: dict[str, Any] = {
            "id": f"idn_clerk_{self._ids}",
            "object": "phone_number",
            "phone_number": number,
            "reserved": False,
            "verification": _admin_verification() if verified else None,
            "linked_to": [],
            "reserved_for_second_factor": False,
            "default_second_factor": False,
            "created_at": now,
            "updated_at": now,
        }
        self.users[user_id]["phone_numbers"].append(phone)
        if reserved:
            self._reserve(user_id, phone, True)
        self._update_flags(user_id)
        return phone

    def _reserve(self, user_id: str, phone: dict[str, Any], reserved: bool) -> None:
        """As Clerk documents it: a number reserved while no other is becomes the default. A
        default released hands the default to the oldest other reserved number (a guess)."""
        others = [p for p in self.users[user_id]["phone_numbers"] if p is not phone and p["reserved_for_second_factor"]]
        was_default = phone["default_second_factor"]
        if reserved and not phone["reserved_for_second_factor"]:
            phone["reserved_for_second_factor"] = True
            phone["default_second_factor"] = not others
            if not others and self.codes_on_first_reserve is not None:
                self.backup_codes[user_id] = list(self.codes_on_first_reserve)
                phone["backup_codes"] = list(self.codes_on_first_reserve)
        elif not reserved:
            phone["reserved_for_second_factor"] = phone["default_second_factor"] = False
            if was_default and others:
                others[0]["default_second_factor"] = True

    def _phone_answer(self, phone: dict[str, Any]) -> dict[str, Any]:
        answer = dict(phone)
        phone.pop("backup_codes", None)  # handed out once, with the answer that made them
        models.PhoneNumber.model_validate(answer)
        return answer

    def _update_flags(self, user_id: str) -> None:
        user = self.users[user_id]
        reserved = any(p["reserved_for_second_factor"] for p in user["phone_numbers"])
        user["two_factor_enabled"] = reserved or user["totp_enabled"]
        user["backup_code_enabled"] = bool(self.backup_codes.get(user_id))
        user["updated_at"] = _millis()
        models.User.model_validate(user)


def _admin_verification() -> dict[str, Any]:
    """How Clerk marks a number the Backend API created verified."""
    return {
        "object": "verification_admin",
        "status": "verified",
        "strategy": "admin",
        "attempts": None,
        "expire_at": None,
    }


def _respond(handler: BaseHTTPRequestHandler, status: int, body: Any, *, headers: dict[str, str] | None = None) -> None:
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


PHONE = "+14155550142"


@dataclass
class Clerked:
    """A Clerk user signed in to mfa_app (ctx with ClerkIdentity as its password check and
    mirror), and the steps the pages take."""

    ctx: AccountContext
    token: str
    clerk: FakeClerk

    def add_phone(self, outbox: Outbox, number: str = PHONE) -> str:
        phone = accounts.create_phone(self.ctx, self.token, number)
        accounts.prepare_verification(self.ctx, self.token, phone.id)
        accounts.attempt_verification(self.ctx, self.token, phone.id, outbox.last_code(number))
        return phone.id

    def use_for_mfa(self, phone_id: str, reserved: bool = True) -> None:
        accounts.set_reserved_for_second_factor(self.ctx, self.token, phone_id, reserved)

    def at_clerk(self, number: str = PHONE) -> dict:
        return self.clerk.phones("user_ada")[number]

    @property
    def clerk_user(self) -> dict:
        return self.clerk.users["user_ada"]

    def mfa_app_phone(self, number: str = PHONE):
        return next(p for p in accounts.list_phones(self.ctx, self.token) if p.phone_number == number)

    def step_up_by_sms(self, outbox: Outbox) -> None:
        """Step-up re-verification once MFA is on (the password no longer does)."""
        self.ctx.clock.advance(seconds=31)  # type: ignore[attr-defined]
        status = accounts.reverification_status(self.ctx, self.token)
        phone = status.phones[0]
        accounts.prepare_reverification(self.ctx, self.token, phone.phone_number_id)
        number = next(
            p.phone_number for p in accounts.list_phones(self.ctx, self.token) if p.id == phone.phone_number_id
        )
        accounts.reverify(self.ctx, self.token, "phone_code", outbox.last_code(number))

    def calls(self) -> list[tuple[str, str]]:
        done = list(self.clerk.requests)
        self.clerk.requests.clear()
        return done


# Clerk's webhooks, signed as Svix signs them (mfa_app/clerk/webhooks.py).
SIGNING_SECRET = "whsec_" + base64.b64encode(b"the endpoint's signing secret!!").decode()


def signed(body: bytes, *, secret: str = SIGNING_SECRET, at: float | None = None) -> dict[str, str]:
    """The Svix headers Clerk sends with `body`."""
    message_id, timestamp = "msg_" + secrets.token_hex(8), str(int(at if at is not None else time.time()))
    key = base64.b64decode(secret.removeprefix("whsec_"))
    mac = hmac.new(key, f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return {
        "svix-id": message_id,
        "svix-timestamp": timestamp,
        "svix-signature": "v1," + base64.b64encode(mac).decode(),
    }


def user_updated(user_id: str = "user_ada") -> bytes:
    return json.dumps({"type": "user.updated", "object": "event", "data": {"id": user_id, "object": "user"}}).encode()
