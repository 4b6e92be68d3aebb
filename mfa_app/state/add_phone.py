"""The add-phone page's state: enter a number, receive a code, enter it, "Phone added"."""

from __future__ import annotations

import asyncio

import reflex as rx

from mfa_app import accounts
from mfa_app.accounts.codes import RESEND_COOLDOWN
from mfa_app.accounts.numbers import preview, region_from_accept_language
from mfa_app.state.reverify import NeedsReverification, call_sensitive, retryable
from mfa_app.state.service import context
from mfa_app.state.session import SessionState

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

    @rx.event
    async def submit_number(self):
        """Add the number (re-verifying first if needed), then send the code and wait for it."""
        self.busy, self.error, self.notice = True, "", ""
        yield
        try:
            phone = await call_sensitive(
                self, "add_phone.submit_number", [], accounts.create_phone, self.number, self.region
            )
        except NeedsReverification as needed:
            self.busy = False
            yield needed.event
            return
        except accounts.AccountError as exc:
            self.busy, self.error = False, exc.message
            return
        self.phone_id, self.step = phone.id, "verify"
        async for update in self._send():
            yield update

    @rx.event
    async def resend(self):
        async for update in self._send():
            yield update

    async def _send(self):
        self.busy, self.error = True, ""
        yield
        try:
            await self._call(accounts.prepare_verification, self.phone_id)
            self.notice = f"We sent a code to {self.formatted or self.number}."
            self.resend_in = int(RESEND_COOLDOWN.total_seconds())
            yield AddPhoneState.count_down
        except accounts.AccountError as exc:
            self.error = exc.message
            self.resend_in = int(exc.meta.get("seconds_left", 0))
            if self.resend_in:
                yield AddPhoneState.count_down
        finally:
            self.busy = False

    @rx.event(background=True)
    async def count_down(self):
        while True:
            await asyncio.sleep(1)
            async with self:
                if self.resend_in <= 0:
                    return
                self.resend_in -= 1

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


retryable("add_phone.submit_number", AddPhoneState.submit_number)
