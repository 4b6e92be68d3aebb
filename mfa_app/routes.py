"""The app's routes (a contract: see DESIGN.md) and the session cookie's name."""

SIGN_UP = "/sign-up"
SIGN_IN = "/sign-in"
MANAGE_MFA = "/account/manage-mfa"
ADD_PHONE = "/account/add-phone"
DEV_OUTBOX = "/dev/outbox"
FORGOT_PASSWORD = "/forgot-password"
RESET_PASSWORD = "/reset-password"

# HTTP routes on the backend: they set and clear the HttpOnly session cookie.
AUTH_SESSION = "/auth/session"
AUTH_SIGN_OUT = "/auth/sign-out"
# Where a reset email's link leads: moves the link's token into an HttpOnly cookie.
AUTH_PASSWORD_RESET = "/auth/password-reset"

SESSION_COOKIE = "mfa_session"
RESET_COOKIE = "mfa_password_reset"
