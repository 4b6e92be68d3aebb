"""The app's routes (a contract: see DESIGN.md) and the session cookie's name."""

SIGN_UP = "/sign-up"
SIGN_IN = "/sign-in"
MANAGE_MFA = "/account/manage-mfa"
ADD_PHONE = "/account/add-phone"
DEV_OUTBOX = "/dev/outbox"

# HTTP routes on the backend: they set and clear the HttpOnly session cookie.
AUTH_SESSION = "/auth/session"
AUTH_SIGN_OUT = "/auth/sign-out"

SESSION_COOKIE = "mfa_session"
