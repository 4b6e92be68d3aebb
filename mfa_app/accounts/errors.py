"""The one error type the service raises: a stable code (Clerk's, where Clerk has one), a message
the person can act on, an HTTP-like status, and optional details such as seconds to wait."""

from __future__ import annotations

from typing import Any


class AccountError(Exception):
    def __init__(self, code: str, message: str, *, status: int = 422, **meta: Any) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.meta = meta


def not_found(what: str = "phone number") -> AccountError:
    return AccountError("resource_not_found", f"That {what} was not found on your account.", status=404)


def signed_out() -> AccountError:
    return AccountError("signed_out", "You must be logged in to access this page", status=401)


def reverification_required() -> AccountError:
    return AccountError(
        "session_reverification_required",
        "Confirm it's you to continue.",
        status=403,
    )


def user_locked(seconds_left: int) -> AccountError:
    minutes = max(1, -(-seconds_left // 60))
    return AccountError(
        "user_locked",
        f"Too many failed attempts. Your account is locked; try again in {minutes} minutes.",
        status=403,
        seconds_left=seconds_left,
    )
