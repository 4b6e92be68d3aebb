"""Security at the event level: Reflex lets anyone call any event handler by name with any
payload over the websocket, so every handler must resolve the user from the HttpOnly session
cookie and let the service check ownership and re-verification.

These tests talk to the running backend (the session-scoped AppHarness `app`) as a hostile page
would: a python-socketio client on loopback, a fresh client token, the session cookie (or none)
in the handshake, and hand-written events. Users and phones are set up directly with the
service on the app's own database; what changed (or did not) is checked with the service too.

Reflex 0.10's wire format (reflex/app.py EventNamespace.on_event, .web/utils/state.js): namespace
and path "/_event", the client token in the connect query (`?token=`), events emitted as
"event" with {"name": "<full state name>.<handler>", "payload": {...}, "router_data":
{"pathname", "asPath", "query"}}; replies are "event" messages {"delta": {state: {var +
"_rx_state_": value}}, "events": [...]}. Backend events a handler yields are chained on the
server, so one call may produce several replies."""

from __future__ import annotations

import contextlib
import copy
import itertools
import json
import queue
import re
import secrets
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import socketio
from reflex_base.constants.state import FIELD_MARKER

from mfa_app import accounts, routes
from mfa_app.accounts.context import AccountContext
from mfa_app.store.db import make_engine
from mfa_app.store.migrate import upgrade
from tests.browser.helpers import App
from tests.helpers import PASSWORD, Outbox, fast_hashing

NAMESPACE = "/_event"
TIMEOUT = 10.0  # every wait in this module is bounded by this
MANAGE = routes.paths.manage_mfa
ADD_PHONE = routes.paths.add_phone
NOT_FOUND = "That phone number was not found on your account."
SIGNED_OUT = "You must be logged in to access this page"
BACKUP_CODE = re.compile(r"\b[a-z2-9]{5}-[a-z2-9]{5}\b")

# Fictional US numbers (555-01xx), one set per scenario so sending limits never interfere.
VICTIM_NUMBERS = {
    "a": "+14155550111",
    "b": "+14155550122",
    "c": "+14155550133",
    "d": "+14155550144",
    "e": "+14155550155",
}
STALE_NUMBERS = ("+12025550181", "+12025550182")
_spare_numbers = itertools.count(150)  # +1 212 555 0150, 0151, ...: one per fixture use


def fresh_number() -> str:
    return f"+12125550{next(_spare_numbers)}"


# --- state classes, resolved after the harness has (re)loaded the app's modules -------------


def state_class(name: str):
    from reflex.state import State

    from mfa_app.state import add_phone, manage_mfa, reverify, session, sign_in

    return {
        "State": State,
        "SessionState": session.SessionState,
        "ManageMfaState": manage_mfa.ManageMfaState,
        "AddPhoneState": add_phone.AddPhoneState,
        "ReverifyState": reverify.ReverifyState,
        "SignInState": sign_in.SignInState,
    }[name]


def full_name(name: str) -> str:
    return state_class(name).get_full_name()


# --- a hostile page: a socket.io client that sends hand-written events ----------------------


Snapshot = dict[str, dict[str, Any]]


