"""The routes of mfa_app's pages (a contract: the standalone app's are the defaults below), and
the built-in accounts' routes, HTTP routes and cookies.

A host picks where the pages go (`mount(prefix=...)`); every link, redirect and hand-off reads
`paths` when it is made, so they all follow the mount."""

from __future__ import annotations

from dataclasses import dataclass

# The built-in accounts' pages (mounted only with mfa_app.identity.BuiltInAccounts).
SIGN_UP = "/sign-up"
SIGN_IN = "/sign-in"
FORGOT_PASSWORD = "/forgot-password"
RESET_PASSWORD = "/reset-password"

# HTTP routes on the backend: they set and clear the HttpOnly session cookie.
AUTH_SESSION = "/auth/session"
AUTH_SIGN_OUT = "/auth/sign-out"
# Where a reset email's link leads: moves the link's token into an HttpOnly cookie.
AUTH_PASSWORD_RESET = "/auth/password-reset"

SESSION_COOKIE = "mfa_session"
RESET_COOKIE = "mfa_password_reset"


@dataclass(frozen=True)
class Paths:
    """Where the mounted pages are, and where the host signs people in and out."""

    manage_mfa: str
    add_phone: str
    second_factor: str  # the challenge after a host's sign-in (hosts other than the built-in accounts)
    dev_outbox: str
    sign_in: str  # where "You must be logged in to access this page" links to
    sign_out: str  # a URL or path the manage page's "Sign out" goes to ("" for none)

    @classmethod
    def under(cls, prefix: str, *, sign_in: str, sign_out: str, dev_outbox: str = "/dev/outbox") -> Paths:
        prefix = "/" + prefix.strip("/") if prefix.strip("/") else ""
        return cls(
            manage_mfa=f"{prefix}/manage-mfa",
            add_phone=f"{prefix}/add-phone",
            second_factor=f"{prefix}/second-factor",
            dev_outbox=dev_outbox,
            sign_in=sign_in,
            sign_out=sign_out,
        )


# The standalone app's: replaced by mount().
paths = Paths.under("/account", sign_in=SIGN_IN, sign_out=AUTH_SIGN_OUT)


def local_path(path: str | None, default: str) -> str:
    """`path` when it is a path on this site (never another site's URL, `//host` or `/\\host`
    included, which browsers read as one), else `default`."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path or any(c < " " for c in path):
        return default
    return path
