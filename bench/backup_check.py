"""How many argon2id verifications one backup-code attempt makes, counted through the account
service's injectable hashing: a right code, a wrong one that differs from a real code in its last
symbol only (it shares that code's lookup prefix), and a wrong one whose first two symbols start
no code, on a fresh SQLite database with a real set of ten codes. Only the service's public
behaviour is used, so the same count runs on code from before the lookup part."""

from __future__ import annotations

import contextlib
from datetime import timedelta
from pathlib import Path

from bench.app_server import AppConfig, BenchService


def measure(data_dir: Path) -> dict:
    from sqlmodel import select

    from mfa_app import accounts
    from mfa_app.accounts import backup_codes
    from mfa_app.accounts.crypto import BACKUP_CODE_ALPHABET, Hashing
    from mfa_app.store.migrate import upgrade
    from mfa_app.store.tables import SessionRow

    service = BenchService(AppConfig(data_dir))
    ctx = service.ctx
    try:
        upgrade(ctx.engine)
        token = service.sign_up_with_mfa("backup-check@example.com", "+14155550199")

        def second_factor_just_now(db) -> None:  # the step-up that generating codes asks for
            row = db.exec(select(SessionRow).where(SessionRow.token_hmac == ctx.hmac("session", token))).one()
            row.last_verified_level, row.last_verified_at = "second_factor", ctx.now() - timedelta(seconds=1)
            db.add(row)

        ctx.write(second_factor_just_now)
        codes = accounts.create_backup_codes(ctx, token).codes
        user_id = service._user_id(token)
        verified = 0
        real = ctx.hashing

        class Counting(Hashing):
            def backup_code_matches(self, code_hash: str, code: str) -> bool:
                nonlocal verified
                verified += 1
                return real.backup_code_matches(code_hash, code)

        ctx.hashing = Counting()
        taken = {c[:2] for c in codes}
        free = next(a + b for a in BACKUP_CODE_ALPHABET for b in BACKUP_CODE_ALPHABET if a + b not in taken)
        other = next(ch for ch in BACKUP_CODE_ALPHABET if ch != codes[0][-1])
        attempts = {
            "wrong code, a real one's first 9 symbols": codes[0][:-1] + other,
            "wrong code, no code's first 2 symbols": f"{free}zzz-zzzzz",
            "right code": codes[1],
        }
        counts = {}
        for what, code in attempts.items():
            verified = 0
            with contextlib.suppress(accounts.AccountError):  # the wrong ones are refused
                backup_codes.redeem(ctx, user_id, code, lambda db: None)
            counts[what] = verified
        return {"most": max(counts.values()), "per_attempt": counts}
    finally:
        service.close()