class Page:
    """One websocket connection with its own client token. Replies are merged into snapshots of
    the page's view of the state (one snapshot per reply), so a test can wait for a condition
    among the replies that came after a given call."""

    def __init__(
        self, api_url: str, cookie: str | None, origin: str | None = None, client_token: str | None = None
    ) -> None:
        """`origin`: the handshake's Origin header, which the backend checks like a browser's;
        by default the origin of `api_url` (the frontend's too when both are on one port)."""
        self.client_token = client_token or str(uuid.uuid4())
        self.raw: list[str] = []
        self.snapshots: list[Snapshot] = []
        self._merged: Snapshot = {}
        self._inbox: queue.Queue = queue.Queue()
        self._pathname = MANAGE
        self.sio = socketio.Client(reconnection=False, websocket_extra_options={"origin": origin} if origin else {})
        self.sio.on("event", self._inbox.put, namespace=NAMESPACE)
        headers = {"Cookie": cookie} if cookie else {}
        self.sio.connect(
            f"{api_url}?token={self.client_token}",
            headers=headers,
            socketio_path=NAMESPACE,
            transports=["websocket"],
            namespaces=[NAMESPACE],
            wait_timeout=TIMEOUT,
        )

    # sending

    def emit(self, name: str, payload: dict | None = None) -> int:
        """Send one event; returns the index of the first reply that can belong to it."""
        self._drain()
        mark = len(self.snapshots)
        router_data = {"pathname": self._pathname, "asPath": self._pathname, "query": {}}
        self.sio.emit(
            "event", {"name": name, "payload": payload or {}, "router_data": router_data}, namespace=NAMESPACE
        )
        return mark

    def call(self, state: str, handler: str, **payload: Any) -> int:
        return self.emit(f"{full_name(state)}.{handler}", payload)

    def open(self, pathname: str) -> None:
        """What a browser does when it opens a page: hydrate, then run the page's on_load."""
        self._pathname = pathname
        mark = self.emit(f"{full_name('State')}.hydrate_and_load")
        self.wait_for(lambda s: s.get(full_name("State"), {}).get("is_hydrated") is True, "hydrated", since=mark)
        self.settle()

    # receiving

    def _take(self, update: dict) -> None:
        self.raw.append(json.dumps(update))
        for substate, values in (update.get("delta") or {}).items():
            target = self._merged.setdefault(substate, {})
            for key, value in values.items():
                target[key.removesuffix(FIELD_MARKER)] = value
        self.snapshots.append(copy.deepcopy(self._merged))

    def _drain(self) -> None:
        """Take every reply that has arrived."""
        try:
            while True:
                self._take(self._inbox.get_nowait())
        except queue.Empty:
            return

    def wait_for(
        self, predicate: Callable[[Snapshot], bool], what: str, *, since: int, timeout: float = TIMEOUT
    ) -> Snapshot:
        """The first snapshot at or after `since` where `predicate` holds (bounded in time)."""
        deadline = time.monotonic() + timeout
        checked = since
        while True:
            for snapshot in self.snapshots[checked:]:
                if predicate(snapshot):
                    return snapshot
            checked = max(checked, len(self.snapshots))
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"timed out waiting for {what}; page state now: {self.view_all()}")
            with contextlib.suppress(queue.Empty):
                self._take(self._inbox.get(timeout=min(left, 0.2)))

    def settle(self, quiet: float = 0.5, timeout: float = TIMEOUT) -> None:
        """Wait until no reply has come for `quiet` seconds (the backend is done with the chain)."""
        deadline = time.monotonic() + timeout
        last = time.monotonic()
        while True:
            now = time.monotonic()
            if now - last >= quiet:
                return
            if now >= deadline:
                raise AssertionError("the backend kept sending updates")
            try:
                self._take(self._inbox.get(timeout=min(quiet - (now - last), deadline - now)))
                last = time.monotonic()
            except queue.Empty:
                pass

    # reading

    def view(self, state: str, snapshot: Snapshot | None = None) -> dict[str, Any]:
        return (self._merged if snapshot is None else snapshot).get(full_name(state), {})

    def view_all(self) -> str:
        return json.dumps(self._merged)[:4000]

    def replies_since(self, mark: int) -> list[Snapshot]:
        return self.snapshots[mark:]

    def everything_received(self) -> str:
        return "\n".join(self.raw)

    def backup_codes_pushed(self) -> list[str]:
        """Backup codes the backend sent into the page's own (React) state, in the event that
        shows them: they are in no state var."""
        return [code for reply in self.raw if "new_backup_codes" in reply for code in BACKUP_CODE.findall(reply)]

    def was_handed_a_session(self) -> bool:
        """Whether a reply sent the page to trade a nonce for the session cookie (the form POST
        to /auth/session that hand_off_session scripts)."""
        return any(routes.AUTH_SESSION in reply and "nonce" in reply for reply in self.raw)

    def close(self) -> None:
        self.sio.disconnect()


