"""Hashing and code generation. Codes and tokens are stored as HMAC-SHA256 under the server's
secret key; passwords and backup codes as salted argon2id hashes."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

BACKUP_CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # 31 symbols, no 0/o, 1/l/i
BACKUP_CODE_LENGTH = 10  # 10 * log2(31) = 49.5 bits


def keyed_hash(key: bytes, *parts: str) -> str:
    return hmac.new(key, "\x1f".join(parts).encode(), hashlib.sha256).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


@dataclass
class Hashing:
    """argon2id for passwords (OWASP's strong profile) and for backup codes (lighter: a check
    verifies up to ten of them, and each already has ~50 random bits)."""

    passwords: PasswordHasher = field(default_factory=PasswordHasher)
    backup_codes: PasswordHasher = field(
        default_factory=lambda: PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
    )

    def hash_password(self, password: str) -> str:
        return self.passwords.hash(password)

    def password_matches(self, password_hash: str, password: str) -> bool:
        return _matches(self.passwords, password_hash, password)

    def hash_backup_code(self, code: str) -> str:
        return self.backup_codes.hash(code)

    def backup_code_matches(self, code_hash: str, code: str) -> bool:
        return _matches(self.backup_codes, code_hash, code)


def _matches(hasher: PasswordHasher, encoded: str, secret: str) -> bool:
    try:
        return hasher.verify(encoded, secret)
    except (VerificationError, InvalidHashError):
        return False


def sms_code(rng: secrets.SystemRandom) -> str:
    return f"{rng.randrange(1_000_000):06d}"


def backup_code(rng: secrets.SystemRandom) -> str:
    raw = "".join(rng.choice(BACKUP_CODE_ALPHABET) for _ in range(BACKUP_CODE_LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


def normalise_backup_code(text: str) -> str:
    raw = "".join(ch for ch in text.lower() if ch.isalnum())
    return f"{raw[:5]}-{raw[5:]}"


def session_token() -> str:
    return secrets.token_urlsafe(32)


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"
