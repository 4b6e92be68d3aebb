"""Sessions of a host app's users: mfa_app's record of a sign-in the host made.

A host app that mounts mfa_app keeps its own users, passwords and session cookies; it tells
mfa_app who is signed in (mfa_app/identity.py). mfa_app keeps, per host sign-in, a session row
of its own keyed by the HMAC of the host's session key: whether that sign-in has passed the
second factor, when it last verified (step-up re-verification) and whether it was signed out
from the list of sessions. Every other service function then works on it as on a built-in
session, with the host's session key as its token.

Safe by default: a host sign-in mfa_app has not seen before, of a user with MFA on, waits for
the second factor, whether or not the host remembered to send the person to the challenge."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from sqlmodel import Session, col, select

from mfa_app.accounts import events, sessions
from mfa_app.accounts.access import has_mfa
from mfa_app.accounts.context import AccountContext
from mfa_app.accounts.crypto import new_id
from mfa_app.accounts.errors import AccountError, signed_out
from mfa_app.accounts.models import SignInAttempt
from mfa_app.accounts.users import normalise_email, second_factors
from mfa_app.store.tables import SessionRow, UserRow

Status = Literal["signed_out", "needs_second_factor", "verified"]
# A sign-in first seen after it happened has not verified anything recently: re-verification
# asks for a factor at once.
_LONG_AGO = timedelta(days=365 * 10)


@dataclass(frozen=True)
class HostUser:
    """Who the host says is signed in: its user id, a secret naming this sign-in (it must change
    at every sign-in: a new session cookie), and the address mfa_app shows and writes to."""

    user_id: str
    session_key: str
    email: str
    # The host's own sign-in asked for a second factor and it passed (Clerk's, whose factors are
    # mfa_app's: mirror.py): a new sign-in of a user with MFA on then needs no challenge here.
    second_factor_verified: bool = False


def adopt(ctx: AccountContext, who: HostUser) -> str:
    """The service token of the host's sign-in (its session key), after making sure mfa_app has
    a user row and a session row for it. Reads only, once both exist."""
    if not who.session_key or not who.user_id:
        raise signed_out()
    with ctx.read() as db:
        row = _row(ctx, db, who.session_key)
        user = db.get(UserRow, who.user_id)
        if row is not None and row.user_id == who.user_id and user is not None and user.email == _email(who):
            return who.session_key

    def work(db: Session) -> None:
        _keep_user(ctx, db, who)
        row = _row(ctx, db, who.session_key)
        if row is None or row.user_id != who.user_id or row.expires_at <= ctx.now():
            _replace(ctx, db, who, row, verified_now=False)

    ctx.write(work)
    return who.session_key


def begin_sign_in(ctx: AccountContext, who: HostUser) -> bool:
    """The host has just checked the person's password and made this sign-in: record it, fresh
    (verified now, at the first factor). True when it must now pass the second factor."""

    def work(db: Session) -> bool:
        _keep_user(ctx, db, who)
        row = _replace(ctx, db, who, _row(ctx, db, who.session_key), verified_now=True)
        if not row.second_factor_pending:
            events.record(db, who.user_id, "user.signed_in", "password", ctx.now())
        return row.second_factor_pending

    return ctx.write(work)


def status(ctx: AccountContext, token: str) -> Status:
    """Whether the sign-in behind `token` may use the host's pages: signed out (revoked from the
    list of sessions, expired or never seen), waiting for its second factor, or verified."""
    with ctx.read() as db:
        row = _row(ctx, db, token) if token else None
        if row is None or row.revoked_at is not None or row.expires_at <= ctx.now():
            return "signed_out"
        return "needs_second_factor" if row.second_factor_pending else "verified"


def challenge(ctx: AccountContext, token: str) -> SignInAttempt:
    """The second factors a sign-in waiting for one can use (default MFA phone first)."""
    with ctx.read() as db:
        session = sessions.find(ctx, db, token, pending=True)
        return SignInAttempt(status="needs_second_factor", supported_second_factors=second_factors(db, session.user_id))


def _row(ctx: AccountContext, db: Session, key: str) -> SessionRow | None:
    return db.exec(select(SessionRow).where(col(SessionRow.token_hmac) == ctx.hmac("session", key))).first()


def _email(who: HostUser) -> str:
    try:
        return normalise_email(who.email)
    except AccountError:
        raise AccountError(
            "host_identity_invalid", "Your account has no valid email address, so MFA can't be set up."
        ) from None


def _keep_user(ctx: AccountContext, db: Session, who: HostUser) -> None:
    """mfa_app's row for the host's user (no password: the host checks those), its address kept
    up to date."""
    user = db.get(UserRow, who.user_id)
    if user is None:
        db.add(UserRow(id=who.user_id, email=_email(who), password_hash="", created_at=ctx.now()))
    elif user.email != _email(who):
        user.email = _email(who)
        db.add(user)
    db.flush()


def _replace(
    ctx: AccountContext, db: Session, who: HostUser, old: SessionRow | None, *, verified_now: bool
) -> SessionRow:
    """A new session row for the host's sign-in, waiting for the second factor when the user has
    MFA on. The old row, if any, ends (revoked, its key no longer leading to it) and stays for
    the codes that reference it, until housekeeping purges both."""
    now = ctx.now()
    if old is not None:
        old.revoked_at = old.revoked_at or now
        old.token_hmac = ctx.hmac("replaced session", old.id)
        db.add(old)
        db.flush()
    pending = has_mfa(db, who.user_id) and not who.second_factor_verified
    row = SessionRow(
        id=new_id("sess"),
        token_hmac=ctx.hmac("session", who.session_key),
        user_id=who.user_id,
        created_at=now,
        expires_at=now + (sessions.PENDING_TTL if pending else timedelta(seconds=ctx.settings.session_ttl_s)),
        second_factor_pending=pending,
        last_verified_at=now if verified_now else now - _LONG_AGO,
        last_verified_level="first_factor",
    )
    db.add(row)
    return row
