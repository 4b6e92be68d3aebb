"""Every knob of mfa_app, read from environment variables (see the README's configuration table)."""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MFA_", extra="ignore")

    # Whose users the standalone app (mfa_app/mfa_app.py) runs on: its own accounts, or Clerk's
    # (the Clerk user of the __session cookie; docs/clerk.md). A host picks its identity in code.
    identity: Literal["builtin", "clerk"] = "builtin"
    data_dir: Path = Path(".data")
    database_url: str = "sqlite:///.data/mfa.db"
    # Write transactions at once per backend worker (mfa_app/store/db.py says why so few).
    db_writers: int = Field(2, ge=1)
    secret_key: str = Field("", repr=False)

    sms_provider: Literal["outbox", "twilio", "webhook"] = "outbox"
    # The outbox shows every code at /dev/outbox: production mode refuses it unless this is set.
    allow_outbox_in_production: bool = False
    sms_outbox: Path = Path(".data/sms_outbox.jsonl")
    sms_app_name: str = "mfa_app"
    sms_origin_host: str = "localhost"
    # ISO 3166 region codes, comma separated; empty means every region.
    sms_allowed_countries: str = ""
    # Sending limits (mfa_app/accounts/limits.py; docs/security.md says why these defaults).
    sms_per_phone_per_hour: int = 5
    sms_per_account_per_hour: int = 10
    sms_global_per_minute: int = 60
    sms_new_numbers_per_hour: int = Field(30, ge=1)
    sms_new_numbers_per_client_per_hour: int = Field(10, ge=1)
    unverified_phones_per_account: int = Field(3, ge=1)
    sms_connect_timeout_s: float = 3.0
    sms_total_timeout_s: float = 10.0
    sms_webhook_url: str = ""
    sms_webhook_secret: str = Field("", repr=False)

    default_region: str = "US"
    # Origins (scheme://host[:port]) of the app's pages, comma separated; empty means the origin
    # of Reflex's deploy_url. The only origins CORS, the websocket and the /auth routes accept.
    allowed_origins: str = ""
    session_ttl_s: int = 7 * 24 * 3600
    reverification_max_age_s: int = 600
    # Lockout (mfa_app/accounts/lockout.py): this many wrong passwords in a row, or wrong second
    # factors since the last right one, lock the account for lockout_duration_s.
    lockout_max_attempts: int = Field(10, ge=1)
    lockout_duration_s: int = Field(3600, ge=1)
    # Threads for argon2id (password checks, backup codes) per backend worker; 0 = one per core.
    hashing_threads: int = Field(0, ge=0)

    twilio_account_sid: str = Field("", validation_alias="TWILIO_ACCOUNT_SID")
    twilio_auth_token: str = Field("", validation_alias="TWILIO_AUTH_TOKEN", repr=False)
    twilio_from_number: str = Field("", validation_alias="TWILIO_FROM_NUMBER")
    twilio_messaging_service_sid: str = Field("", validation_alias="TWILIO_MESSAGING_SERVICE_SID")
    twilio_api_base: str = Field("https://api.twilio.com", validation_alias="TWILIO_API_BASE")

    # Email (mfa_app/mail): password reset links and security notices by email.
    email_provider: Literal["outbox", "smtp"] = "outbox"
    email_outbox: Path = Path(".data/email_outbox.jsonl")
    email_from: str = "mfa_app <no-reply@localhost>"
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_security: Literal["starttls", "tls", "none"] = "starttls"
    smtp_user: str = ""
    smtp_password: str = Field("", repr=False)
    smtp_connect_timeout_s: float = 5.0
    smtp_total_timeout_s: float = 20.0
    # Password reset emails asked for per address and per client address per hour
    # (mfa_app/accounts/recovery.py says why these numbers).
    password_reset_per_address_per_hour: int = Field(3, ge=1)
    password_reset_per_client_per_hour: int = Field(10, ge=1)

    # Housekeeping (mfa_app/accounts/housekeeping.py): how long dead rows are kept, in days (at
    # least one, so the hourly limits' windows are always kept), and how often they are purged.
    retention_days: int = Field(30, ge=1)
    security_event_retention_days: int = Field(365, ge=1)
    purge_interval_s: int = Field(3600, ge=60)

    def allowed_countries(self) -> frozenset[str]:
        return frozenset(c.strip().upper() for c in self.sms_allowed_countries.split(",") if c.strip())

    def resolved_secret_key(self) -> bytes:
        """The HMAC pepper: MFA_SECRET_KEY, or one generated once into data_dir/secret_key (0600)."""
        if self.secret_key:
            return self.secret_key.encode()
        return _secret_from_file(self.data_dir / "secret_key")


def _secret_from_file(path: Path) -> bytes:
    """Create the key atomically (write a private temp file, then hard-link it into place), so
    several workers starting at once all end up with the same key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_bytes().strip()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
