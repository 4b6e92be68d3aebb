"""/forgot-password (ask for a reset link) and /reset-password (choose a new password).

The link's token never enters Reflex state: /auth/password-reset moved it into an HttpOnly
cookie, which each event reads from the websocket handshake's headers (like the session
cookie), and the new password only passes through the submit handler."""

from __future__ import annotations

import reflex as rx
from reflex.config import get_config

from mfa_app import accounts, routes
from mfa_app.state import connections, service
from mfa_app.state.busy import Busy
from mfa_app.state.events import event
from mfa_app.state.session import focus

EMAIL_ID = "email"
PASSWORD_ID = "new-password"
SENT_ID = "reset-sent"
DONE_ID = "reset-done"
LINK_REFUSED = ("reset_link_invalid", "reset_link_expired")


class ForgotPasswordState(rx.State):
    sent: rx.Field[bool] = rx.field(False)
    busy: rx.Field[bool] = rx.field(False)
    error: rx.Field[str] = rx.field("")

    @event
    def load(self):
        self.sent, self.busy, self.error = False, False, ""

    @event(background=True)
    async def submit(self, form_data: dict):
        """The same answer whether or not the address has an account (the service sees to it)."""
        error = ""

        def ended() -> None:
            self.error, self.sent = error, not error

        async with Busy(self, error="", read=lambda: self.router.session.client_ip, then=ended) as run:
            if run.refused:
                return
            try:
                await service.call(
                    accounts.request_password_reset,
                    str(form_data.get("email", "")),
                    client_ip=run.values,
                    link_base=get_config().api_url.rstrip("/") + routes.AUTH_PASSWORD_RESET,
                )
            except accounts.AccountError as exc:
                error = exc.message
        yield focus(EMAIL_ID if error else SENT_ID)


class ResetPasswordState(rx.State):
    loaded: rx.Field[bool] = rx.field(False)
    link_usable: rx.Field[bool] = rx.field(False)
    done: rx.Field[bool] = rx.field(False)
    busy: rx.Field[bool] = rx.field(False)
    error: rx.Field[str] = rx.field("")

    def _link(self) -> str:
        """The reset link's token, from this connection's handshake cookie (kept apart from
        the stored state by connections.py)."""
        return connections.cookie(self.router.session.session_id, routes.RESET_COOKIE)

    @event
    async def load(self):
        self.done, self.busy, self.error = False, False, ""
        try:
            await service.call(accounts.check_password_reset, self._link())
            self.link_usable = True
        except accounts.AccountError as exc:
            self.link_usable, self.error = False, exc.message
        self.loaded = True

    @event(background=True)
    async def submit(self, form_data: dict):
        error, link_refused = "", False

        def ended() -> None:
            self.error, self.done = error, not error
            if link_refused:
                self.link_usable = False

        async with Busy(
            self,
            error="",
            refuse_if=lambda: not self.link_usable,
            read=lambda: (self._link(), self.router.session.client_ip),
            then=ended,
        ) as run:
            if run.refused:
                return
            link, client_ip = run.values
            try:
                password = str(form_data.get(PASSWORD_ID, ""))
                await service.call(accounts.reset_password, link, password, client_ip=client_ip)
            except accounts.AccountError as exc:
                error, link_refused = exc.message, exc.code in LINK_REFUSED
        yield focus(DONE_ID if not error else PASSWORD_ID)
