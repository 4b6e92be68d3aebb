"""The Clerk instance mfa_app works with, read from Clerk's usual environment variables."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class ClerkSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CLERK_", extra="ignore")

    # The Backend API's key (sk_live_… / sk_test_…): a SecretStr, so no repr or log shows it.
    secret_key: SecretStr = SecretStr("")
    # The instance's PEM public key (Clerk dashboard, API keys, "JWKS public key"): the
    # __session token is verified with it, without asking Clerk.
    jwt_key: str = ""
    # The instance's publishable key (pk_live_… / pk_test_…), not a secret: newer ClerkJS
    # versions also set the token as `__session_<suffix>`, the suffix derived from this key, so
    # that several Clerk apps on one domain don't share one `__session`. Empty: only `__session`.
    publishable_key: str = ""
    api_url: str = "https://api.clerk.com/v1"
    # Where the standalone app's "Sign in" link goes with MFA_IDENTITY=clerk: the instance's
    # sign-in page (its Account Portal's, https://accounts.<your domain>/sign-in, or the host's).
    sign_in_url: str = ""
    # The signing secret (whsec_…) of the webhook endpoint Clerk's dashboard sends user.updated
    # to, so that changes made in Clerk itself reach mfa_app (webhooks.py); empty: no endpoint.
    webhook_signing_secret: SecretStr = SecretStr("")
    webhook_path: str = "/clerk/webhook"
    # Origins (scheme://host[:port]) whose pages may present a session token (its `azp`), comma
    # separated; empty means mfa_app's own origins (MFA_ALLOWED_ORIGINS, or Reflex's deploy_url).
    authorized_parties: str = ""
    # How far the server's clock may be off Clerk's when checking exp, nbf and iat.
    clock_skew_s: float = Field(5.0, ge=0)
    connect_timeout_s: float = Field(3.0, gt=0)
    total_timeout_s: float = Field(10.0, gt=0)
