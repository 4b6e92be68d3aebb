"""The manage-MFA page's state: the user's phone lists, backup codes and security events."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import reflex as rx
from reflex.experimental.client_state import ClientStateVar

from mfa_app import accounts, routes
from mfa_app.accounts.models import BackupCodes
from mfa_app.accounts.numbers import display
from mfa_app.accounts.wording import event_sentence, unused_backup_codes
from mfa_app.state.busy import Busy
from mfa_app.state.events import event
from mfa_app.state.reverify import NeedsReverification, SensitiveAction, call_sensitive
from mfa_app.state.session import SessionState, focus, go_to_backend

# Where the keyboard focus goes when an action ends: the messages saying what happened, or the
# new backup codes.
STATUS_ID = "manage-status"
EVENTS_PER_PAGE = 10
BACKUP_CODES_ID = "backup-codes"

USE_FOR_MFA = SensitiveAction("manage.use_for_mfa", "use a phone number for MFA")
MAKE_DEFAULT = SensitiveAction("manage.make_default", "change your default MFA phone")
DISABLE_FOR_MFA = SensitiveAction("manage.disable_for_mfa", "stop using a phone number for MFA")
REMOVE = SensitiveAction("manage.remove", "remove a phone number from your account")
GENERATE_BACKUP_CODES = SensitiveAction("manage.generate_backup_codes", "generate new backup codes")
# The actions confirmed first, by the service's name for them (accounts.preview_phone_action).
_CONFIRMED = {"disable_for_mfa": DISABLE_FOR_MFA, "remove": REMOVE}

# New backup codes live only in the page (a React state the components render): Reflex would
# store a state var with the tab's state on disk or in Redis. They reach the browser once, in
# the event that shows them, and survive re-renders; Done, sign-out and the next load clear them.
NEW_BACKUP_CODES = ClientStateVar.create("new_backup_codes", default=[])
# While new codes are on show, leaving the page (reload, close, a link) asks first: they would be
# gone for good.
_LEAVE_FREELY_JS = (
    "window.onbeforeunload = null; document.removeEventListener('click', window.mfaAskBeforeFollowing, true)"
)
# A link followed anyway (the page goes, in the same tab) takes the question along with it.
_ASK_BEFORE_LEAVING = rx.call_script(
    "window.onbeforeunload = (e) => { e.preventDefault(); e.returnValue = ''; };"
    " window.mfaAskBeforeFollowing = (e) => { if (!e.target.closest('a[href]:not([download])')) return;"
    " if (window.confirm('Leave this page? Your new backup codes will not be shown again.')) { "
    + _LEAVE_FREELY_JS
    + "; } else { e.preventDefault(); e.stopPropagation(); } };"
    " document.addEventListener('click', window.mfaAskBeforeFollowing, true)"
)
_LEAVE_FREELY = rx.call_script(_LEAVE_FREELY_JS)


@dataclasses.dataclass
class PhoneView:
    id: str
    number: str
    is_default: bool


@dataclasses.dataclass
class EventView:
    text: str
    at: str  # ISO 8601 in UTC: the page shows it in the browser's own time zone


@dataclasses.dataclass
class Confirmation:
    action: str = ""  # "disable_for_mfa" or "remove"
    phone_id: str = ""
    allowed: bool = True  # False: the dialog only explains why the action can't be done
    title: str = ""
    explanation: str = ""
    confirm_label: str = ""


class ManageMfaState(SessionState):
    mfa_phones: rx.Field[list[PhoneView]] = rx.field(default_factory=list)
    available_phones: rx.Field[list[PhoneView]] = rx.field(default_factory=list)
    unverified_phones: rx.Field[list[PhoneView]] = rx.field(default_factory=list)
    two_factor_enabled: rx.Field[bool] = rx.field(False)
    backup_codes_left: rx.Field[int] = rx.field(0)
    # False on Clerk's accounts: no "Make default" (docs/clerk.md)
    can_choose_default: rx.Field[bool] = rx.field(True)
    backups_left_text: rx.Field[str] = rx.field("")
    showing_codes: rx.Field[bool] = rx.field(False)
    sheet_date: rx.Field[str] = rx.field("")  # the print sheet's date
    email: rx.Field[str] = rx.field("")
    events: rx.Field[list[EventView]] = rx.field(default_factory=list)
    events_shown: rx.Field[int] = rx.field(EVENTS_PER_PAGE)
    more_events: rx.Field[bool] = rx.field(False)
    confirmation: rx.Field[Confirmation] = rx.field(default_factory=Confirmation)
    # The id of the control that opened the confirmation (SensitiveAction.key).
    confirmation_opener: rx.Field[str] = rx.field("")
    # The action that runs (SensitiveAction.key: "manage.remove-<phone id>"), "sign_out", "" when none.
    running: rx.Field[str] = rx.field("")
    error: rx.Field[str] = rx.field("")
    notice: rx.Field[str] = rx.field("")

    @event
    async def load(self):
        self.error = self.notice = self.running = ""
        self.showing_codes = False
        self.confirmation = Confirmation()
        await self._refresh()
        return NEW_BACKUP_CODES.push([])

    async def _refresh(self) -> None:
        page, refusal = None, None
        try:
            # One more event than shown: whether "Show more" has anything to show.
            page = await self._call(accounts.manage_page, self.events_shown + 1)
        except accounts.AccountError as exc:
            refusal = exc
        self._note_signed_in(page is not None, refusal)
        if page is None:
            # Signed out (or the session was revoked elsewhere): nothing of the account stays.
            self.showing_codes = False
            self.mfa_phones, self.available_phones, self.unverified_phones, self.events = [], [], [], []
            self.two_factor_enabled, self.backup_codes_left = False, 0
            return
        self.mfa_phones = [PhoneView(p.id, display(p.phone_number), p.default_second_factor) for p in page.mfa_phones]
        self.available_phones = [PhoneView(p.id, display(p.phone_number), False) for p in page.available_phones]
        self.unverified_phones = [PhoneView(p.id, display(p.phone_number), False) for p in page.unverified_phones]
        self.two_factor_enabled = page.user.two_factor_enabled
        self.email = page.user.email_address
        self.backup_codes_left = page.backup_codes_left
        self.can_choose_default = page.can_choose_default
        self.backups_left_text = unused_backup_codes(self.backup_codes_left)
        self.more_events = len(page.events) > self.events_shown
        self.events = [EventView(event_sentence(e), _utc_iso(e.created_at)) for e in page.events[: self.events_shown]]

    @event
    async def show_more_events(self):
        self.events_shown += EVENTS_PER_PAGE
        await self._refresh()

    async def _act(
        self,
        action: SensitiveAction,
        args: list,
        fn,
        *fn_args,
        on_success: Callable[[Any], None],
        focus_on_success: str = STATUS_ID,
        refused: str = "",
    ):
        """Run `action` on `args` (for background handlers): `running` while it runs (a second
        action meanwhile is refused), re-verify if asked (then the dialog finishes it), say what
        happened and move the focus there. `refused`: the sentence a refusal's reason follows."""
        done, result, error, reverify = False, None, "", None

        async def ended() -> None:
            self.error = error
            if done:
                on_success(result)
            await self._refresh()

        async with Busy(self, action.key(*args), var="running", error="", notice="", then=ended) as run:
            if run.refused:
                return
            try:
                result = await call_sensitive(self, action, args, fn, *fn_args)
                done = True
            except NeedsReverification as needed:
                reverify = needed.event
            except accounts.AccountError as exc:
                # Signed out meanwhile: that alone is the news (the page shows the signed-out text).
                error = f"{refused}. {exc.message}" if refused and exc.code != "signed_out" else exc.message
        yield reverify if reverify is not None else focus(focus_on_success if done else STATUS_ID)

    def _phone_act(self, action: SensitiveAction, phone_id: str, fn, *args, success: str):
        def say(_result) -> None:
            self.notice = success

        return self._act(action, [phone_id], fn, phone_id, *args, on_success=say)

    @event(background=True)
    async def use_for_mfa(self, phone_id: str):
        """When this turns MFA on, the backup codes are made and shown right away (as Clerk does):
        the person saves them while the page has their attention."""
        async with self:
            mfa_was_on = self.two_factor_enabled
        async for update in self._phone_act(
            USE_FOR_MFA, phone_id, accounts.set_reserved_for_second_factor, True, success="Phone is now used for MFA."
        ):
            yield update
        async with self:
            turned_on = self.two_factor_enabled and not mfa_was_on
        if turned_on:
            yield ManageMfaState.generate_backup_codes

    @event(background=True)
    async def make_default(self, phone_id: str):
        async for update in self._phone_act(
            MAKE_DEFAULT, phone_id, accounts.make_default_second_factor, success="Default MFA phone changed."
        ):
            yield update

    @event(background=True)
    async def disable_for_mfa(self, phone_id: str):
        async for update in self._phone_act(
            DISABLE_FOR_MFA,
            phone_id,
            accounts.set_reserved_for_second_factor,
            False,
            success="Phone is no longer used for MFA.",
        ):
            yield update

    @event(background=True)
    async def remove(self, phone_id: str):
        async for update in self._phone_act(REMOVE, phone_id, accounts.destroy_phone, success="Phone removed."):
            yield update

    @event
    async def ask_to_confirm(self, action: str, phone_id: str):
        """Open the confirmation, saying what the action would do (or why it can't be done)."""
        self.error = self.notice = ""
        try:
            preview = await self._call(accounts.preview_phone_action, action, phone_id)
        except accounts.AccountError as exc:
            self.error = exc.message
            return focus(STATUS_ID)
        self.confirmation_opener = _CONFIRMED[action].key(phone_id)
        self.confirmation = Confirmation(
            action, phone_id, preview.allowed, preview.title, preview.explanation, preview.confirm_label
        )

    @event
    def set_confirmation_open(self, is_open: bool):
        """Cancel, Escape, or a click outside the confirmation closes it."""
        if not is_open:
            self.confirmation = Confirmation()

    @event
    def confirm(self):
        action, phone_id = self.confirmation.action, self.confirmation.phone_id
        self.confirmation = Confirmation()
        if action == "disable_for_mfa":
            return ManageMfaState.disable_for_mfa(phone_id)
        if action == "remove":
            return ManageMfaState.remove(phone_id)

    @event(background=True)
    async def generate_backup_codes(self):
        new_codes: list[list[str]] = []

        def show(result: BackupCodes) -> None:
            self.showing_codes = True
            self.sheet_date = datetime.now(UTC).strftime("%-d %B %Y")
            new_codes.append(result.codes)

        async for update in self._act(
            GENERATE_BACKUP_CODES,
            [],
            accounts.create_backup_codes,
            on_success=show,
            focus_on_success=BACKUP_CODES_ID,
            refused="There was a problem generating backup codes",
        ):
            if new_codes:
                yield [NEW_BACKUP_CODES.push(new_codes.pop()), _ASK_BEFORE_LEAVING]
            yield update

    @event
    async def done(self):
        self.showing_codes, self.notice = False, ""
        await self._refresh()
        return [NEW_BACKUP_CODES.push([]), _LEAVE_FREELY]

    @event
    def codes_copied(self):
        self.notice = "Backup codes copied."

    @event
    def sign_out(self):
        """The sign-out route revokes the session on the server and clears the cookie. Backup
        codes still on show go now, from the page too."""
        self.running = "sign_out"
        self.showing_codes = False
        return [NEW_BACKUP_CODES.push([]), _LEAVE_FREELY, go_to_backend(routes.paths.sign_out)]


USE_FOR_MFA.finished_by(ManageMfaState.use_for_mfa)
MAKE_DEFAULT.finished_by(ManageMfaState.make_default)
DISABLE_FOR_MFA.finished_by(ManageMfaState.disable_for_mfa)
REMOVE.finished_by(ManageMfaState.remove)
GENERATE_BACKUP_CODES.finished_by(ManageMfaState.generate_backup_codes)


def _utc_iso(moment: datetime) -> str:
    """The database gives UTC times back without their zone (SQLite) or with it (PostgreSQL)."""
    return (moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)).isoformat()