@pytest.fixture
def pages(app: App) -> Iterator[Callable[..., Page]]:
    """Open websocket connections to the app's backend; all closed after the test. Whatever a
    connection sent as its session cookie must never come back in a reply."""
    from reflex.config import get_config

    api_url = get_config().api_url
    assert api_url.startswith(("http://127.0.0.1:", "http://localhost:")), api_url
    opened: list[tuple[Page, str]] = []  # each page with the session token it sent

    def connect(
        session_token: str | None = None, *, raw_cookie: str | None = None, client_token: str | None = None
    ) -> Page:
        cookie = (
            raw_cookie
            if raw_cookie is not None
            else (f"{routes.SESSION_COOKIE}={session_token}" if session_token else None)
        )
        page = Page(
            api_url, cookie, origin=app.url, client_token=client_token
        )  # the pages' origin, not the backend's port
        opened.append((page, (cookie or "").partition(f"{routes.SESSION_COOKIE}=")[2]))
        return page

    yield connect
    for page, sent_token in opened:
        page.close()
        if len(sent_token) >= 8:
            assert sent_token not in page.everything_received(), "the session cookie came back to the page"


# --- the service, on the app's own database ---------------------------------------------------


@pytest.fixture(scope="module")
def service(app: App) -> Iterator[AccountContext]:
    """An AccountContext on the app's database, secret key and outbox (fast password hashing:
    argon2 checks read the parameters from the stored hash, so the app verifies them alike)."""
    from mfa_app.settings import get_settings

    settings = get_settings()
    assert settings.database_url == f"sqlite:///{app.data_dir}/mfa.db", settings.database_url
    engine = make_engine(settings.database_url)
    upgrade(engine)
    yield AccountContext(
        engine=engine,
        sender=Outbox(settings.sms_outbox),
        settings=settings,
        secret_key=settings.resolved_secret_key(),
        hashing=fast_hashing(),
    )
    engine.dispose()


@dataclass
class Person:
    email: str
    token: str
    phones: dict[str, str] = field(default_factory=dict)  # label -> phone id


def sign_up(ctx: AccountContext) -> Person:
    email = f"events-{secrets.token_hex(4)}@example.com"
    return Person(email=email, token=accounts.sign_up(ctx, email, PASSWORD).session_token)


def add_verified_phone(ctx: AccountContext, person: Person, label: str, number: str) -> str:
    phone = accounts.create_phone(ctx, person.token, number)
    accounts.prepare_verification(ctx, person.token, phone.id)
    accounts.attempt_verification(ctx, person.token, phone.id, ctx.sender.last_code(number))
    person.phones[label] = phone.id
    return phone.id


def reverify_with_sms(ctx: AccountContext, person: Person) -> None:
    status = accounts.reverification_status(ctx, person.token)
    phone = status.phones[0]
    accounts.prepare_reverification(ctx, person.token, phone.phone_number_id)
    number = next(p.phone_number for p in accounts.list_phones(ctx, person.token) if p.id == phone.phone_number_id)
    accounts.reverify(ctx, person.token, "phone_code", ctx.sender.last_code(number))


def account_snapshot(ctx: AccountContext, token: str) -> dict[str, Any]:
    """Everything an attack could change, as the service reports it to the owner."""
    user = accounts.get_user(ctx, token)
    return {
        "phones": [p.model_dump() for p in accounts.list_phones(ctx, token)],
        "two_factor_enabled": user.two_factor_enabled,
        "backup_codes": accounts.count_backup_codes(ctx, token),
        "events": [e.model_dump() for e in accounts.security_events(ctx, token, 100)],
    }


@dataclass
class Victim(Person):
    pending_code: str = ""  # the live verification code of the unverified phone "c"


