"""The database tables. Secrets never appear here in the clear: codes and tokens are HMACs,
passwords and backup codes are argon2id hashes."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel


class MfaTable(SQLModel, registry=registry()):
    """The base of mfa_app's tables: a metadata of their own, not SQLModel's (which a host's
    `rx.Model` tables and its `reflex db` migrations use), and names that start with `mfa_`, so
    they can share the host's database without clashing with its tables or its migrations."""


class UserRow(MfaTable, table=True):
    __tablename__ = "mfa_users"

    id: str = Field(primary_key=True)
    email: str = Field(unique=True, index=True)
    password_hash: str
    created_at: datetime
    # Counted apart (mfa_app/accounts/lockout.py): wrong passwords in a row, and wrong second
    # factors (SMS codes at sign-in and re-verification, backup codes) since the last right one.
    password_failures: int = 0
    second_factor_failures: int = 0
    locked_until: datetime | None = None


class SessionRow(MfaTable, table=True):
    __tablename__ = "mfa_sessions"

    id: str = Field(primary_key=True)
    token_hmac: str = Field(unique=True, index=True)
    user_id: str = Field(foreign_key="mfa_users.id", index=True)
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None
    # True between the password and the second factor of a sign-in.
    second_factor_pending: bool = False
    last_verified_at: datetime
    # "first_factor" (password) or "second_factor" (SMS code or backup code).
    last_verified_level: str
    # A one-time nonce that a browser trades for the session cookie (see sessions.start_handoff).
    handoff_hmac: str | None = Field(default=None, index=True)
    handoff_expires_at: datetime | None = None
    # The browser's User-Agent when the session cookie was set, and when the session was last
    # used (written at most once a minute: sessions.note_activity).
    user_agent: str | None = None
    last_active_at: datetime | None = None


class PhoneRow(MfaTable, table=True):
    __tablename__ = "mfa_phone_numbers"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "phone_number", name="uq_mfa_phone_per_user"),
        # At most one default second factor per user, whatever races happen.
        sa.Index(
            "uq_mfa_one_default_per_user",
            "user_id",
            unique=True,
            sqlite_where=sa.text("default_second_factor"),
            postgresql_where=sa.text("default_second_factor"),
        ),
    )

    id: str = Field(primary_key=True)
    user_id: str = Field(foreign_key="mfa_users.id", index=True)
    phone_number: str
    created_at: datetime
    verified_at: datetime | None = None
    reserved_for_second_factor: bool = False
    default_second_factor: bool = False


class VerificationRow(MfaTable, table=True):
    """One SMS code: for verifying a phone, for a sign-in's second factor or for re-verification."""

    __tablename__ = "mfa_verifications"

    id: str = Field(primary_key=True)
    user_id: str = Field(foreign_key="mfa_users.id", index=True)
    phone_id: str = Field(foreign_key="mfa_phone_numbers.id", index=True)
    session_id: str | None = Field(default=None, foreign_key="mfa_sessions.id")
    purpose: str
    code_hmac: str  # "" for a code the host's identity sent (external_id)
    # The id the host's code service (Clerk) gave the code it sent (accounts/code_service.py);
    # None for mfa_app's own codes.
    external_id: str | None = None
    created_at: datetime
    expires_at: datetime
    attempts: int = 0
    consumed_at: datetime | None = None


class BackupCodeRow(MfaTable, table=True):
    __tablename__ = "mfa_backup_codes"

    id: str = Field(primary_key=True)
    user_id: str = Field(foreign_key="mfa_users.id", index=True)
    code_hash: str
    # HMAC of the code's first symbols, to find an attempt's one candidate (accounts/backup_codes.py);
    # None for codes stored before it existed.
    lookup_hmac: str | None = None
    # True when the set was also given to the identity's factor mirror (Clerk) as it was made: a
    # code of it the mirror no longer takes was used at the mirror's own sign-in.
    kept_by_mirror: bool = False
    created_at: datetime
    used_at: datetime | None = None


class SecurityEventRow(MfaTable, table=True):
    __tablename__ = "mfa_security_events"

    id: int | None = Field(default=None, primary_key=True)  # increasing: orders same-instant events
    user_id: str = Field(foreign_key="mfa_users.id", index=True)
    kind: str
    detail: str = ""
    created_at: datetime = Field(index=True)


class SmsSendRow(MfaTable, table=True):
    """One SMS code handed to the provider: the counter behind the sending limits."""

    __tablename__ = "mfa_sms_sends"

    id: str = Field(primary_key=True)
    user_id: str | None = Field(default=None, index=True)
    phone_number: str = Field(index=True)
    # The code's purpose (phone_verification, sign_in, reverification): which budget it spent.
    purpose: str
    # The address of the client that asked for it, when the caller knows it.
    client_ip: str | None = Field(default=None, index=True)
    sent_at: datetime = Field(index=True)


class PasswordResetRow(MfaTable, table=True):
    """One request for a password reset link, whether or not the address has an account: the
    counter behind the reset limits and, for an account, the link (its token as an HMAC)."""

    __tablename__ = "mfa_password_resets"

    id: str = Field(primary_key=True)
    email_hmac: str = Field(index=True)  # the address as typed (normalised), keyed
    client_ip: str | None = Field(default=None, index=True)
    user_id: str | None = Field(default=None, foreign_key="mfa_users.id", index=True)
    token_hmac: str | None = Field(default=None, unique=True, index=True)
    requested_at: datetime = Field(index=True)
    expires_at: datetime
    used_at: datetime | None = None
