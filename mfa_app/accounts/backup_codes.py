"""Backup codes: 10 codes of ~50 random bits, shown once, stored as argon2id hashes, each
usable once (atomically, even when two requests race); a new set replaces the old one.

An attempt verifies one argon2id hash, not the whole set's: each code is stored with a lookup
part, the HMAC (under the server's secret key, bound to the user) of its first LOOKUP_LENGTH
symbols. A set's codes have distinct prefixes, so an attempt matches at most one of them; one
that matches none checks one hash anyway (see redeem), so every attempt costs one verification.

Entropy: a code is 10 symbols of 31, 49.5 bits, and its argon2id hash covers all of them.
Without the secret key the lookup part tells nothing. With the key and the database, the prefix
(961 values) can be found by trying them all; the other 8 symbols, 39.6 bits, stay behind
argon2id. Distinct prefixes within a set cost under 0.02 bits per code (9 of 961 values taken).
Codes stored before the lookup part existed (lookup_hmac NULL) are still checked one by one."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import sqlalchemy as sa
from sqlmodel import Session, col, select

from mfa_app.accounts import events, lockout, mirror
from mfa_app.accounts.access import has_mfa, require_step_up, signed_in
from mfa_app.accounts.context import AccountContext
from mfa_app.accounts.crypto import (
    BACKUP_CODE_ALPHABET,
    BACKUP_CODE_LENGTH,
    backup_code,
    new_id,
    normalise_backup_code,
    same,
)
from mfa_app.accounts.errors import AccountError
from mfa_app.accounts.models import BackupCodes
from mfa_app.store.db import changed_rows
from mfa_app.store.tables import BackupCodeRow, UserRow

T = TypeVar("T")
CODES_PER_SET = 10
LOOKUP_LENGTH = 2  # symbols of the code that the lookup HMAC covers: 9.9 of its 49.5 bits


def _authorise(ctx: AccountContext, db: Session, token: str) -> str:
    session, user = signed_in(ctx, db, token)
    require_step_up(ctx, db, session)
    if not has_mfa(db, user.id):
        raise AccountError(
            "backup_codes_not_available", "Turn on MFA with a phone number before generating backup codes."
        )
    return user.id


def create_backup_codes(ctx: AccountContext, token: str) -> BackupCodes:
    with ctx.read() as db:
        _authorise(ctx, db, token)  # refuse before spending time on hashing
    codes = _new_set(ctx)
    hashes = [ctx.hashing.hash_backup_code(code) for code in codes]

    def work(db: Session) -> None:
        user_id = _authorise(ctx, db, token)
        db.execute(sa.delete(BackupCodeRow).where(col(BackupCodeRow.user_id) == user_id))
        for code, code_hash in zip(codes, hashes, strict=True):
            db.add(
                BackupCodeRow(
                    id=new_id("bkc"),
                    user_id=user_id,
                    code_hash=code_hash,
                    lookup_hmac=_lookup(ctx, user_id, code),
                    kept_by_mirror=ctx.mirror is not None,  # mirror.write gives it the set first
                    created_at=ctx.now(),
                )
            )
        events.record(db, user_id, "backup_codes.generated", f"{CODES_PER_SET} codes", ctx.now())

    # Where the identity keeps its own copy (Clerk), the new codes replace its old ones before
    # they are committed and shown here (mirror.py).
    mirror.write(ctx, token, work, new_backup_codes=codes)
    return BackupCodes(codes=codes)


def count_unused(ctx: AccountContext, token: str) -> int:
    with ctx.read() as db:
        _, user = signed_in(ctx, db, token)
        return len(unused(db, user.id))


def redeem(ctx: AccountContext, user_id: str, code: str, on_success: Callable[[Session], T]) -> T:
    """Use one backup code of the user's, then run `on_success` in the same transaction. The
    slow hash check (one, or one per code stored without a lookup part) runs before the write
    transaction; the use itself is a conditional update, so of two requests racing with the same
    code exactly one wins."""
    normalised = normalise_backup_code(code)
    if len(normalised) != BACKUP_CODE_LENGTH + 1 or any(
        ch not in BACKUP_CODE_ALPHABET for ch in normalised.replace("-", "")
    ):
        raise AccountError("form_param_format_invalid", "Enter one of your backup codes, like abcde-fghjk.")
    with ctx.read() as db:
        user = db.get(UserRow, user_id)
        lockout.ensure_not_locked(user, ctx.now())
        codes = unused(db, user_id) if has_mfa(db, user_id) else []
    if not codes:
        raise AccountError("backup_codes_not_available", "There are no backup codes to use on this account.")
    lookup = _lookup(ctx, user_id, normalised)
    candidates = [c for c in codes if c.lookup_hmac is None or same(c.lookup_hmac, lookup)]
    # No candidate: check one of the set's hashes anyway (it cannot match), so that every attempt
    # costs one verification and its time tells nothing about which prefixes exist.
    checked = candidates or codes[:1]
    match = next((c for c in checked if ctx.hashing.backup_code_matches(c.code_hash, normalised)), None)
    used_at_mirror = False
    if match is not None and ctx.mirror is not None:
        # The mirror's copy first (mirror.py). A code of a set the mirror was given that it no
        # longer takes was used at the mirror's own sign-in: it is used up here, and refused.
        used_at_mirror = not ctx.mirror.use_backup_code(user_id, normalised) and match.kept_by_mirror

    def work(db: Session) -> T:
        now = ctx.now()
        lockout.ensure_row_not_locked(db, user_id, now)
        used = 0
        if match is not None:
            used = changed_rows(
                db,
                sa.update(BackupCodeRow)
                .where(col(BackupCodeRow.id) == match.id, col(BackupCodeRow.used_at).is_(None))
                .values(used_at=now),
            )
        if used != 1 or used_at_mirror:
            incorrect = AccountError("form_code_incorrect", "That backup code is incorrect or was already used.")
            lockout.count_failure(ctx, db, user_id, "second_factor", incorrect)
        lockout.clear_failures(db, user_id, "second_factor")
        events.record(db, user_id, "backup_code.used", "", now)
        return on_success(db)

    return ctx.write(work)


def _new_set(ctx: AccountContext) -> list[str]:
    """CODES_PER_SET codes with distinct lookup prefixes (a code whose prefix is taken is drawn
    again), so that any attempt matches at most one of them."""
    by_prefix: dict[str, str] = {}
    while len(by_prefix) < CODES_PER_SET:
        code = backup_code(ctx.rng)
        by_prefix.setdefault(code[:LOOKUP_LENGTH], code)
    return list(by_prefix.values())


def _lookup(ctx: AccountContext, user_id: str, normalised_code: str) -> str:
    return ctx.hmac("backup_code_lookup", user_id, normalised_code[:LOOKUP_LENGTH])


def unused(db: Session, user_id: str) -> list[BackupCodeRow]:
    query = select(BackupCodeRow).where(col(BackupCodeRow.user_id) == user_id, col(BackupCodeRow.used_at).is_(None))
    return list(db.exec(query).all())