@pytest.fixture(scope="module")
def victim(service: AccountContext) -> Victim:
    """Someone else's account with a phone in every state: "a" the default MFA phone, "d" another
    MFA phone, "b" and "e" verified but not for MFA, "c" added and waiting for its code, plus
    backup codes. Only the re-verification test aims at "e", so a refusal gone wrong in the
    other tests cannot hide one there."""
    person = sign_up(service)
    victim = Victim(email=person.email, token=person.token)
    for label in ("a", "b", "d", "e"):
        add_verified_phone(service, victim, label, VICTIM_NUMBERS[label])
    pending = accounts.create_phone(service, victim.token, VICTIM_NUMBERS["c"])
    accounts.prepare_verification(service, victim.token, pending.id)
    victim.phones["c"] = pending.id
    victim.pending_code = service.sender.last_code(VICTIM_NUMBERS["c"])
    accounts.set_reserved_for_second_factor(service, victim.token, victim.phones["a"], True)
    reverify_with_sms(service, victim)  # MFA is on now: the next change needs an SMS code
    accounts.set_reserved_for_second_factor(service, victim.token, victim.phones["d"], True)
    accounts.create_backup_codes(service, victim.token)
    return victim


def assert_nothing_leaked(page: Page, person: Person, numbers: Iterator[str] | list[str]) -> None:
    """The victim's email and phone numbers (any format: the last seven digits) never reached
    the page."""
    received = page.everything_received()
    assert person.email not in received
    for number in numbers:
        assert number[-7:] not in received.replace("-", "").replace(" ", ""), f"{number} reached the page"


def manage_error(page: Page, mark: int, action: str, phone_id: str) -> str:
    """Wait for a ManageMfaState phone action to finish; its error message."""
    page.wait_for(
        lambda s: page.view("ManageMfaState", s).get("running") == f"manage.{action}-{phone_id}",  # SensitiveAction.key
        f"{action} to start",
        since=mark,
    )
    done = page.wait_for(
        lambda s: page.view("ManageMfaState", s).get("running") == "" and page.view("ManageMfaState", s).get("error"),
        f"{action} to finish with an error",
        since=mark,
    )
    page.settle(quiet=0.25)  # the final reply carries the refresh too; nothing is chained after
    return page.view("ManageMfaState", done)["error"]


# --- another user's phone ids -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("handler", "label"),
    [
        ("use_for_mfa", "b"),
        ("disable_for_mfa", "d"),
        ("make_default", "d"),
        ("remove", "b"),
        ("remove", "d"),
        ("remove", "c"),
    ],
)
def test_phone_actions_on_another_users_phone_are_refused(pages, service, victim, handler, label):
    attacker = sign_up(service)  # signed in just now: re-verification is not what stops it
    before = account_snapshot(service, victim.token)
    page = pages(attacker.token)
    page.open(MANAGE)
    assert page.view("SessionState")["signed_in"] is True

    mark = page.call("ManageMfaState", handler, phone_id=victim.phones[label])

    assert manage_error(page, mark, handler, victim.phones[label]) == NOT_FOUND
    assert not any(page.view("ReverifyState", s).get("is_open") for s in page.replies_since(mark))
    assert page.view("ManageMfaState")["mfa_phones"] == page.view("ManageMfaState")["available_phones"] == []
    assert account_snapshot(service, victim.token) == before
    assert accounts.list_phones(service, attacker.token) == []
    assert_nothing_leaked(page, victim, list(VICTIM_NUMBERS.values()))


def test_confirmation_for_another_users_phone_is_ignored(pages, service, victim):
    """ask_to_confirm only accepts phones on the page's own lists; confirm then does nothing."""
    attacker = sign_up(service)
    before = account_snapshot(service, victim.token)
    page = pages(attacker.token)
    page.open(MANAGE)

    page.call("ManageMfaState", "ask_to_confirm", action="remove", phone_id=victim.phones["b"])
    page.settle()
    assert page.view("ManageMfaState")["confirmation"]["phone_id"] == ""
    mark = page.call("ManageMfaState", "confirm")
    page.settle()

    assert not any(page.view("ManageMfaState", s).get("running") for s in page.replies_since(mark))
    assert account_snapshot(service, victim.token) == before


