"""The second-factor challenge after a host app's sign-in: the host has checked the password
and sent the person here (Mfa.after_password); until a code or a backup code passes, mfa_app's
pages and the host's `Mfa.access` treat the sign-in as not signed in."""

from __future__ import annotations

import asyncio

import reflex as rx

from mfa_app import accounts, routes
from mfa_app.identity import BuiltInAccounts, Request
from mfa_app.state import second_factor, service
from mfa_app.state.busy import Busy
from mfa_app.state.events import event
from mfa_app.state.second_factor import CODE_ID, SecondFactorState, phones_of
from mfa_app.state.session import SessionState, focus, service_token


class ChallengeState(SecondFactorState, SessionState):
    # Where to go once verified: a local path the host asked for (?next=), the manage page else.
    next_path: rx.Field[str] = rx.field("")

    async def _pending(self) -> str:
        return await asyncio.to_thread(service_token, self._request())

    @event(background=True)
    async def load(self):
        next_path = routes.local_path(self.router.url.query_parameters.get("next"), routes.paths.manage_mfa)
        phones: list[second_factor.SecondFactorPhone] = []
        backup, status, refusal = False, "signed_out", None
        try:
            token = await self._pending()
            status = await service.call(accounts.host_sign_in_status, token=token)
            if status == "needs_second_factor":
                factors = (await service.call(accounts.host_challenge, token=token)).supported_second_factors
                phones, backup = phones_of(factors), any(f.strategy == "backup_code" for f in factors)
        except accounts.AccountError as exc:  # the host's identity isn't answering
            refusal = exc
        if status == "verified":
            yield rx.redirect(next_path)
            return
        async with self:
            self.next_path, self.phones, self.backup_code_available = next_path, phones, backup
            self.method, self.sent_to, self.error, self.busy, self.resend_in = "phone_code", "", "", False, 0
            self._note_signed_in(status == "needs_second_factor", refusal)
        if phones:
            yield ChallengeState.send_code(phones[0].id)

    @event(background=True)
    async def send_code(self, phone_id: str):
        async def send():
            token = await self._pending()
            return await service.call(accounts.prepare_second_factor, phone_id, token=token)

        await second_factor.send_code(self, phone_id, send)

    @event(background=True)
    async def verify(self, form_data: dict):
        verified, error, signed_out = False, "", False

        def ended() -> None:
            self.busy, self.error = verified, error  # verified: busy until the redirect
            if signed_out:
                self.signed_in = False

        async with Busy(self, error="", read=lambda: (self.method, self.next_path), then=ended) as run:
            if run.refused:
                return
            method, next_path = run.values
            try:
                token = await self._pending()
                await service.call(accounts.attempt_second_factor, method, str(form_data.get("code", "")), token=token)
                verified = True
                await asyncio.to_thread(_tell_host, self._request())
            except accounts.AccountError as exc:
                error, signed_out = exc.message, exc.code == "signed_out"
        yield rx.redirect(next_path) if verified else focus(CODE_ID)


def _tell_host(request: Request) -> None:
    """The host's callback (mount's on_second_factor), with the user who just passed."""
    setup = service.current()
    if setup.on_second_factor is None or isinstance(setup.identity, BuiltInAccounts):
        return
    who = setup.identity.signed_in(request)
    if who is not None:
        setup.on_second_factor(who)
