"""The host app's own users and sessions, in its own tables (`users`, `sessions`): nothing of
mfa_app. Passwords are argon2id hashes; a session is a random token kept as its SHA-256."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

metadata = sa.MetaData()
users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("email", sa.String, nullable=False, unique=True),
    sa.Column("password_hash", sa.String, nullable=False),
)
sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("token_sha256", sa.String, primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
)


@dataclass(frozen=True)
class User:
    id: int
    email: str


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Users:
    def __init__(self, database: Path) -> None:
        database.parent.mkdir(parents=True, exist_ok=True)
        self.engine = sa.create_engine(f"sqlite:///{database}", connect_args={"timeout": 30})
        self.hasher = PasswordHasher()
        metadata.create_all(self.engine)

    def register(self, email: str, password: str) -> User | None:
        """None when the address is taken."""
        email = email.strip().lower()
        try:
            with self.engine.begin() as db:
                row = db.execute(users.insert().values(email=email, password_hash=self.hasher.hash(password)))
                assert row.inserted_primary_key is not None
                return User(row.inserted_primary_key[0], email)
        except sa.exc.IntegrityError:
            return None

    def check(self, email: str, password: str) -> User | None:
        with self.engine.connect() as db:
            row = db.execute(sa.select(users).where(users.c.email == email.strip().lower())).first()
        if row is None or not self._matches(row.password_hash, password):
            return None
        return User(row.id, row.email)

    def check_password(self, user_id: int, password: str) -> bool:
        with self.engine.connect() as db:
            password_hash = db.execute(sa.select(users.c.password_hash).where(users.c.id == user_id)).scalar()
        return password_hash is not None and self._matches(password_hash, password)

    def _matches(self, password_hash: str, password: str) -> bool:
        try:
            return self.hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def start_session(self, user: User) -> str:
        token = secrets.token_urlsafe(32)
        with self.engine.begin() as db:
            db.execute(
                sessions.insert().values(token_sha256=_digest(token), user_id=user.id, created_at=datetime.now(UTC))
            )
        return token

    def by_session(self, token: str) -> User | None:
        if not token:
            return None
        query = sa.select(users.c.id, users.c.email).join(sessions).where(sessions.c.token_sha256 == _digest(token))
        with self.engine.connect() as db:
            row = db.execute(query).first()
        return User(row.id, row.email) if row else None

    def end_session(self, token: str) -> None:
        with self.engine.begin() as db:
            db.execute(sessions.delete().where(sessions.c.token_sha256 == _digest(token)))