def test_verifying_another_users_pending_phone_is_refused(pages, service, victim):
    """AddPhoneState.verify works on the page's own phone_id only: a phone_id slipped into the
    form data, or an attempt to set the var by name, cannot point it at someone else's phone,
    even with that phone's right code."""
    attacker = sign_up(service)
    before = account_snapshot(service, victim.token)
    page = pages(attacker.token)
    page.open(ADD_PHONE)

    form = {"code": victim.pending_code, "phone_id": victim.phones["c"]}
    mark = page.call("AddPhoneState", "verify", form_data=form)
    done = page.wait_for(
        lambda s: page.view("AddPhoneState", s).get("busy") is False and page.view("AddPhoneState", s).get("error"),
        "verify to finish with an error",
        since=mark,
    )
    assert page.view("AddPhoneState", done)["error"] == NOT_FOUND

    # Reflex 0.10 has no auto-setters: `setvar` on a var without a setter is refused.
    page.call("AddPhoneState", "setvar", var_name="phone_id", value=victim.phones["c"])
    page.settle()
    assert page.view("AddPhoneState")["phone_id"] == ""
    mark = page.call("AddPhoneState", "verify", form_data=form)
    page.wait_for(lambda s: page.view("AddPhoneState", s).get("busy") is True, "verify to start", since=mark)
    done = page.wait_for(
        lambda s: page.view("AddPhoneState", s).get("busy") is False and page.view("AddPhoneState", s).get("error"),
        "verify to finish with an error",
        since=mark,
    )
    assert page.view("AddPhoneState", done)["error"] == NOT_FOUND
    assert page.view("AddPhoneState", done)["step"] != "done"
    page.settle()

    after = account_snapshot(service, victim.token)
    assert after == before
    pending = next(p for p in accounts.list_phones(service, victim.token) if p.id == victim.phones["c"])
    assert pending.verification.status == "unverified" and pending.verification.attempts == 0
    assert_nothing_leaked(page, victim, list(VICTIM_NUMBERS.values()))


def test_reverification_retry_with_another_users_phone_is_still_refused(pages, service, victim, app):
    """The dialog finishes the action with the arguments the page gave to `start`: after a real
    re-verification, the retried action is still checked for ownership by the service."""
    attacker = sign_up(service)
    app.make_sessions_stale(attacker.email)
    before = account_snapshot(service, victim.token)
    page = pages(attacker.token)
    page.open(MANAGE)

    mark = page.call("ReverifyState", "start", action="manage.remove", args=[victim.phones["e"]])
    opened = page.wait_for(lambda s: page.view("ReverifyState", s).get("is_open") is True, "the dialog", since=mark)
    assert page.view("ReverifyState", opened)["needs_password"] is True
    page.settle()
    mark = page.call("ReverifyState", "submit", form_data={"secret": PASSWORD})

    assert manage_error(page, mark, "remove", victim.phones["e"]) == NOT_FOUND
    assert page.view("ReverifyState")["is_open"] is False
    assert account_snapshot(service, victim.token) == before


# --- without re-verification ------------------------------------------------------------------


@pytest.fixture
def stale_user(service: AccountContext, app: App) -> Person:
    """MFA on (phone "mfa"), a second verified phone ("spare"), last verified 11 minutes ago at
    the second-factor level: every sensitive change must re-verify first."""
    person = sign_up(service)
    add_verified_phone(service, person, "mfa", STALE_NUMBERS[0])
    add_verified_phone(service, person, "spare", STALE_NUMBERS[1])
    accounts.set_reserved_for_second_factor(service, person.token, person.phones["mfa"], True)
    reverify_with_sms(service, person)
    app.make_sessions_stale(person.email)
    return person


