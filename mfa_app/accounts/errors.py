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


class RefusedAfterCommit(Exception):
    """Raised inside a write transaction's work to refuse *after* committing what it wrote: a
    wrong code or password whose try must count (AccountContext.write commits, then raises
    `error`). Any other exception rolls the transaction back."""

    def __init__(self, error: AccountError) -> None:
        super().__init__(error.code)
        self.error = error


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
    return AccountError(
        "user_locked",
        f"Too many failed attempts. Your account is locked. {try_again_in(seconds_left)}",
        status=403,
        seconds_left=seconds_left,
    )


def try_again_in(seconds: int) -> str:
    """ "Try again in 12 minutes.": whole minutes, rounded up, so the person never comes back early."""
    return f"Try again in {count(max(1, -(-seconds // 60)), 'minute', 'minutes')}."


def count(n: int, one: str, many: str) -> str:
    """ "1 try", "4 tries"."""
    return f"{n} {one if n == 1 else many}"
