"""Support's rules (accounts/support.py) and the admin commands that run them (mfa_app/admin.py):
each command's output and exit status, confirmation unless --yes, an unknown account refused."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from mfa_app import accounts, admin
from mfa_app.accounts import AccountError, support
from tests.helpers import PASSWORD, add_verified_phone, enable_mfa, generate_backup_codes, sign_up

OPERATOR = "alice"
ROOT_DIR = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _operator(monkeypatch):
    monkeypatch.setattr(admin.getpass, "getuser", lambda: OPERATOR)


def cli(ctx, capsys, *argv: str, answer: str | None = None) -> tuple[int, str, str]:
    """Run an admin command; `answer` is typed at the confirmation prompt (none: no input)."""
    sys.stdin = io.StringIO("" if answer is None else answer + "\n")
    try:
        status = admin.run(ctx, list(argv))
    finally:
        sys.stdin = sys.__stdin__
    out, err = capsys.readouterr()
    return status, out, err


def lock(ctx, email: str) -> None:
    for _ in range(10):
        with pytest.raises(AccountError):
            accounts.sign_in(ctx, email, "wrong password!")


@pytest.fixture
def mfa_user(ctx, outbox, clock, user):
    add_verified_phone(ctx, outbox, user.token, "+14155550100")
    enable_mfa(ctx, outbox, user.token, "+14155552671")
    generate_backup_codes(ctx, outbox, user.token, clock)
    return user


# --- find, show ----------------------------------------------------------------------------------


def test_find_lists_the_accounts_whose_address_contains_the_text(ctx, capsys):
    for email in ("ada@example.com", "bob@example.com", "ada.l@other.org"):
        sign_up(ctx, email)
    status, out, _ = cli(ctx, capsys, "find", "ADA")
    assert status == 0
    assert [line.split()[0] for line in out.splitlines()] == ["ada.l@other.org", "ada@example.com"]
    assert all(line.split()[1].startswith("user_") for line in out.splitlines())
    assert support.find_accounts(ctx, "%") == []  # the text is matched literally


def test_find_with_no_match_exits_non_zero(ctx, capsys):
    status, out, err = cli(ctx, capsys, "find", "nobody")
    assert (status, out) == (1, "")
    assert "No account" in err


def test_show_masks_phones_and_tells_mfa_lockout_and_events(ctx, capsys, mfa_user):
    lock(ctx, mfa_user.email)
    status, out, _ = cli(ctx, capsys, "show", mfa_user.email.upper())

    assert status == 0
    assert "MFA: on, 10 unused backup codes" in out
    assert "phone +1 *** *** 2671  verified, MFA, default" in out
    assert "phone +1 *** *** 0100  verified" in out
    # Masked: no "415 555" in any spelling (a random id may hold "555" by chance).
    assert not re.search(r"415\D{0,2}555", out)
    assert "Lockout: locked until" in out and "0 wrong passwords in a row" in out
    assert "Signed-in sessions: 1" in out
    assert "user.locked" in out and "backup_codes.generated" in out


@pytest.mark.parametrize(
    "argv",
    [
        ["show", "nobody@example.com"],
        ["unlock", "nobody@example.com", "--yes"],
        ["revoke-sessions", "nobody@example.com", "--yes"],
        ["reset-mfa", "nobody@example.com", "--reason", "ticket 1", "--yes"],
    ],
)
def test_an_unknown_account_exits_non_zero(ctx, capsys, argv):
    status, _out, err = cli(ctx, capsys, *argv)
    assert status == 1
    assert "No account has the email address 'nobody@example.com'" in err


def test_a_usage_error_exits_2(ctx, capsys):
    with pytest.raises(SystemExit) as exited:
        admin.run(ctx, ["reset-mfa", "someone@example.com"])  # no --reason
    assert exited.value.code == 2


# --- unlock --------------------------------------------------------------------------------------


def test_unlock_ends_a_lockout_and_records_who_did_it(ctx, capsys, user):
    lock(ctx, user.email)
    status, out, _ = cli(ctx, capsys, "unlock", user.email, answer="y")

    assert status == 0 and f"Unlocked {user.email}." in out
    assert accounts.sign_in(ctx, user.email, PASSWORD).attempt.status == "complete"
    event = accounts.security_events(ctx, user.token)[1]
    assert (event.kind, event.detail) == ("support.unlocked", f"by {OPERATOR}")


def test_unlock_starts_the_failure_counts_afresh(ctx, capsys, user):
    for _ in range(9):
        with pytest.raises(AccountError):
            accounts.sign_in(ctx, user.email, "wrong password!")
    assert support.unlock(ctx, user.email, OPERATOR) is False
    for _ in range(9):
        with pytest.raises(AccountError, match="form_password_incorrect"):
            accounts.sign_in(ctx, user.email, "wrong password!")


@pytest.mark.parametrize("answer", ["n", "", None])
def test_a_change_not_confirmed_changes_nothing(ctx, capsys, user, answer):
    lock(ctx, user.email)
    status, out, _ = cli(ctx, capsys, "unlock", user.email, answer=answer)
    assert status == 1 and "Nothing changed." in out
    with pytest.raises(AccountError, match="user_locked"):
        accounts.sign_in(ctx, user.email, PASSWORD)


# --- revoke-sessions -----------------------------------------------------------------------------


def test_revoke_sessions_signs_out_every_session(ctx, capsys, user):
    other = accounts.sign_in(ctx, user.email, PASSWORD).session_token
    status, out, _ = cli(ctx, capsys, "revoke-sessions", user.email, "--yes")

    assert status == 0 and f"Signed out 2 sessions of {user.email}." in out
    for token in (user.token, other):
        with pytest.raises(AccountError, match="signed_out"):
            accounts.get_user(ctx, token)
    token = accounts.sign_in(ctx, user.email, PASSWORD).session_token
    event = accounts.security_events(ctx, token)[1]
    assert (event.kind, event.detail) == ("support.sessions_revoked", f"2 by {OPERATOR}")


# --- reset-mfa -----------------------------------------------------------------------------------


def test_reset_mfa_turns_mfa_off_deletes_backup_codes_records_why_and_tells_the_user(ctx, capsys, emails, mfa_user):
    status, out, _ = cli(ctx, capsys, "reset-mfa", mfa_user.email, "--reason", "lost phone, ticket 42", answer="yes")

    assert status == 0
    assert "1 phones no longer used for MFA, 10 backup codes deleted" in out
    assert "The user was told by email." in out
    result = accounts.sign_in(ctx, mfa_user.email, PASSWORD)
    assert result.attempt.status == "complete"  # the password alone now
    user = accounts.get_user(ctx, result.session_token)
    assert (user.two_factor_enabled, user.backup_code_enabled) == (False, False)
    assert len(user.phone_numbers) == 2  # the phones stay on the account
    event = next(e for e in accounts.security_events(ctx, result.session_token) if e.kind == "support.mfa_reset")
    assert event.detail == f"by {OPERATOR}: lost phone, ticket 42"
    [notice] = emails.messages()
    assert notice["to"] == mfa_user.email and "Two-step verification was turned off" in notice["subject"]


def test_reset_mfa_needs_a_reason(ctx, mfa_user):
    with pytest.raises(AccountError, match="reason_required"):
        support.reset_mfa(ctx, mfa_user.email, OPERATOR, "   ")


def test_reset_mfa_refuses_an_account_without_mfa(ctx, capsys, emails, user):
    status, _, err = cli(ctx, capsys, "reset-mfa", user.email, "--reason", "ticket 7", "--yes")
    assert status == 1 and "MFA is not on" in err
    assert emails.messages() == []


def test_reset_mfa_says_when_the_email_could_not_be_sent(ctx, capsys, mfa_user):
    from mfa_app.mail import EmailSendError

    class Down:
        def send(self, email):
            raise EmailSendError("down", maybe_sent=False)

    ctx.email = Down()
    status, out, _ = cli(ctx, capsys, "reset-mfa", mfa_user.email, "--reason", "ticket 9", "--yes")
    assert status == 0 and "could NOT be sent" in out
    assert accounts.sign_in(ctx, mfa_user.email, PASSWORD).attempt.status == "complete"


# --- purge ---------------------------------------------------------------------------------------


def test_purge_asks_then_prints_what_it_deleted(ctx, capsys, clock, user):
    accounts.sign_out(ctx, accounts.sign_in(ctx, user.email, PASSWORD).session_token)
    clock.advance(days=31)
    status, out, _ = cli(ctx, capsys, "purge", answer="n")
    assert status == 1

    status, out, _ = cli(ctx, capsys, "purge", answer="y")
    assert status == 0
    assert "dead for more than 30 days, and security events older than 365 days?" in out
    assert "Deleted 1 sessions, 0 SMS codes, 0 reset links, 0 SMS sends and 0 security events" in out


# --- the entry point -----------------------------------------------------------------------------


def test_python_m_mfa_app_admin_uses_the_apps_settings(database_url, tmp_path):
    from mfa_app.accounts.factory import build_context
    from mfa_app.settings import Settings

    settings = Settings(database_url=database_url, data_dir=tmp_path, secret_key="cli-secret")
    ctx = build_context(settings)
    try:
        accounts.sign_up(ctx, "cli@example.com", PASSWORD)
    finally:
        ctx.engine.dispose()
    env = {**os.environ, "MFA_DATABASE_URL": database_url, "MFA_DATA_DIR": str(tmp_path)}
    env["MFA_SECRET_KEY"] = "cli-secret"
    shown = subprocess.run(
        [sys.executable, "-m", "mfa_app.admin", "show", "cli@example.com"], cwd=ROOT_DIR, env=env,
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("cli@example.com  user_")
    unknown = subprocess.run(
        [sys.executable, "-m", "mfa_app.admin", "show", "x@example.com"], cwd=ROOT_DIR, env=env,
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert unknown.returncode == 1
