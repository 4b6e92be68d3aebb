"""The purge: what has been dead for MFA_RETENTION_DAYS goes (ended sessions with their codes,
expired codes, hand-off nonces, reset links, SMS sends), security events after
MFA_SECURITY_EVENT_RETENTION_DAYS; live codes, live sessions and what the hourly limits count
stay. And the backend's periodic task that runs it."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest
import sqlalchemy as sa

from mfa_app import accounts
from mfa_app.accounts.housekeeping import Purged, purge
from mfa_app.store.tables import (
    PasswordResetRow,
    SecurityEventRow,
    SessionRow,
    SmsSendRow,
    VerificationRow,
)
from tests.helpers import PASSWORD, add_verified_phone, enable_mfa, run_async, sign_up

LINK = "https://mfa.example.com/auth/password-reset"
NOTHING = Purged(0, 0, 0, 0, 0, 0)


@pytest.fixture
def long_sessions(ctx):
    """Sessions that live 90 days: a signed-in one outlasts the 30-day retention."""
    ctx.settings = ctx.settings.model_copy(update={"session_ttl_s": 90 * 24 * 3600})
    return ctx


def count(ctx, table, *where) -> int:
    with ctx.read() as db:
        return db.execute(sa.select(sa.func.count()).select_from(table).where(*where)).scalar_one()


def test_a_fresh_database_has_nothing_to_purge(ctx, user):
    assert purge(ctx) == NOTHING


def test_rows_dead_for_the_retention_go_and_the_rest_stays(long_sessions, outbox, clock):
    ctx = long_sessions
    person = sign_up(ctx)  # stays signed in
    accounts.sign_out(ctx, accounts.sign_in(ctx, person.email, PASSWORD).session_token)
    add_verified_phone(ctx, outbox, person.token, "+14155550123")  # a used code
    accounts.start_handoff(ctx, person.token)  # a nonce never traded
    accounts.request_password_reset(ctx, person.email, client_ip="203.0.113.7", link_base=LINK)
    clock.advance(days=30)
    accounts.sign_out(ctx, accounts.sign_in(ctx, person.email, PASSWORD).session_token)  # ended, recently
    clock.advance(hours=1)

    purged = purge(ctx)

    assert purged == Purged(
        sessions=1, verifications=1, handoff_nonces=1, reset_links=1, sms_sends=1, security_events=0
    )
    assert accounts.get_user(ctx, person.token).email_address == person.email
    assert count(ctx, SessionRow) == 2  # the signed-in one and the one ended an hour ago
    assert count(ctx, SessionRow, SessionRow.handoff_hmac.is_not(None)) == 0
    assert count(ctx, VerificationRow) == count(ctx, PasswordResetRow) == count(ctx, SmsSendRow) == 0
    assert purge(ctx) == NOTHING


def test_live_codes_and_links_stay_whatever_the_retention(ctx, outbox, clock, user):
    ctx.settings = ctx.settings.model_copy(update={"retention_days": 1})
    phone = accounts.create_phone(ctx, user.token, "+14155550123")
    clock.advance(days=2)
    accounts.prepare_verification(ctx, user.token, phone.id)
    accounts.request_password_reset(ctx, user.email, client_ip="203.0.113.7", link_base=LINK)

    assert purge(ctx) == NOTHING
    accounts.attempt_verification(ctx, user.token, phone.id, outbox.last_code())


def test_the_retention_comes_from_the_settings(ctx, clock, user):
    accounts.sign_out(ctx, accounts.sign_in(ctx, user.email, PASSWORD).session_token)
    clock.advance(days=2)
    assert purge(ctx).sessions == 0
    ctx.settings = ctx.settings.model_copy(update={"retention_days": 1})
    assert purge(ctx).sessions == 1


def test_a_code_that_outlives_the_cutoff_goes_with_its_ended_session(ctx, outbox, clock, user):
    # The sign-in's code expires 10 minutes after it is sent; its session ended just before.
    enable_mfa(ctx, outbox, user.token)
    pending = accounts.sign_in(ctx, user.email, PASSWORD).session_token
    phone = accounts.list_phones(ctx, user.token)[0]
    clock.advance(seconds=31)
    accounts.prepare_second_factor(ctx, pending, phone.id)
    clock.advance(minutes=1)
    with ctx.engine.begin() as db:
        db.execute(sa.update(SessionRow).where(SessionRow.second_factor_pending).values(revoked_at=clock.now))
    clock.advance(days=30, minutes=5)

    assert purge(ctx).sessions == 1
    assert count(ctx, VerificationRow, VerificationRow.session_id.is_not(None)) == 0


def test_the_sends_the_hourly_budgets_count_stay(ctx, outbox, clock, user):
    ctx.settings = ctx.settings.model_copy(update={"retention_days": 1, "sms_per_phone_per_hour": 2})
    phone = accounts.create_phone(ctx, user.token, "+14155550123")
    for _ in range(2):
        accounts.prepare_verification(ctx, user.token, phone.id)
        clock.advance(seconds=31)

    assert purge(ctx).sms_sends == 0
    with pytest.raises(accounts.AccountError, match="too_many_requests"):
        accounts.prepare_verification(ctx, user.token, phone.id)


def test_security_events_are_kept_for_their_own_retention(ctx, clock, user):
    clock.advance(days=364)
    token = accounts.sign_in(ctx, user.email, PASSWORD).session_token  # a second event
    assert purge(ctx).security_events == 0
    clock.advance(days=2)
    assert purge(ctx).security_events == 1
    assert [e.kind for e in accounts.security_events(ctx, token)] == ["user.signed_in"]
    assert count(ctx, SecurityEventRow) == 1


def test_the_backend_purges_at_start_and_then_periodically(ctx, clock, user, monkeypatch):
    from mfa_app import mounting, tasks
    from mfa_app.mfa_app import app

    assert mounting._migrate_then_purge in app.get_lifespan_tasks()
    accounts.sign_out(ctx, accounts.sign_in(ctx, user.email, PASSWORD).session_token)
    clock.advance(days=31)
    every_moment = replace(ctx, settings=ctx.settings.model_copy(update={"purge_interval_s": 0}))
    monkeypatch.setattr(tasks, "context", lambda: every_moment)
    purges = []
    monkeypatch.setattr(tasks.housekeeping, "purge", lambda c: purges.append(purge(c)))

    async def run_for_a_moment() -> None:
        task = asyncio.create_task(tasks.purge_periodically())
        while len(purges) < 3:
            await asyncio.sleep(0.01)
        task.cancel()

    run_async(run_for_a_moment(), timeout=10)
    assert purges[0].sessions == 1 and purges[1] == NOTHING


def test_a_failed_purge_is_logged_and_tried_again(ctx, monkeypatch, caplog):
    from mfa_app import tasks

    attempts = []

    def fail(_ctx):
        attempts.append(1)
        raise RuntimeError("database is away")

    every_moment = replace(ctx, settings=ctx.settings.model_copy(update={"purge_interval_s": 0}))
    monkeypatch.setattr(tasks, "context", lambda: every_moment)
    monkeypatch.setattr(tasks.housekeeping, "purge", fail)

    async def run_for_a_moment() -> None:
        task = asyncio.create_task(tasks.purge_periodically())
        while len(attempts) < 2:
            await asyncio.sleep(0.01)
        task.cancel()

    run_async(run_for_a_moment(), timeout=10)
    assert "housekeeping failed" in caplog.text
