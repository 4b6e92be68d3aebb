"""The text-message codes sent and checked by Clerk (prepare_verification and
attempt_verification, mfa_app/accounts/code_service.py) while mfa_app keeps its rules: a phone's
verification, step-up re-verification and the sign-in's second factor all go through Clerk; a
wrong, expired or over-tried code reads as mfa_app's own; Clerk not answering counts nothing;
Clerk is never asked about another user's code or for a locked account."""

from __future__ import annotations

import pytest

from mfa_app import accounts
from tests.clerk.helpers import PHONE, Clerked
from tests.helpers import Outbox

OTHER = "+14155550177"


def code_calls(ada: Clerked) -> list[str]:
    return [path.rsplit("/", 1)[1] for _, path in ada.calls() if path.endswith("_verification")]


def test_step_up_by_sms_is_a_code_clerk_sends_and_checks(ada: Clerked, codes: list[str], outbox: Outbox) -> None:
    ada.step_up_by_sms(outbox)
    assert code_calls(ada) == ["prepare_verification", "attempt_verification"]
    assert all(m["body"].startswith("Clerk: ") for m in outbox.messages())  # mfa_app texted nothing
    assert accounts.reverification_status(ada.ctx, ada.token).level == "second_factor"


def test_a_wrong_code_counts_as_mfa_apps_do_and_clerks_own_limit_ends_the_code(
    ada: Clerked, codes: list[str], outbox: Outbox
) -> None:
    ada.ctx.clock.advance(seconds=31)  # type: ignore[attr-defined]
    phone = accounts.reverification_status(ada.ctx, ada.token).phones[0]
    accounts.prepare_reverification(ada.ctx, ada.token, phone.phone_number_id)
    wrong = "000000" if outbox.last_code(PHONE) != "000000" else "111111"
    messages = []
    for _ in range(3):
        with pytest.raises(accounts.AccountError) as refused:
            accounts.reverify(ada.ctx, ada.token, "phone_code", wrong)
        messages.append(refused.value.message)
    assert messages[:2] == ["That code is incorrect. 4 tries left.", "That code is incorrect. 3 tries left."]
    with pytest.raises(accounts.AccountError) as ended:  # Clerk allows three tries
        accounts.reverify(ada.ctx, ada.token, "phone_code", outbox.last_code(PHONE))
    assert ended.value.message == "Too many incorrect tries for this code. Request a new one."


def test_clerk_not_answering_sends_and_counts_nothing(ada: Clerked, outbox: Outbox) -> None:
    phone_id = accounts.create_phone(ada.ctx, ada.token, PHONE).id
    ada.clerk.fail(0, 0, "reset")  # the user read, the number created, then the send: no answer
    with pytest.raises(accounts.AccountError) as failed:
        accounts.prepare_verification(ada.ctx, ada.token, phone_id)
    assert failed.value.code == "clerk_unavailable"
    accounts.prepare_verification(ada.ctx, ada.token, phone_id)  # no cooldown: nothing counted as sent
    ada.clerk.fail("reset")
    with pytest.raises(accounts.AccountError) as unanswered:
        accounts.attempt_verification(ada.ctx, ada.token, phone_id, outbox.last_code(PHONE))
    assert unanswered.value.code == "clerk_unavailable"
    accounts.attempt_verification(ada.ctx, ada.token, phone_id, outbox.last_code(PHONE))  # the try wasn't counted
    assert ada.mfa_app_phone().verification.status == "verified"


def test_clerk_is_asked_only_about_the_users_own_live_code(ada: Clerked, outbox: Outbox, clock) -> None:
    phone_id = accounts.create_phone(ada.ctx, ada.token, PHONE).id
    with pytest.raises(accounts.AccountError):
        accounts.attempt_verification(ada.ctx, ada.token, phone_id, "123456")  # none sent yet
    with pytest.raises(accounts.AccountError):
        accounts.attempt_verification(ada.ctx, ada.token, "idn_not_hers", "123456")
    accounts.prepare_verification(ada.ctx, ada.token, phone_id)
    ada.calls()
    clock.advance(minutes=11)  # mfa_app's ten minutes are over
    with pytest.raises(accounts.AccountError) as expired:
        accounts.attempt_verification(ada.ctx, ada.token, phone_id, outbox.last_code(PHONE))
    assert expired.value.code == "verification_expired"
    assert code_calls(ada) == []
