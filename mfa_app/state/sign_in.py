"""Sign-up and sign-in, with the second step (SMS code or backup code) once MFA is on."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import reflex as rx

from mfa_app import accounts, routes
from mfa_app.accounts.models import SignInResult
from mfa_app.state import connections, second_factor, service
from mfa_app.state.busy import Busy
from mfa_app.state.events import event
from mfa_app.state.second_factor import CODE_ID, SecondFactorState, phones_of
from mfa_app.state.session import SessionState, focus, hand_off_session

# The fields the focus returns to when the service refuses what was typed: the form's first
# field for a refused sign-up (the message above it says which field), the password for a
# refused sign-in, the code for a refused second step.
EMAIL_ID = "email"
PASSWORD_ID = "password"


def _account_page(asked: str) -> str:
    """Where a sign-in may return to (`?next=`): one of the account pages only, so no link can
    send a person on to another site after signing in."""
    return asked if asked in (routes.paths.manage_mfa, routes.paths.add_phone) else routes.paths.manage_mfa


async def _with_credentials(
    state: SignUpState | SignInState, fn: Callable[..., SignInResult], form_data: dict
) -> SignInResult | None:
    """Call sign_up or sign_in (background handlers) with the form's email address and password;
    None when already busy, or when the service refuses (the reason shown). On success `busy`
    stays on: the caller hands the session off or shows the next step in the same update, so
    the form never looks ready in between."""
    error, code = "", ""

    def ended() -> None:
        state.error, state.refusal_kind = error, code

    async with Busy(state, error="", refusal_kind="", then=ended) as run:
        if run.refused:
            return None
        try:
            result = await service.call(fn, str(form_data.get("email", "")), str(form_data.get("password", "")))
        except accounts.AccountError as exc:
            error, code = exc.message, exc.code
            return None
        run.keep()
        return result


class SignUpState(SessionState):
    busy: rx.Field[bool] = rx.field(False)
    error: rx.Field[str] = rx.field("")
    refusal_kind: rx.Field[str] = rx.field(
        ""
    )  # the refusal's AccountError code: the field it is about, "form_identifier_exists"

    @event
    async def load(self):
        """A visitor who is signed in already has nothing to do here."""
        if await self._check_signed_in():
            return rx.redirect(routes.paths.manage_mfa)

    @event(background=True)
    async def submit(self, form_data: dict):
        result = await _with_credentials(self, accounts.sign_up, form_data)
        if result is not None:
            yield await hand_off_session(result.session_token, routes.paths.manage_mfa)
        elif self.error:
            yield focus(PASSWORD_ID if self.refusal_kind.startswith("form_password") else EMAIL_ID)


class SignInState(SecondFactorState, SessionState):
    step: rx.Field[Literal["credentials", "second_factor"]] = rx.field("credentials")
    refusal_kind: rx.Field[str] = rx.field("")
    # Where the person goes once signed in: the account page they were sent here from.
    next_path: rx.Field[str] = rx.field("")

    # The pending sign-in's token is no var: Reflex would store it with the tab's state. It is
    # kept in this process's memory for this socket only (connections.py).

    def _pending_token(self) -> str:
        return connections.pending_sign_in(self._sid())

    def _keep_pending(self, token: str) -> None:
        connections.keep_pending_sign_in(self._sid(), token)
        self._claim_tab()

    @event
    async def load(self):
        self.step, self.method, self.phones, self.sent_to = "credentials", "phone_code", [], ""
        self.error, self.busy, self.resend_in = "", False, 0
        self._keep_pending("")
        asked = self.router.url.query_parameters.get("next", "")
        self.next_path = _account_page(asked)
        if await self._check_signed_in():
            return rx.redirect(self.next_path)

    @event(background=True)
    async def submit(self, form_data: dict):
        result = await _with_credentials(self, accounts.sign_in, form_data)
        if result is None:
            if self.error:
                yield focus(PASSWORD_ID)
            return
        if result.attempt.status == "complete":
            yield await hand_off_session(result.session_token, self.next_path)
            return
        factors = result.attempt.supported_second_factors
        async with self:
            self._keep_pending(result.session_token)
            self.phones = phones_of(factors)
            self.backup_code_available = any(f.strategy == "backup_code" for f in factors)
            self.step, self.method, self.busy = "second_factor", "phone_code", False
            self.sent_to, self.resend_in = "", 0  # a new sign-in: the codes of an earlier one are no use
            first_phone = self.phones[0].id if self.phones else ""
        if first_phone:
            yield SignInState.send_code(first_phone)

    @event(background=True)
    async def send_code(self, phone_id: str):
        def send():
            return service.call(accounts.prepare_second_factor, phone_id, token=self._pending_token())

        await second_factor.send_code(self, phone_id, send)

    @event(background=True)
    async def verify(self, form_data: dict):
        verified, error, signed_out = False, "", False

        def ended() -> None:
            self.busy, self.error = verified, error  # verified: busy until the hand-off takes the page away
            if signed_out:
                self.step = "credentials"
            if verified:
                self._keep_pending("")

        async with Busy(self, error="", read=lambda: (self._pending_token(), self.method), then=ended) as run:
            if run.refused:
                return
            token, method = run.values
            try:
                await service.call(accounts.attempt_second_factor, method, str(form_data.get("code", "")), token=token)
                verified = True
            except accounts.AccountError as exc:
                error, signed_out = exc.message, exc.code == "signed_out"
        if verified:
            yield await hand_off_session(token, self.next_path)
        elif error:
            yield focus(CODE_ID)
