"""Clerk as the identity mfa_app's pages run on (the protocol of mfa_app/identity.py): a host
whose users sign in with Clerk's frontend (ClerkJS) mounts mfa_app with `ClerkIdentity()`.

Who is signed in comes from Clerk's `__session` cookie (or its suffixed name), verified
without a call to Clerk (session_token.py). The user's email address comes from the Backend API, kept a minute per
user. A websocket carries the cookie of its handshake for as long as it stays open, while
ClerkJS renews the token about every minute: a token that was valid when its socket connected
keeps counting once it has expired only while Clerk says its session is still active (asked
at most once a minute per session), which is what the token's short life stands for."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

import httpx
from starlette.requests import Request as HttpRequest
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from mfa_app import origins
from mfa_app.accounts import AccountError, HostUser
from mfa_app.accounts.code_service import CodeCheck
from mfa_app.accounts.mirror import FactorChange
from mfa_app.clerk import session_token, webhooks
from mfa_app.clerk.backend_api import BackendApi
from mfa_app.clerk.cache import TtlCache
from mfa_app.clerk.factors import ClerkFactorMirror, numbers_at_clerk
from mfa_app.clerk.session_token import InvalidSessionToken, SessionClaims
from mfa_app.clerk.settings import ClerkSettings
from mfa_app.identity import FollowMirror, Request

log = logging.getLogger("mfa_app.clerk")

# Why caching the address a minute is safe: it decides nothing about who is signed in or what
# they may do (the verified token does, on every event); it is shown on the pages and receives
# mfa_app's security notices, so a change made in Clerk reaches mfa_app within a minute, and
# until then a notice goes to the address the user had a minute before.
EMAIL_TTL_S = 60.0
# As long as Clerk's own tokens outlive a sign-out: a revoked session stops counting within it.
SESSION_RECHECK_S = 60.0
# Clerk's verification statuses after an attempt, as mfa_app's rules read them.
_CODE_CHECKS: dict[str, CodeCheck] = {
    "verified": "verified",
    "unverified": "incorrect",
    "expired": "expired",
    "failed": "too_many_tries",
    "used": "used",
}


class ClerkIdentity:
    """mfa_app's pages on Clerk's users. Blocking (the Backend API): mfa_app calls it in worker
    threads. It is also mfa_app's factor mirror (mfa_app/accounts/mirror.py): the phones, MFA and
    backup codes set up on mfa_app's pages are kept in Clerk too (factors.py)."""

    # Clerk's API can't change the default second factor: no "Make default" (docs/clerk.md).
    chooses_default_second_factor = False

    def __init__(self, settings: ClerkSettings | None = None, *, client: httpx.Client | None = None) -> None:
        settings = settings or ClerkSettings()
        self._key = session_token.load_public_key(settings.jwt_key)
        self._cookies = session_token.cookie_names(settings.publishable_key)
        self._parties = frozenset(filter(None, map(origins.origin_of, settings.authorized_parties.split(","))))
        self._leeway_s = settings.clock_skew_s
        self._api = BackendApi(settings, client)
        self._factors = ClerkFactorMirror(self._api)
        self._emails: TtlCache[str] = TtlCache(EMAIL_TTL_S)
        self._active: TtlCache[bool] = TtlCache(SESSION_RECHECK_S)
        self._webhook_secret = settings.webhook_signing_secret
        self._webhook_path = settings.webhook_path

    def __repr__(self) -> str:
        return "ClerkIdentity()"

    def signed_in(self, request: Request) -> HostUser | None:
        token = next(filter(None, map(request.cookies.get, self._cookies)), "")
        if not token:
            return None
        try:
            claims = session_token.verify(
                token,
                self._key,
                authorized_parties=self._parties or origins.allowed(),
                leeway_s=self._leeway_s,
                valid_at=request.connected_at,
            )
        except InvalidSessionToken as refused:
            log.info("clerk: __session token refused (%s)", refused)
            return None
        if claims.expires_at + self._leeway_s < time.time() and not self._still_active(claims):
            return None
        email = self._email(claims.user_id)
        if email is None:
            return None
        # The session key is `sid`, Clerk's id of this sign-in, not the token: ClerkJS renews the
        # token every minute, and mfa_app takes a new key for a new sign-in (second factor due
        # again, step-up window gone). `sid` stays the same across renewals and is new at each
        # sign-in. It need not be secret: mfa_app only ever takes it from a verified token.
        # Clerk's sign-in asks for the second factor mfa_app keeps in Clerk (factors.py): one that
        # passed it (`fva`) is not asked again by mfa_app's challenge.
        return HostUser(
            user_id=claims.user_id,
            session_key=claims.session_id,
            email=email,
            second_factor_verified=claims.second_factor_verified,
        )

    def check_password(self, user_id: str, password: str) -> bool:
        """Clerk's own password check (for step-up re-verification)."""
        return self._api.verify_password(user_id, password)

    def sign_out_sessions(self, user_id: str, which: Callable[[str], bool]) -> None:
        """Clerk's sessions of the user that mfa_app's list of sessions ends (their `sid` is
        mfa_app's session key), revoked at Clerk."""
        for session_id in self._api.active_session_ids(user_id):
            if which(session_id):
                self._api.revoke_session(session_id)
                self._active.put(session_id, False)

    def mirror_factors(self, change: FactorChange) -> None:
        """The user's second factor, as mfa_app now has it, kept in Clerk (factors.py)."""
        self._factors.mirror_factors(change)

    def use_backup_code(self, user_id: str, code: str) -> bool:
        """A backup code used in mfa_app, used up in Clerk too (factors.py)."""
        return self._factors.use_backup_code(user_id, code)

    def send_code(self, user_id: str, number: str) -> str:
        """Clerk sends the text-message code (mfa_app/accounts/code_service.py): to a number the
        Clerk user has, or, for one being added, after putting it on the user unverified (Clerk's
        code then verifies it there too). The id: Clerk's phone number id and verification id."""
        at_clerk = {p.get("phone_number"): p.get("id") for p in self._api.user(user_id).get("phone_numbers") or []}
        phone_id = at_clerk.get(number) or self._api.create_phone(user_id, number, reserved=False, verified=False)["id"]
        return f"{phone_id}/{self._api.prepare_phone_verification(phone_id)}"

    def check_code(self, user_id: str, number: str, code_id: str, code: str) -> CodeCheck:
        phone_id, _, verification_id = code_id.partition("/")
        status = self._api.attempt_phone_verification(phone_id, verification_id, code)
        return _CODE_CHECKS.get(status, "incorrect")

    def http_routes(self, follow: FollowMirror) -> list[BaseRoute]:
        """With CLERK_WEBHOOK_SIGNING_SECRET: the endpoint (CLERK_WEBHOOK_PATH) Clerk's dashboard
        sends `user.updated` to. Each verified message has the user read again from the Backend
        API and mfa_app follow what Clerk has now (accounts/follow.py). Answers 204 when done
        (or nothing to do), 400 for a message that isn't Clerk's, 503 when Clerk couldn't be read
        (Svix sends the message again later)."""
        secret = self._webhook_secret.get_secret_value()
        if not secret:
            return []

        async def receive(request: HttpRequest) -> Response:
            body = await request.body()
            try:
                event = webhooks.verified_event(secret, request.headers, body, time.time())
            except webhooks.InvalidWebhook as refused:
                log.warning("clerk: webhook refused (%s)", refused)
                return Response(status_code=400)
            user_id = webhooks.user_changed(event)
            if user_id is not None:
                try:
                    await asyncio.to_thread(self._follow, user_id, follow)
                except AccountError as failed:
                    log.warning("clerk: webhook not taken yet (%s)", failed.code)
                    return Response(status_code=503)
            return Response(status_code=204)

        return [Route(self._webhook_path, receive, methods=["POST"])]

    def _follow(self, user_id: str, follow: FollowMirror) -> None:
        try:
            user = self._api.user(user_id)
        except AccountError as exc:
            if exc.code == "signed_out":  # deleted in Clerk: its sessions end there
                return
            raise
        changed = follow(user_id, numbers_at_clerk(user))
        if changed:
            log.info("clerk: %d phone change(s) made in Clerk taken for user %s", changed, user_id)

    def _email(self, user_id: str) -> str | None:
        email = self._emails.get(user_id)
        if email is None:
            email = self._api.primary_email(user_id)
            if email is not None:  # a deleted user is asked about again: Clerk ends their sessions
                self._emails.put(user_id, email)
        return email

    def _still_active(self, claims: SessionClaims) -> bool:
        active = self._active.get(claims.session_id)
        if active is None:
            active = self._api.session_active(claims.session_id, claims.user_id)
            self._active.put(claims.session_id, active)
        return active
