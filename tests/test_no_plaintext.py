"""After a full flow, no secret the user or the server ever saw in the clear (SMS codes, backup
codes, session tokens, handoff nonces, passwords) is stored anywhere in the database."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel

from mfa_app import accounts
from mfa_app.accounts.sms_codes import message_body
from tests.helpers import PASSWORD, reset_link_token

FIRST_PHONE = "+14155552671"
SECOND_PHONE = "+14155550123"
WRONG_PASSWORD = "not the password at all"
NEW_PASSWORD = "the password after a reset"

# HMACs and the random part of ids are long runs of lowercase hex: any 6 digits can turn up in
# them by chance, so they are blanked out before searching for the 6-digit codes as substrings.
_RANDOM_HEX = re.compile(r"[0-9a-f]{24,}")


class Secrets:
    """Every secret seen in the clear during the flow."""

    def __init__(self, outbox) -> None:
        self.outbox = outbox
        self.tokens: list[str] = []  # session tokens and handoff nonces
        self.backup_codes: list[str] = []
        self.passwords: list[str] = [PASSWORD, WRONG_PASSWORD, NEW_PASSWORD]

    def token(self, token: str) -> str:
        self.tokens.append(token)
        return token

    def sms_codes(self) -> list[str]:
        codes = []
        for message in self.outbox.messages():
            codes += re.findall(r"\b(\d{6})\b", message["body"])
        return sorted(set(codes))

    def long_secrets(self) -> list[str]:
        """Everything but the 6-digit SMS codes (searched for separately, see below)."""
        dashless = [c.replace("-", "") for c in self.backup_codes]
        return self.tokens + self.backup_codes + dashless + self.passwords


def stored_rows(engine) -> dict[str, list[tuple]]:
    with engine.connect() as conn:
        return {t.name: [tuple(row) for row in conn.execute(sa.select(t))] for t in SQLModel.metadata.sorted_tables}


def every_stored_value(engine) -> list[str]:
    return [str(value) for rows in stored_rows(engine).values() for row in rows for value in row]


def run_full_flow(ctx, outbox, clock, seen: Secrets) -> None:
    email = "full.flow@example.com"
    token = seen.token(accounts.sign_up(ctx, email, PASSWORD).session_token)

    # Add and verify a phone (one wrong try first), then use it for MFA.
    first = accounts.create_phone(ctx, token, FIRST_PHONE)
    accounts.prepare_verification(ctx, token, first.id)
    right = outbox.last_code(FIRST_PHONE)
    with pytest.raises(accounts.AccountError):
        accounts.attempt_verification(ctx, token, first.id, f"{(int(right) + 1) % 1_000_000:06d}")
    accounts.attempt_verification(ctx, token, first.id, right)
    accounts.set_reserved_for_second_factor(ctx, token, first.id, True)

    # Step up with an SMS code, then generate backup codes.
    clock.advance(seconds=31)
    accounts.prepare_reverification(ctx, token, first.id)
    accounts.reverify(ctx, token, "phone_code", outbox.last_code(FIRST_PHONE))
    seen.backup_codes += accounts.create_backup_codes(ctx, token).codes
    accounts.sign_out(ctx, token)

    # A wrong password, then sign in with password + SMS code.
    with pytest.raises(accounts.AccountError):
        accounts.sign_in(ctx, email, WRONG_PASSWORD)
    pending = seen.token(accounts.sign_in(ctx, email, PASSWORD).session_token)
    clock.advance(seconds=31)
    accounts.prepare_second_factor(ctx, pending, first.id)
    assert (
        accounts.attempt_second_factor(ctx, pending, "phone_code", outbox.last_code(FIRST_PHONE)).status == "complete"
    )
    accounts.sign_out(ctx, pending)

    # Sign in with password + backup code (one wrong backup code first).
    token = seen.token(accounts.sign_in(ctx, email, PASSWORD).session_token)
    with pytest.raises(accounts.AccountError):
        accounts.attempt_second_factor(ctx, token, "backup_code", "zzzzz-zzzzz")
    assert accounts.attempt_second_factor(ctx, token, "backup_code", seen.backup_codes[0]).status == "complete"

    # Re-verify with an SMS code and with a backup code.
    clock.advance(seconds=31)
    accounts.prepare_reverification(ctx, token, first.id)
    accounts.reverify(ctx, token, "phone_code", outbox.last_code(FIRST_PHONE))
    accounts.reverify(ctx, token, "backup_code", seen.backup_codes[1].upper())

    # A second phone: add, verify, use for MFA, make it the default.
    second = accounts.create_phone(ctx, token, SECOND_PHONE)
    accounts.prepare_verification(ctx, token, second.id)
    accounts.attempt_verification(ctx, token, second.id, outbox.last_code(SECOND_PHONE))
    accounts.set_reserved_for_second_factor(ctx, token, second.id, True)
    accounts.make_default_second_factor(ctx, token, second.id)

    # A fresh set of backup codes replaces the first one; the old first phone is removed.
    seen.backup_codes += accounts.create_backup_codes(ctx, token).codes
    accounts.set_reserved_for_second_factor(ctx, token, first.id, False)
    accounts.destroy_phone(ctx, token, first.id)

    # A second signed-in session traded through a cookie handoff (one nonce finished, one left
    # pending), and a session still waiting for its code.
    live = seen.token(accounts.sign_in(ctx, email, PASSWORD).session_token)
    accounts.prepare_second_factor(ctx, live, second.id)
    accounts.attempt_second_factor(ctx, live, "phone_code", outbox.last_code(SECOND_PHONE))
    live = seen.token(accounts.finish_handoff(ctx, seen.token(accounts.start_handoff(ctx, live))))
    seen.token(accounts.start_handoff(ctx, live))
    waiting = seen.token(accounts.sign_in(ctx, email, PASSWORD).session_token)
    clock.advance(seconds=31)
    accounts.prepare_second_factor(ctx, waiting, second.id)

    assert accounts.get_user(ctx, token).two_factor_enabled

    # A password reset link asked for and used (and one asked for an address with no account).
    for address in (email, "nobody@example.com"):
        accounts.request_password_reset(ctx, address, client_ip="203.0.113.7", link_base="https://x/auth/reset")
    accounts.reset_password(ctx, seen.token(reset_link_token(ctx.email, email)), NEW_PASSWORD)


def test_full_flow_collects_the_secrets_it_checks_for(ctx, outbox, clock):
    seen = Secrets(outbox)
    run_full_flow(ctx, outbox, clock, seen)

    assert len(seen.sms_codes()) >= 7
    assert len(seen.backup_codes) == 20
    assert len(seen.tokens) == 9
    assert re.findall(r"\b(\d{6})\b", message_body(ctx.settings, "123456")) == ["123456", "123456"]
    empty = [name for name, rows in stored_rows(ctx.engine).items() if not rows]
    assert empty == [], "the flow should leave rows in every table, so the scan below covers them all"


def test_no_token_backup_code_or_password_is_stored_in_any_table(ctx, outbox, clock):
    seen = Secrets(outbox)
    run_full_flow(ctx, outbox, clock, seen)
    values = every_stored_value(ctx.engine)

    for secret in seen.long_secrets():
        leaks = [v for v in values if secret.lower() in v.lower()]
        assert not leaks, f"a secret is stored in the clear: {secret!r} in {leaks[:3]}"


def test_no_sms_code_appears_inside_any_stored_value(ctx, outbox, clock):
    seen = Secrets(outbox)
    run_full_flow(ctx, outbox, clock, seen)
    values = [_RANDOM_HEX.sub("<hex>", v) for v in every_stored_value(ctx.engine)]

    for code in seen.sms_codes():
        leaks = [v for v in values if code in v]
        assert not leaks, f"SMS code {code} appears in stored values {leaks[:3]}"
