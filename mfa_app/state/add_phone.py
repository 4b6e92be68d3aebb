"""The add-phone page's state: enter a number, receive a code, enter it, "Phone added"."""

from __future__ import annotations

import asyncio

import reflex as rx

from mfa_app import accounts
from mfa_app.accounts.codes import RESEND_COOLDOWN
from mfa_app.accounts.numbers import preview, region_from_accept_language
from mfa_app.state.reverify import NeedsReverification, call_sensitive, retryable
from mfa_app.state.service import context
from mfa_app.state.session import SessionState, focus

# The page's elements the focus moves to when a step ends: the field to correct, or the outcome.
NUMBER_ID = "phone"
CODE_ID = "code"
ADDED_ID = "phone-added"


class AddPhoneState(SessionState):
    step: str = "enter"  # enter / verify / done
    number: str = ""
    region: str = "US"
    formatted: str = ""
    phone_id: str = ""
    resend_in: int = 0
    busy: bool = False
    error: str = ""
    notice: str = ""

    @rx.event
    async def load(self):
        self.step, self.number, self.formatted, self.phone_id = "enter", "", "", ""
        self.error, self.notice, self.busy = "", "", False
        self.region = region_from_accept_language(
            self.router.headers.accept_language or "", context().settings.default_region
        )
        await self._check_signed_in()

    @rx.event
    def set_number(self, value: str):
        self.number = value
        self.formatted = preview(value, self.region)

    @rx.event
    def set_region(self, region: str):
        self.region = region
        self.formatted = preview(self.number, self.region)

    @rx.event(background=True)
    async def submit_number(self):
        """Add the number (re-verifying first if needed), then send the code and wait for it."""
        async with self:
            if self.busy:
                return
            self.busy, self.error, self.notice = True, "", ""
            number, region = self.number, self.region
        phone, error, reverify = None, "", None
        try:
            phone = await call_sensitive(self, "add_phone.submit_number", [], accounts.create_phone, number, region)
        except NeedsReverification as needed:
            reverify = needed.event
        except accounts.AccountError as exc:
            error = exc.message
        finally:
            async with self:
                if phone is None:
                    self.busy, self.error = False, error
                else:
                    self.phone_id, self.step = phone.id, "verify"
                shown = self.formatted or self.number
        if reverify is not None:
            yield reverify
        elif error:
            yield focus(NUMBER_ID)
        elif phone is not None:
            async for update in self._send_code(phone.id, shown):
                yield update

    @rx.event(background=True)
    async def resend(self):
        async with self:
            if self.busy:
                return
            self.busy, self.error = True, ""
            phone_id, shown = self.phone_id, self.formatted or self.number
        async for update in self._send_code(phone_id, shown):
            yield update

    async def _send_code(self, phone_id: str, shown: str):
        """Send the code (`busy` is set by the caller, cleared here), then count down to the
        next resend."""
        notice, error, resend_in = "", "", 0
        try:
            await self._call(accounts.prepare_verification, phone_id, self.router.session.client_ip)
            notice, resend_in = f"We sent a code to {shown}.", int(RESEND_COOLDOWN.total_seconds())
        except accounts.AccountError as exc:
            if exc.code == "verification_code_too_many_requests":
                # A code went out moments ago (another tab): it still works, and the countdown
                # on Resend code is the one place the wait is said.
                notice, resend_in = f"We sent a code to {shown}.", int(exc.meta.get("seconds_left", 0))
            else:
                error = exc.message
        finally:
            async with self:
                self.busy, self.error, self.resend_in = False, error, resend_in
                if notice:
                    self.notice = notice
        if resend_in:
            yield AddPhoneState.count_down

    @rx.event(background=True)
    async def count_down(self):
        while True:
            await asyncio.sleep(1)
            async with self:
                if self.resend_in <= 0:
                    return
                self.resend_in -= 1

    @rx.event
    def clear_error(self):
        """The person types again: the message about the last try is done with."""
        self.error = ""

    @rx.event
    async def verify(self, form_data: dict):
        self.busy, self.error, self.notice = True, "", ""
        yield
        try:
            await self._call(accounts.attempt_verification, self.phone_id, str(form_data.get("code", "")))
            self.step = "done"
        except accounts.AccountError as exc:
            self.error = exc.message
        finally:
            self.busy = False
        yield focus(ADDED_ID if self.step == "done" else CODE_ID)


retryable("add_phone.submit_number", AddPhoneState.submit_number, "add a phone number")
