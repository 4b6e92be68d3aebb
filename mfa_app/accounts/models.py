"""Results of the service, shaped like Clerk's resources so a team porting the Next.js example
finds the same names. None of them carries a secret except the fields documented as such."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

VerificationStatus = Literal["unverified", "verified", "expired", "failed"]


class Verification(BaseModel):
    status: VerificationStatus
    strategy: Literal["phone_code"] = "phone_code"
    attempts: int = 0
    expire_at: datetime | None = None


class PhoneNumber(BaseModel):
    id: str
    phone_number: str  # E.164
    verification: Verification
    reserved_for_second_factor: bool
    default_second_factor: bool
    created_at: datetime


class User(BaseModel):
    id: str
    email_address: str
    two_factor_enabled: bool
    backup_code_enabled: bool
    phone_numbers: list[PhoneNumber]


class BackupCodes(BaseModel):
    """The only time backup codes leave the service in the clear: right after generating."""

    codes: list[str]


class SecondFactor(BaseModel):
    strategy: Literal["phone_code", "backup_code"]
    phone_number_id: str | None = None
    safe_identifier: str | None = None  # masked, like "+1 *** *** 2671"
    default: bool = False


class SignInAttempt(BaseModel):
    status: Literal["needs_second_factor", "complete"]
    supported_second_factors: list[SecondFactor] = []


class SignInResult(BaseModel):
    """`session_token` is a secret: keep it in an HttpOnly cookie or a backend-only var."""

    attempt: SignInAttempt
    session_token: str


class Reverification(BaseModel):
    """What a re-verification must use: the strongest factor the user has."""

    level: Literal["first_factor", "second_factor"]
    factors: list[Literal["password", "phone_code", "backup_code"]]
    phones: list[SecondFactor]


class SecurityEvent(BaseModel):
    kind: str
    detail: str
    created_at: datetime


class ManagePage(BaseModel):
    """What the manage-MFA page shows, read in one transaction."""

    user: User
    # The page's three phone lists, in the order shown: the MFA phones (verified, reserved for
    # MFA) the default first; the verified ones not reserved; the unverified ones.
    mfa_phones: list[PhoneNumber]
    available_phones: list[PhoneNumber]
    unverified_phones: list[PhoneNumber]
    backup_codes_left: int  # 0 while MFA is off
    # False where the default MFA phone can't be changed ("Make default": Clerk's accounts)
    can_choose_default: bool = True
    events: list[SecurityEvent]  # newest first


class PhoneActionPreview(BaseModel):
    """What disabling or removing a phone would do, for the confirmation asked first: `allowed`
    is False when the service would refuse it, and `explanation` then says why."""

    allowed: bool
    title: str
    explanation: str
    confirm_label: str = ""


class DeletedObject(BaseModel):
    id: str
    deleted: bool = True


class SignedInSession(BaseModel):
    """One signed-in session of the user, for the list of sessions (no token in it)."""

    id: str
    browser: str
    operating_system: str
    signed_in_at: datetime
    last_active_at: datetime
    current: bool  # the session asking
