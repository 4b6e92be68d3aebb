"""Password reset by email: the same answer whether or not the address has an account, limits
per address and per client, a link that works once within 30 minutes, a reset that signs out
every session, tells the user, and never bypasses MFA."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from mfa_app import accounts
from mfa_app.accounts import AccountError
from mfa_app.store.tables import PasswordResetRow
from tests.helpers import PASSWORD, enable_mfa, reset_link_token, sign_up

LINK = "https://mfa.example.com/auth/password-reset"
IP = "203.0.113.7"
NEW_PASSWORD = "a brand new passphrase"


def request(ctx, email: str, client_ip: str = IP) -> None:
    accounts.request_password_reset(ctx, email, client_ip=client_ip, link_base=LINK)


def refused(fn, *args, **kwargs) -> AccountError:
    with pytest.raises(AccountError) as caught:
        fn(*args, **kwargs)
    return caught.value


def test_a_reset_link_is_emailed_to_an_account_address(ctx, emails, user):
    request(ctx, user.email.upper())

    [message] = emails.messages()
    assert message["to"] == user.email
    assert message["subject"] == "Reset your mfa_app password"
    token = reset_link_token(emails, user.email)
    assert f"{LINK}?token={token}" in message["body"]
    assert "30 minutes" in message["body"]
    assert accounts.security_events(ctx, user.token)[0].kind == "password.reset_requested"


def test_an_address_without_an_account_gets_the_same_answer_and_no_email(ctx, emails):
    assert request(ctx, "nobody@example.com") is None
    assert emails.messages() == []
    with ctx.read() as db:
        row = db.exec(sa.select(PasswordResetRow)).scalars().one()
    assert (row.user_id, row.token_hmac, row.client_ip) == (None, None, IP)
    assert "nobody" not in row.email_hmac


def test_a_malformed_address_is_refused(ctx):
    assert refused(request, ctx, "not an address").code == "form_param_format_invalid"


def test_the_email_goes_after_the_answer(ctx, emails, user):
    later = []
    ctx.defer = later.append
    request(ctx, user.email)
    assert emails.messages() == []
    later.pop()()
    assert len(emails.messages()) == 1


@pytest.mark.parametrize("has_account", [True, False])
def test_three_requests_per_address_per_hour_account_or_not(ctx, clock, user, has_account):
    email = user.email if has_account else "nobody@example.com"
    for n in range(3):
        request(ctx, email, client_ip=f"198.51.100.{n}")
    error = refused(request, ctx, email, client_ip="198.51.100.99")
    assert (error.code, error.status) == ("too_many_requests", 429)
    clock.advance(hours=1)
    request(ctx, email)


def test_ten_requests_per_client_per_hour(ctx, clock):
    for n in range(10):
        request(ctx, f"person{n}@example.com")
    assert refused(request, ctx, "person10@example.com").code == "too_many_requests"
    request(ctx, "person10@example.com", client_ip="198.51.100.1")
    clock.advance(hours=1)
    request(ctx, "person11@example.com")


def test_the_limits_come_from_the_settings(ctx):
    ctx.settings = ctx.settings.model_copy(update={"password_reset_per_address_per_hour": 1})
    request(ctx, "a@example.com")
    assert refused(request, ctx, "a@example.com", client_ip="198.51.100.1").code == "too_many_requests"


def test_the_new_password_signs_in_the_old_one_no_longer(ctx, emails, user):
    request(ctx, user.email)
    accounts.reset_password(ctx, reset_link_token(emails, user.email), NEW_PASSWORD, client_ip=IP)

    assert accounts.sign_in(ctx, user.email, NEW_PASSWORD).attempt.status == "complete"
    assert refused(accounts.sign_in, ctx, user.email, PASSWORD).code == "form_password_incorrect"


def test_a_reset_signs_out_every_session_records_an_event_and_tells_the_user(ctx, emails, user):
    other = accounts.sign_in(ctx, user.email, PASSWORD).session_token
    request(ctx, user.email)
    accounts.reset_password(ctx, reset_link_token(emails, user.email), NEW_PASSWORD, client_ip=IP)

    for token in (user.token, other):
        assert refused(accounts.get_user, ctx, token).code == "signed_out"
    token = accounts.sign_in(ctx, user.email, NEW_PASSWORD).session_token
    event = accounts.security_events(ctx, token)[1]
    assert (event.kind, event.detail) == ("password.reset", "2 sessions signed out")
    notice = emails.messages()[-1]
    assert (notice["to"], notice["subject"]) == (user.email, "Your mfa_app password was changed")


def test_a_link_works_once(ctx, emails, user):
    request(ctx, user.email)
    token = reset_link_token(emails, user.email)
    accounts.check_password_reset(ctx, token)
    accounts.reset_password(ctx, token, NEW_PASSWORD)

    assert refused(accounts.check_password_reset, ctx, token).code == "reset_link_invalid"
    assert refused(accounts.reset_password, ctx, token, "yet another passphrase").code == "reset_link_invalid"
    assert accounts.sign_in(ctx, user.email, NEW_PASSWORD).attempt.status == "complete"


def test_using_one_link_uses_every_link_of_the_account(ctx, emails, user):
    request(ctx, user.email)
    first = reset_link_token(emails, user.email)
    request(ctx, user.email)
    second = reset_link_token(emails, user.email)
    assert first != second
    accounts.reset_password(ctx, second, NEW_PASSWORD)
    assert refused(accounts.reset_password, ctx, first, "yet another passphrase").code == "reset_link_invalid"


def test_a_link_expires_after_30_minutes(ctx, emails, clock, user):
    request(ctx, user.email)
    token = reset_link_token(emails, user.email)
    clock.advance(minutes=29, seconds=59)
    accounts.check_password_reset(ctx, token)
    clock.advance(seconds=1)
    error = refused(accounts.reset_password, ctx, token, NEW_PASSWORD)
    assert (error.code, error.status) == ("reset_link_expired", 410)
    assert accounts.sign_in(ctx, user.email, PASSWORD).attempt.status == "complete"


@pytest.mark.parametrize("token", ["", "made-up-token"])
def test_an_unknown_link_is_refused(ctx, token):
    assert refused(accounts.check_password_reset, ctx, token).code == "reset_link_invalid"
    assert refused(accounts.reset_password, ctx, token, NEW_PASSWORD).code == "reset_link_invalid"


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("short", "form_password_length_too_short"),
        ("x" * 257, "form_password_length_too_long"),
        ("password1", "form_password_pwned"),
    ],
)
def test_the_new_password_follows_the_sign_up_rules_and_a_refusal_keeps_the_link(ctx, emails, user, password, code):
    request(ctx, user.email)
    token = reset_link_token(emails, user.email)
    assert refused(accounts.reset_password, ctx, token, password).code == code
    accounts.reset_password(ctx, token, NEW_PASSWORD)


def test_a_reset_never_bypasses_mfa(ctx, outbox, emails, user):
    enable_mfa(ctx, outbox, user.token)
    request(ctx, user.email)
    accounts.reset_password(ctx, reset_link_token(emails, user.email), NEW_PASSWORD)

    result = accounts.sign_in(ctx, user.email, NEW_PASSWORD)
    assert result.attempt.status == "needs_second_factor"
    assert refused(accounts.get_user, ctx, result.session_token).code == "signed_out"


def test_a_link_resets_only_its_own_account(ctx, emails, user):
    other = sign_up(ctx)
    request(ctx, user.email)
    accounts.reset_password(ctx, reset_link_token(emails, user.email), NEW_PASSWORD)
    assert accounts.sign_in(ctx, other.email, PASSWORD).attempt.status == "complete"
    assert accounts.get_user(ctx, other.token).email_address == other.email
