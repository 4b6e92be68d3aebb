"""Clerk's `__session` cookie: a JWT (RS256) that ClerkJS renews about every minute, verified
here with the instance's public key, without a call to Clerk.

Checked: the signature (RS256 only, so a token can't pick a weaker algorithm), `exp`, `nbf`
and `iat` with a small leeway for clock skew, `azp` (the origin of the page the token was made
for) among the authorized parties, and that the session is not `pending` (Clerk's session
tasks, such as choosing an organisation, still to do: Clerk's own SDKs count it signed out)."""

from __future__ import annotations

import base64
import hashlib
import re
import time
from collections.abc import Collection
from dataclasses import dataclass

import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

COOKIE = "__session"


def cookie_names(publishable_key: str) -> tuple[str, ...]:
    """The cookies that may carry the token, the one of this instance first: ClerkJS's
    `__session_<suffix>`, the suffix the first 8 characters of the URL-safe base64 of the
    publishable key's SHA-1 (@clerk/shared's getCookieSuffix), then the plain `__session`
    (older ClerkJS versions, and the one newer versions keep setting next to it)."""
    if not publishable_key:
        return (COOKIE,)
    digest = hashlib.sha1(publishable_key.encode(), usedforsecurity=False).digest()
    return (f"{COOKIE}_{base64.urlsafe_b64encode(digest).decode()[:8]}", COOKIE)


_PEM = re.compile(r"-----BEGIN PUBLIC KEY-----(.*?)-----END PUBLIC KEY-----", re.S)


@dataclass(frozen=True)
class SessionClaims:
    user_id: str  # `sub`
    session_id: str  # `sid`
    expires_at: float  # `exp`
    # `fva` (factor verification age, minutes since each factor, -1 for never): this session
    # passed a second factor at Clerk's sign-in (or since).
    second_factor_verified: bool = False


class InvalidSessionToken(Exception):
    """Why a token was refused (a short reason for the log; never the token)."""


def load_public_key(pem: str) -> RSAPublicKey:
    """CLERK_JWT_KEY as Clerk's dashboard shows it, or on one line (as an environment variable
    often holds it: newlines dropped, or written as \\n)."""
    match = _PEM.search(pem.replace("\\n", "\n"))
    body = re.sub(r"\s", "", match.group(1)) if match else ""
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    text = "\n".join(["-----BEGIN PUBLIC KEY-----", *lines, "-----END PUBLIC KEY-----", ""])
    try:
        key = load_pem_public_key(text.encode())
    except ValueError:
        key = None
    if not isinstance(key, RSAPublicKey):
        raise ValueError("CLERK_JWT_KEY is not a PEM RSA public key (Clerk dashboard: API keys, JWKS public key)")
    return key


def verify(
    token: str,
    key: RSAPublicKey,
    *,
    authorized_parties: Collection[str],
    leeway_s: float,
    valid_at: float | None = None,
) -> SessionClaims:
    """The claims of a valid token, else InvalidSessionToken. `valid_at` (default now) is when
    the token must not yet have expired: for a websocket's cookie, when the socket connected."""
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=["RS256"],
            leeway=leeway_s,
            options={"verify_exp": False, "verify_aud": False, "require": ["exp", "iat", "sub", "sid"]},
        )
    except jwt.InvalidTokenError as exc:
        raise InvalidSessionToken(type(exc).__name__) from None
    exp, user_id, session_id = claims["exp"], claims["sub"], claims["sid"]
    if not isinstance(exp, int | float) or not isinstance(user_id, str) or not isinstance(session_id, str):
        raise InvalidSessionToken("malformed claims")
    if exp + leeway_s < (time.time() if valid_at is None else valid_at):
        raise InvalidSessionToken("expired")
    if claims.get("azp") not in authorized_parties:
        raise InvalidSessionToken("azp not an authorized party")
    if claims.get("sts") == "pending":
        raise InvalidSessionToken("session pending")
    if not user_id or not session_id:
        raise InvalidSessionToken("empty sub or sid")
    fva = claims.get("fva")
    second = fva[1] if isinstance(fva, list) and len(fva) == 2 else None
    return SessionClaims(
        user_id=user_id,
        session_id=session_id,
        expires_at=float(exp),
        second_factor_verified=isinstance(second, int) and not isinstance(second, bool) and second >= 0,
    )
