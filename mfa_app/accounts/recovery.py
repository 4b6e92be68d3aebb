"""Password reset by email, for a person who forgot the password of their account.

The answer is the same whether or not the address has an account: the same result, the same
limits (counted per address as typed and per client, account or not), and the email goes after
the answer (ctx.defer), so not even the time taken tells. The link carries a random token,
stored only as an HMAC, valid 30 minutes and used once: setting the password uses up every link
of the account. A reset signs out every session and leaves MFA as it is, so the next sign-in
still asks for the second factor; it doesn't lift a lockout either.

Why the limits (MFA_PASSWORD_RESET_PER_ADDRESS_PER_HOUR = 3, ..._PER_CLIENT_PER_HOUR = 10): a
person needs one email, two when the first is slow or lands in spam; three an hour per address
stops anyone from flooding an inbox through us (which also costs the sender's reputation). Ten
per client leaves room for several people behind one address (an office, a carrier's NAT) while
stopping one client from mailing many addresses."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlencode

import sqlalchemy as sa
from sqlmodel import Session, col, select

from mfa_app.accounts import email_notices, events
from mfa_app.accounts.context import AccountContext
from mfa_app.accounts.crypto import new_id, session_token
from mfa_app.accounts.errors import AccountError
from mfa_app.accounts.errors import signed_out as signed_out_error
from mfa_app.accounts.passwords import check_new_password
from mfa_app.accounts.users import normalise_email
from mfa_app.store.db import changed_rows
from mfa_app.store.tables import PasswordResetRow, SessionRow, UserRow

RESET_TTL = timedelta(minutes=30)
LIMIT_WINDOW = timedelta(hours=1)


def request_password_reset(ctx: AccountContext, email: str, *, client_ip: str, link_base: str) -> None:
    """Email a reset link `link_base?token=...` to the address if it has an account; refuse
    (too_many_requests) past the hourly limits, account or not."""
    address = normalise_email(email)
    token = session_token()

    def work(db: Session) -> str | None:
        now = ctx.now()
        email_hmac = ctx.hmac("reset-email", address)
        per_address = _requested_since(db, now, col(PasswordResetRow.email_hmac) == email_hmac)
        per_client = _requested_since(db, now, col(PasswordResetRow.client_ip) == client_ip) if client_ip else 0
        if (
            per_address >= ctx.settings.password_reset_per_address_per_hour
            or per_client >= ctx.settings.password_reset_per_client_per_hour
        ):
            raise _too_many()
        user = db.exec(select(UserRow).where(col(UserRow.email) == address)).first()
        db.add(
            PasswordResetRow(
                id=new_id("pwr"),
                email_hmac=email_hmac,
                client_ip=client_ip or None,
                user_id=user.id if user else None,
                token_hmac=ctx.hmac("password_reset", token) if user else None,
                requested_at=now,
                expires_at=now + RESET_TTL,
            )
        )
        if user is None:
            return None
        events.record(db, user.id, "password.reset_requested", "", now, client=client_ip or None)
        return user.email

    to = ctx.write(work)
    if to is not None:
        link = f"{link_base}?{urlencode({'token': token})}"
        message = email_notices.reset_link(ctx, to, link, int(RESET_TTL.total_seconds() // 60))
        ctx.defer(lambda: email_notices.send(ctx, message))


def check_password_reset(ctx: AccountContext, token: str) -> None:
    """Refuse a link that is unknown, used or expired (what reset_password would refuse)."""
    with ctx.read() as db:
        _live_link(ctx, db, token)


def reset_password(ctx: AccountContext, token: str, new_password: str, *, client_ip: str = "") -> None:
    """Set the account's new password with a live link; every session of the account ends."""
    check_new_password(new_password)
    check_password_reset(ctx, token)  # refuse before spending time on hashing
    password_hash = ctx.hashing.hash_password(new_password)

    def work(db: Session) -> str:
        now = ctx.now()
        link = _live_link(ctx, db, token)
        user_id = link.user_id
        if user_id is None:  # a live link always belongs to an account
            raise signed_out_error()
        db.execute(
            sa.update(PasswordResetRow)
            .where(col(PasswordResetRow.user_id) == user_id, col(PasswordResetRow.used_at).is_(None))
            .values(used_at=now)
        )
        db.execute(sa.update(UserRow).where(col(UserRow.id) == user_id).values(password_hash=password_hash))
        signed_out = changed_rows(
            db,
            sa.update(SessionRow)
            .where(col(SessionRow.user_id) == user_id, col(SessionRow.revoked_at).is_(None))
            .values(revoked_at=now),
        )
        detail = ("1 session" if signed_out == 1 else f"{signed_out} sessions") + " signed out"
        events.record(db, user_id, "password.reset", detail, now, client=client_ip or None)
        user = db.get(UserRow, user_id)
        if user is None:
            raise signed_out_error()
        return user.email

    to = ctx.write(work)
    message = email_notices.password_changed(ctx, to)
    ctx.defer(lambda: email_notices.send(ctx, message))


def _live_link(ctx: AccountContext, db: Session, token: str) -> PasswordResetRow:
    if not token:
        raise _used()
    query = select(PasswordResetRow).where(col(PasswordResetRow.token_hmac) == ctx.hmac("password_reset", token))
    row = db.exec(query).first()
    if row is None or row.used_at is not None:
        raise _used()
    if row.expires_at <= ctx.now():
        raise AccountError("reset_link_expired", "This link has expired. Ask for a new one.", status=410)
    return row


def _requested_since(db: Session, now: datetime, *where) -> int:
    query = sa.select(sa.func.count()).select_from(PasswordResetRow)
    return db.execute(query.where(col(PasswordResetRow.requested_at) > now - LIMIT_WINDOW, *where)).scalar_one()


def _used() -> AccountError:
    return AccountError(
        "reset_link_invalid", "This link was already used or is not valid. Ask for a new one.", status=410
    )


def _too_many() -> AccountError:
    return AccountError(
        "too_many_requests", "Too many reset emails were asked for in the last hour. Try again later.", status=429
    )
