"""The wait for the next resend, as the states keep it: set once when a code goes out (the page
counts it down), and checked before asking the service to send again."""

from __future__ import annotations

import time

from mfa_app import accounts
from mfa_app.state import second_factor
from mfa_app.state.second_factor import SecondFactorPhone, resend_waiting, set_resend_wait
from tests.helpers import run_async


class FakeState:
    """The vars second_factor.send_code uses, and the lock a background handler takes."""

    def __init__(self) -> None:
        self.sending, self.error, self.method, self.sent_to = False, "", "phone_code", ""
        self.resend_in, self.resend_serial = 0, 0
        self.backup_code_available = False
        self.phones = [SecondFactorPhone("ph_1", "+1 *** *** 0177")]

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc) -> None:
        return None


def test_a_wait_is_its_seconds_and_a_serial_that_is_when_it_ends():
    state = FakeState()
    before = int(time.time() * 1000)
    set_resend_wait(state, 30)
    assert state.resend_in == 30
    assert before + 30_000 <= state.resend_serial <= time.time() * 1000 + 30_000
    assert resend_waiting(state)
    first = state.resend_serial
    time.sleep(0.002)
    set_resend_wait(state, 30)
    assert state.resend_serial > first  # a new wait of the same length is a new countdown
    set_resend_wait(state, 0)
    assert (state.resend_in, state.resend_serial) == (0, 0) and not resend_waiting(state)


def test_a_wait_whose_end_has_passed_is_over_without_any_tick():
    state = FakeState()
    set_resend_wait(state, 30)
    state.resend_serial = int(time.time() * 1000) - 1  # 30 s later: nothing counted resend_in down
    assert state.resend_in == 30 and not resend_waiting(state)


def test_send_code_sends_nothing_while_the_wait_lasts_and_sends_once_it_is_over():
    state, sent = FakeState(), []

    async def send():
        sent.append(1)

    assert run_async(second_factor.send_code(state, "ph_1", send)) is True
    assert (len(sent), state.resend_in, state.sent_to) == (1, 30, "+1 *** *** 0177")
    assert run_async(second_factor.send_code(state, "ph_1", send)) is False
    assert len(sent) == 1 and state.error == ""
    state.resend_serial = int(time.time() * 1000) - 1
    assert run_async(second_factor.send_code(state, "ph_1", send)) is True
    assert len(sent) == 2


def test_a_send_the_service_refuses_as_too_soon_shows_the_services_wait():
    state = FakeState()

    async def send():
        raise accounts.AccountError("verification_code_too_many_requests", "A code was just sent.", seconds_left=7)

    assert run_async(second_factor.send_code(state, "ph_1", send)) is True
    assert (state.resend_in, state.error, state.sent_to) == (7, "", "+1 *** *** 0177")
    assert resend_waiting(state)