def test_sensitive_handlers_with_a_stale_session_open_the_dialog_and_change_nothing(pages, service, stale_user):
    before = account_snapshot(service, stale_user.token)
    page = pages(stale_user.token)
    page.open(MANAGE)
    assert [p["id"] for p in page.view("ManageMfaState")["available_phones"]] == [stale_user.phones["spare"]]

    mark = page.call("ManageMfaState", "use_for_mfa", phone_id=stale_user.phones["spare"])
    opened = page.wait_for(lambda s: page.view("ReverifyState", s).get("is_open") is True, "the dialog", since=mark)
    assert page.view("ReverifyState", opened)["needs_password"] is False  # MFA on: an SMS code or a backup code
    page.settle()
    assert page.view("ManageMfaState")["notice"] == ""
    assert [p["id"] for p in page.view("ManageMfaState")["available_phones"]] == [stale_user.phones["spare"]]

    page.call("ReverifyState", "cancel")
    page.settle()
    mark = page.call("ManageMfaState", "generate_backup_codes")
    page.wait_for(lambda s: page.view("ReverifyState", s).get("is_open") is True, "the dialog", since=mark)
    page.settle()
    assert page.backup_codes_pushed() == []
    assert page.view("ManageMfaState")["showing_codes"] is False

    after = account_snapshot(service, stale_user.token)
    assert after == before
    assert after["backup_codes"] == 0
    spare = next(p for p in after["phones"] if p["id"] == stale_user.phones["spare"])
    assert spare["reserved_for_second_factor"] is False


# --- the re-verification dialog, called out of order --------------------------------------------


@pytest.fixture
def user_with_backup_codes(service: AccountContext, app: App) -> tuple[Person, list[str]]:
    person = sign_up(service)
    add_verified_phone(service, person, "mfa", fresh_number())
    accounts.set_reserved_for_second_factor(service, person.token, person.phones["mfa"], True)
    reverify_with_sms(service, person)
    codes = accounts.create_backup_codes(service, person.token).codes
    app.make_sessions_stale(person.email)
    return person, codes


def test_reverify_start_with_an_unknown_action_does_nothing(pages, service, user_with_backup_codes):
    person, _ = user_with_backup_codes
    sent_before = len(service.sender.messages())
    page = pages(person.token)
    page.open(MANAGE)

    marks = [
        page.call("ReverifyState", "start", action=action, args=args)
        for action, args in [
            ("manage.delete_everything", []),
            ("ManageMfaState.remove", [person.phones["mfa"]]),
            ("", []),
            ("__class__", []),
        ]
    ]
    page.settle(quiet=1.0)

    for snapshot in page.replies_since(marks[0]):
        assert page.view("ReverifyState", snapshot).get("is_open") is not True
        assert page.view("ReverifyState", snapshot).get("phones") == []
    assert len(service.sender.messages()) == sent_before  # no code was sent either

    # Control: the same call with a registered action does open the dialog, so the calls above
    # did reach the handler.
    mark = page.call("ReverifyState", "start", action="manage.generate_backup_codes", args=[])
    page.wait_for(lambda s: page.view("ReverifyState", s).get("is_open") is True, "the dialog", since=mark)
    page.settle()


def test_reverify_submit_without_start_runs_no_action(pages, service, user_with_backup_codes):
    """Submitting the dialog that was never opened (even with a valid backup code) has nothing to
    finish: no action runs, and the code is not spent."""
    person, codes = user_with_backup_codes
    before = account_snapshot(service, person.token)
    page = pages(person.token)
    page.open(MANAGE)

    page.call("ReverifyState", "use_backup_code")
    page.settle()
    mark = page.call("ReverifyState", "submit", form_data={"secret": codes[0]})
    page.settle(quiet=1.0)
    for method, secret in [("phone_code", "000000"), ("password", PASSWORD)]:
        page.call("ReverifyState", "submit", form_data={"secret": secret, "method": method})
    page.settle(quiet=1.0)

    assert all(not page.view("ManageMfaState", s).get("running") for s in page.replies_since(mark))
    assert page.view("ReverifyState")["is_open"] is False
    assert account_snapshot(service, person.token) == before
    # The session is as stale as before: nothing re-verified it.
    with pytest.raises(accounts.AccountError) as refused:
        accounts.set_reserved_for_second_factor(service, person.token, person.phones["mfa"], False)
    assert refused.value.code == "session_reverification_required"


