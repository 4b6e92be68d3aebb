"""Sign-up and sign-in, with the second step (SMS code or backup code) once MFA is on."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable

import reflex as rx

from mfa_app import accounts, routes
from mfa_app.accounts.models import SignInResult
from mfa_app.state.service import context
from mfa_app.state.session import SessionState, hand_off_session


@dataclasses.dataclass
class SecondFactorPhone:
    id: str
    masked: str


async def _with_credentials(
    state: SignUpState | SignInState, fn: Callable[..., SignInResult], form_data: dict
) -> SignInResult | None:
    """Call sign_up or sign_in with the form's email address and password; None (and the reason
    shown) when the service refuses."""
    try:
        return await asyncio.to_thread(
            fn, context(), str(form_data.get("email", "")), str(form_data.get("password", ""))
        )
    except accounts.AccountError as exc:
        state.error = exc.message
        return None
    finally:
        state.busy = False


class SignUpState(SessionState):
    busy: bool = False
    error: str = ""

    @rx.event
    async def submit(self, form_data: dict):
        self.busy, self.error = True, ""
        yield
        result = await _with_credentials(self, accounts.sign_up, form_data)
        if result is not None:
            yield await hand_off_session(result.session_token, routes.MANAGE_MFA)


class SignInState(SessionState):
    step: str = "credentials"  # credentials / second_factor
    method: str = "phone_code"  # phone_code / backup_code
    phones: list[SecondFactorPhone] = []
    backup_code_available: bool = False
    sent_to: str = ""
    busy: bool = False
    sending: bool = False
    error: str = ""

    _pending_token: str = ""

    @rx.event
    def load(self):
        self.step, self.method, self.phones, self.sent_to = "credentials", "phone_code", [], ""
        self.error, self.busy, self._pending_token = "", False, ""

    @rx.event
    async def submit(self, form_data: dict):
        self.busy, self.error = True, ""
        yield
        result = await _with_credentials(self, accounts.sign_in, form_data)
        if result is None:
            return
        if result.attempt.status == "complete":
            yield await hand_off_session(result.session_token, routes.MANAGE_MFA)
            return
        self._pending_token = result.session_token
        factors = result.attempt.supported_second_factors
        self.phones = [
            SecondFactorPhone(f.phone_number_id or "", f.safe_identifier or "")
            for f in sorted(factors, key=lambda f: not f.default)
            if f.strategy == "phone_code"
        ]
        self.backup_code_available = any(f.strategy == "backup_code" for f in factors)
        self.step, self.method = "second_factor", "phone_code"
        if self.phones:
            yield SignInState.send_code(self.phones[0].id)

    @rx.event
    async def send_code(self, phone_id: str):
        self.sending, self.error, self.method = True, "", "phone_code"
        yield
        try:
            await asyncio.to_thread(accounts.prepare_second_factor, context(), self._pending_token, phone_id)
            self.sent_to = next((p.masked for p in self.phones if p.id == phone_id), "")
        except accounts.AccountError as exc:
            self.error = exc.message
        finally:
            self.sending = False

    @rx.event
    def use_backup_code(self):
        self.method, self.error = "backup_code", ""

    @rx.event
    async def verify(self, form_data: dict):
        self.busy, self.error = True, ""
        yield
        try:
            await asyncio.to_thread(
                accounts.attempt_second_factor,
                context(),
                self._pending_token,
                self.method,
                str(form_data.get("code", "")),
            )
        except accounts.AccountError as exc:
            self.error = exc.message
            if exc.code == "signed_out":
                self.step = "credentials"
            return
        finally:
            self.busy = False
        token, self._pending_token = self._pending_token, ""
        yield await hand_off_session(token, routes.MANAGE_MFA)
