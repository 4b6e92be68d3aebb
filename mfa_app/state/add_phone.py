"""The add-phone page's state: enter a number, receive a code, enter it, "Phone added"."""

from __future__ import annotations

import dataclasses
from typing import Literal

import reflex as rx

from mfa_app import accounts, routes
from mfa_app.accounts.numbers import display, preview, region_from_accept_language, region_typed, regions
from mfa_app.accounts.sms_codes import RESEND_COOLDOWN
from mfa_app.state.busy import Busy
from mfa_app.state.events import event
from mfa_app.state.reverify import NeedsReverification, SensitiveAction, call_sensitive
from mfa_app.state.second_factor import set_resend_wait
from mfa_app.state.service import context
from mfa_app.state.session import SessionState, focus

# The page's elements the focus moves to when a step ends: the field to correct, or the outcome.
NUMBER_ID = "phone"
CODE_ID = "code"
ADDED_ID = "phone-added"

SUBMIT_NUMBER = SensitiveAction("add_phone.submit_number", "add a phone number")
USE_FOR_MFA = SensitiveAction("add_phone.use_for_mfa", "use this phone number for MFA")


@dataclasses.dataclass(frozen=True)
class _Sent:
    """The outcome of sending a code, for the page."""

    notice: str = ""
    error: str = ""
    resend_in: int = 0


def region_options() -> list[tuple[str, str]]:
    """The country select's options: (ISO code, "United Kingdom (+44)"), sorted by name."""
    return regions()


class AddPhoneState(SessionState):
    step: rx.Field[Literal["enter", "verify", "done"]] = rx.field("enter")
    number: rx.Field[str] = rx.field("")
    region: rx.Field[str] = rx.field("US")
    formatted: rx.Field[str] = rx.field("")
    phone_id: rx.Field[str] = rx.field("")
    resend_in: rx.Field[int] = rx.field(0)  # the wait for the next resend (second_factor.set_resend_wait)
    resend_serial: rx.Field[int] = rx.field(0)
    busy: rx.Field[bool] = rx.field(False)
    error: rx.Field[str] = rx.field("")
    notice: rx.Field[str] = rx.field("")

    @event
    async def load(self):
        """A fresh number step; with `?phone=` (Verify, on the manage page's unverified phone),
        that phone's code step, with a new code on its way."""
        self.step, self.number, self.formatted, self.phone_id = "enter", "", "", ""
        self.error, self.notice, self.busy = "", "", False
        self.region = region_from_accept_language(
            self.router.headers.accept_language or "", context().settings.default_region
        )
        user = await self._check_signed_in()
        asked = self.router.url.query_parameters.get("phone", "")
        phones = user.phone_numbers if user is not None else []
        waiting = next((p for p in phones if p.id == asked and p.verification.status != "verified"), None)
        if waiting is not None:
            self.phone_id, self.step = waiting.id, "verify"
            self.number = self.formatted = display(waiting.phone_number)
            return AddPhoneState.resend

    @event
    def set_number(self, value: str):
        """Typed with its calling code ("+44 …"), the number takes the country along. A refusal
        was about the number before: it goes."""
        self.number, self.error = value, ""
        self.region = region_typed(value, self.region)
        self.formatted = preview(value, self.region)

    @event
    def use_different_number(self):
        self.step, self.phone_id, self.error, self.notice = "enter", "", "", ""
        return focus(NUMBER_ID)

    @event(background=True)
    async def use_for_mfa(self):
        """ "Use for MFA" on the Phone added step: then on to the MFA settings, where the backup
        codes are offered."""
        done, error, reverify = False, "", None

        def ended() -> None:
            self.error = error

        async with Busy(self, error="", read=lambda: self.phone_id, then=ended) as run:
            if run.refused:
                return
            try:
                await call_sensitive(self, USE_FOR_MFA, [], accounts.set_reserved_for_second_factor, run.values, True)
                done = True
            except NeedsReverification as needed:
                reverify = needed.event
            except accounts.AccountError as exc:
                error = exc.message
        if done:
            yield rx.redirect(routes.paths.manage_mfa)
        elif reverify is not None:
            yield reverify

    @event
    def set_region(self, region: str):
        self.region = region
        self.formatted = preview(self.number, self.region)

    @event(background=True)
    async def submit_number(self):
        """Add the number (re-verifying first if needed) and send it a code: then the code step."""
        phone, error, reverify, sent = None, "", None, _Sent()

        def ended() -> None:
            if phone is None:
                self.error = error
                return
            self.phone_id, self.step, self.formatted = phone.id, "verify", display(phone.phone_number)
            self._show(sent)

        async with Busy(self, error="", notice="", read=lambda: (self.number, self.region), then=ended) as run:
            if run.refused:
                return
            number, region = run.values
            try:
                phone = await call_sensitive(self, SUBMIT_NUMBER, [], accounts.create_phone, number, region)
            except NeedsReverification as needed:
                reverify = needed.event
            except accounts.AccountError as exc:
                error = exc.message
            if phone is not None:
                sent = await self._send_code(phone.id, display(phone.phone_number))
        if reverify is not None:
            yield reverify
        elif error:
            yield focus(NUMBER_ID)

    @event(background=True)
    async def resend(self):
        sent = _Sent()

        def ended() -> None:
            self._show(sent)

        async with Busy(self, error="", read=lambda: (self.phone_id, self.formatted or self.number), then=ended) as run:
            if run.refused:
                return
            sent = await self._send_code(*run.values)

    async def _send_code(self, phone_id: str, shown: str) -> _Sent:
        """Send the phone a code (outside the state lock); what to say, and the wait for the next
        resend (counted down in the page)."""
        try:
            await self._call(accounts.prepare_verification, phone_id, self.router.session.client_ip)
            return _Sent(f"We sent a code to {shown}.", "", int(RESEND_COOLDOWN.total_seconds()))
        except accounts.AccountError as exc:
            if exc.code == "verification_code_too_many_requests":
                # A code went out moments ago (another tab): it still works, and the countdown
                # on Resend code is the one place the wait is said.
                return _Sent(f"We sent a code to {shown}.", "", int(exc.meta.get("seconds_left", 0)))
            return _Sent("", exc.message, 0)

    def _show(self, sent: _Sent) -> None:
        self.error = sent.error
        set_resend_wait(self, sent.resend_in)
        if sent.notice:
            self.notice = sent.notice

    @event
    def clear_error(self):
        """The person types again: the message about the last try is done with."""
        self.error = ""

    @event
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


SUBMIT_NUMBER.finished_by(AddPhoneState.submit_number)
USE_FOR_MFA.finished_by(AddPhoneState.use_for_mfa)