# --- what the page shows between replies ----------------------------------------------------------


def test_a_password_accepted_for_an_mfa_account_keeps_the_form_busy_until_the_second_step(pages, service):
    # Between "password checked" and "second step shown" the form must not look ready again: a
    # second press of "Continue" then would start another password check.
    person = sign_up(service)
    add_verified_phone(service, person, "mfa", fresh_number())
    accounts.set_reserved_for_second_factor(service, person.token, person.phones["mfa"], True)
    page = pages()
    page.open(routes.SIGN_IN)

    mark = page.call("SignInState", "submit", form_data={"email": person.email, "password": PASSWORD})
    page.wait_for(lambda s: page.view("SignInState", s).get("step") == "second_factor", "the second step", since=mark)
    page.settle()

    shown = [
        (page.view("SignInState", s)["busy"], page.view("SignInState", s)["step"]) for s in page.replies_since(mark)
    ]
    assert shown[0] == (True, "credentials")
    assert (False, "credentials") not in shown, shown
    assert page.view("SignInState")["busy"] is False


# --- without a session ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cookie",
    [
        None,
        f"{routes.SESSION_COOKIE}=made-up-{secrets.token_urlsafe(16)}",
        f"{routes.SESSION_COOKIE}=",
        "other=1; mfa_session",
    ],
    ids=["no-cookie", "made-up-token", "empty-token", "malformed"],
)
def test_without_a_session_handlers_change_nothing_and_read_nothing(pages, service, victim, cookie):
    before = account_snapshot(service, victim.token)
    sent_before = len(service.sender.messages())
    page = pages(raw_cookie=cookie) if cookie else pages()
    page.open(MANAGE)
    assert {k: page.view("SessionState")[k] for k in ("loaded", "signed_in")} == {"loaded": True, "signed_in": False}

    for handler, label in [("use_for_mfa", "b"), ("disable_for_mfa", "d"), ("make_default", "d"), ("remove", "b")]:
        mark = page.call("ManageMfaState", handler, phone_id=victim.phones[label])
        assert manage_error(page, mark, handler, victim.phones[label]) == SIGNED_OUT

    mark = page.call("ManageMfaState", "generate_backup_codes")
    page.wait_for(lambda s: page.view("ManageMfaState", s).get("error") == SIGNED_OUT, "generate to fail", since=mark)
    page.settle()
    page.call("ManageMfaState", "load")
    page.call("ReverifyState", "start", action="manage.remove", args=[victim.phones["b"]])
    page.settle(quiet=1.0)

    page.open(ADD_PHONE)
    mark = page.call("AddPhoneState", "verify", form_data={"code": victim.pending_code, "phone_id": victim.phones["c"]})
    page.wait_for(lambda s: page.view("AddPhoneState", s).get("error") == SIGNED_OUT, "verify to fail", since=mark)
    page.call("AddPhoneState", "set_number", value=VICTIM_NUMBERS["c"])
    mark = page.call("AddPhoneState", "submit_number")
    page.wait_for(lambda s: page.view("AddPhoneState", s).get("error") == SIGNED_OUT, "submit to fail", since=mark)
    page.settle()

    manage = page.view("ManageMfaState")
    assert manage["mfa_phones"] == manage["available_phones"] == manage["events"] == page.backup_codes_pushed() == []
    assert manage["two_factor_enabled"] is False and manage["backup_codes_left"] == 0
    assert page.view("SessionState")["signed_in"] is False
    assert page.view("ReverifyState").get("is_open") is not True
    assert page.view("AddPhoneState")["step"] == "enter"
    assert account_snapshot(service, victim.token) == before
    assert len(service.sender.messages()) == sent_before
    # "c" is left out: this page typed that number in itself.
    assert_nothing_leaked(page, victim, [n for label, n in VICTIM_NUMBERS.items() if label != "c"])


