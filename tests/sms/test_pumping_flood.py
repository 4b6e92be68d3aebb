"""An SMS-pumping flood, the way it is run: fresh accounts (sign-up is open) add numbers of the
attacker's choosing, the number of an existing MFA user among them, from a handful of client
addresses, and ask for codes again and again, dropping a waiting phone for a new one whenever the
account may hold no more. Afterwards that user's sign-in and re-verification codes still go out.

Each scenario prints what absorbed the attempts (`pytest -s tests/sms/test_pumping_flood.py`):
"sent" is what the flood cost, the other keys the limit (setting) or error that refused."""

from __future__ import annotations

from collections import Counter

import pytest

from mfa_app import accounts
from mfa_app.accounts.errors import AccountError
from tests.helpers import PASSWORD, enable_mfa, sign_up

ATTACKERS = 30
ROUNDS = 6  # 31 s apart, past each code's resend cooldown: 3 minutes in all
VICTIM_PHONE = "+14155552671"
TARGETS = [f"+447400{100000 + n:06d}" for n in range(ATTACKERS * ROUNDS)]


def flood(ctx, clock, addresses: int) -> Counter:
    """The flood from `addresses` client addresses, the accounts spread evenly over them; the
    attempts counted by outcome."""
    attackers = [sign_up(ctx) for _ in range(ATTACKERS)]
    waiting: list[list[str]] = [[] for _ in attackers]
    targets = iter(TARGETS)
    outcomes: Counter = Counter()

    def attempt(call) -> None:
        try:
            call()
            outcomes["sent"] += 1
        except AccountError as refused:
            outcomes[refused.meta.get("limit", refused.code)] += 1

    for round_ in range(ROUNDS):
        clock.advance(seconds=31)
        for n, attacker in enumerate(attackers):
            client = f"203.0.113.{n % addresses + 1}"
            number = VICTIM_PHONE if round_ == 0 else next(targets)
            try:
                phone = accounts.create_phone(ctx, attacker.token, number)
            except AccountError as refused:  # too many waiting: drop the oldest for the new one
                outcomes[refused.meta.get("limit", refused.code)] += 1
                accounts.destroy_phone(ctx, attacker.token, waiting[n].pop(0))
                phone = accounts.create_phone(ctx, attacker.token, number)
            waiting[n].append(phone.id)
            for phone_id in waiting[n]:  # a code to the new number, and again to the others
                attempt(lambda: accounts.prepare_verification(ctx, attacker.token, phone_id, client))
    return outcomes


@pytest.mark.parametrize(
    ("scenario", "overrides", "addresses"),
    [
        ("defaults, 6 addresses", {}, 6),
        ("app-wide new-number cap raised to 1000, 6 addresses", {"sms_new_numbers_per_hour": 1000}, 6),
    ],
)
def test_a_flood_of_codes_to_new_numbers_never_blocks_codes_to_mfa_phones(
    ctx, outbox, clock, settings, scenario, overrides, addresses
):
    victim = sign_up(ctx)
    mfa_phone = enable_mfa(ctx, outbox, victim.token, VICTIM_PHONE)
    for name, value in overrides.items():
        setattr(settings, name, value)
    before = len(outbox.messages())

    outcomes = flood(ctx, clock, addresses)

    delivered = len(outbox.messages()) - before
    print(f"\nflood, {scenario}: {sum(outcomes.values())} attempts: {dict(outcomes.most_common())}")
    assert outcomes["sent"] == delivered
    sends_asked = sum(1 + min(round_, 2) for round_ in range(ROUNDS)) * ATTACKERS
    assert sum(outcomes.values()) - outcomes["unverified_phones_per_account"] == sends_asked
    assert delivered <= min(settings.sms_new_numbers_per_hour, addresses * settings.sms_new_numbers_per_client_per_hour)
    assert sum(m["to"] == VICTIM_PHONE for m in outbox.messages()) <= settings.sms_per_phone_per_hour

    pending = accounts.sign_in(ctx, victim.email, PASSWORD).session_token
    sent = len(outbox.messages())
    accounts.prepare_second_factor(ctx, pending, mfa_phone.id)
    assert len(outbox.messages()) == sent + 1 and outbox.messages()[-1]["to"] == VICTIM_PHONE
    assert (
        accounts.attempt_second_factor(ctx, pending, "phone_code", outbox.last_code(VICTIM_PHONE)).status == "complete"
    )
    accounts.prepare_reverification(ctx, victim.token, mfa_phone.id)
    assert len(outbox.messages()) == sent + 2 and outbox.messages()[-1]["to"] == VICTIM_PHONE
    accounts.reverify(ctx, victim.token, "phone_code", outbox.last_code(VICTIM_PHONE))


def test_a_flood_from_one_address_leaves_the_new_number_budget_to_everyone_else(ctx, outbox, clock, settings):
    outcomes = flood(ctx, clock, 1)

    print(f"\nflood, defaults, 1 address: {sum(outcomes.values())} attempts: {dict(outcomes.most_common())}")
    assert outcomes["sent"] == settings.sms_new_numbers_per_client_per_hour
    newcomer = sign_up(ctx)
    phone = accounts.create_phone(ctx, newcomer.token, "+14155550123")
    accounts.prepare_verification(ctx, newcomer.token, phone.id, "192.0.2.50")
    assert outbox.messages()[-1]["to"] == "+14155550123"