# --- a tab's state belongs to the session that filled it --------------------------------------


def open_as_victim(pages, victim: Victim) -> Page:
    """The victim's tab on the manage page, then on add-phone with a number typed; closed."""
    page = pages(victim.token)
    page.open(MANAGE)
    assert {p["id"] for p in page.view("ManageMfaState")["mfa_phones"]} == {victim.phones["a"], victim.phones["d"]}
    assert page.view("ManageMfaState")["events"]
    page.open(ADD_PHONE)
    page.call("AddPhoneState", "set_number", value="+1 415 555 0199")
    page.settle()
    page.close()
    return page


@pytest.mark.parametrize("cookie", ["none", "another-session"])
def test_the_tabs_client_token_without_its_session_gets_a_signed_out_state(pages, service, victim, cookie):
    """Whoever learns a tab's client token (it travels in the websocket URL) and connects with
    it, without the session cookie the state was filled for, gets what a signed-out visitor
    (or that other session's owner) would: already in the hydrate's snapshot."""
    tab = open_as_victim(pages, victim)
    other = sign_up(service).token if cookie == "another-session" else None

    page = pages(other, client_token=tab.client_token)
    page.open(MANAGE)

    assert_nothing_leaked(page, victim, [*list(VICTIM_NUMBERS.values()), "+14155550199"])
    manage = page.view("ManageMfaState")
    assert manage["mfa_phones"] == manage["available_phones"] == [] and manage["backup_codes_left"] == 0
    assert page.view("SessionState")["signed_in"] is (cookie == "another-session")
    assert page.view("AddPhoneState").get("number", "") == ""


def test_after_sign_out_the_tabs_next_page_carries_nothing_of_the_account(pages, service, victim):
    """Signing out ends with a page load without the cookie: every account var of every state
    of the tab is back to its default before the page gets anything."""
    person = sign_up(service)
    add_verified_phone(service, person, "mine", fresh_number())
    tab = pages(person.token)
    tab.open(MANAGE)
    assert tab.view("ManageMfaState")["available_phones"]
    tab.open(ADD_PHONE)
    tab.call("AddPhoneState", "set_number", value="+1 415 555 0198")
    tab.settle()
    tab.close()
    accounts.sign_out(service, person.token)

    page = pages(None, client_token=tab.client_token)
    mark = page.emit(f"{full_name('State')}.hydrate_and_load")
    first = page.wait_for(lambda s: bool(s), "the hydrate's snapshot", since=mark)

    assert person.email not in json.dumps(first) and "5550198" not in json.dumps(first)
    assert page.view("ManageMfaState", first).get("available_phones", []) == []
    assert page.view("AddPhoneState", first).get("number", "") == ""
    assert page.view("ManageMfaState", first).get("events", []) == []


def test_a_wrong_payload_type_gets_the_refusal_of_a_wrong_value(pages, service, victim):
    """The running app checks payloads before any handler (state/payloads.py): a list for a
    phone id is no phone of the account, an int typed as a number is no number."""
    person = sign_up(service)
    phone_id = add_verified_phone(service, person, "mine", fresh_number())
    page = pages(person.token)
    page.open(MANAGE)

    mark = page.call("ManageMfaState", "use_for_mfa", phone_id=[phone_id])
    assert manage_error(page, mark, "use_for_mfa", "") == NOT_FOUND
    page.open(ADD_PHONE)
    page.call("AddPhoneState", "set_number", value=12345)
    page.call("AddPhoneState", "setvar", var_name="number", value=678)
    page.settle()
    assert page.view("AddPhoneState")["number"] == ""
