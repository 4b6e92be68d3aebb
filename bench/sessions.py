"""Simulated browser sessions over socket.io, doing what the pages' buttons do.

Each session connects like the browser (namespace and path `/_event`, websocket transport, a
fresh uuid4 `?token=`, the HttpOnly `mfa_session` cookie in the handshake), sends events shaped
like `.web/utils/state.js` sends them (`{"name", "payload", "router_data": {"pathname", ...}}`)
and merges the deltas it receives like the page's reducers do.

Reflex 0.10 no longer marks an update as final, and a handler may yield several deltas and chain
further handlers on the server (the re-verification dialog, the retried action). So each event
kind has a completion predicate over the deltas received since it was sent, and its latency is
from the emit to the delta that satisfies it: the moment the page shows the outcome.

In a paced or open-loop phase a session also pauses before each event like a person reading,
typing or clicking (load.ThinkTime); the pause ends before the emit, so it is never inside a
latency.

Two flows: the manage flow (run_flow: add a phone, use it for MFA, generate backup codes) and
the sign-in flow (run_sign_in: password, SMS code, the session hand-off, the manage page).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

import httpx
import socketio

from bench.codes import CodeLog
from bench.load import (
    CLICK,
    CODES,
    PASSWORD,
    PHONE,
    SMS,
    FlowError,
    Recorder,
    ThinkTime,
    run_open_loop,
    run_sessions,
)

ROOT = "reflex___state____state"
SESS = ROOT + ".mfa_app___state___session____session_state"
MAN = SESS + ".mfa_app___state___manage_mfa____manage_mfa_state"
ADD = SESS + ".mfa_app___state___add_phone____add_phone_state"
REV = SESS + ".mfa_app___state___reverify____reverify_state"
SIGN = SESS + ".mfa_app___state___sign_in____sign_in_state"
SUFFIX = "_rx_state_"
MANAGE_PATH = "/account/manage-mfa"
ADD_PATH = "/account/add-phone"
SIGN_IN_PATH = "/sign-in"
AUTH_SESSION_PATH = "/auth/session"
NAMESPACE = "/_event"
CALL_TIMEOUT_S = 60.0  # run.py raises it for the full run

# Event kinds in flow order, with what each measures (from emit to the delta that shows it).
KINDS: dict[str, str] = {
    "connect": "websocket handshake with the session cookie, to connected",
    "hydrate": "State.hydrate: the full state snapshot",
    "manage.load": "ManageMfaState.load: session check, phone lists, backup-code count, security events",
    "add_phone.load": "AddPhoneState.load",
    "add_phone.set_number": "AddPhoneState.set_number: formatted preview",
    "add_phone.submit_number": "AddPhoneState.submit_number: add the phone, send the SMS code (outbox)",
    "add_phone.verify": "AddPhoneState.verify: check the code",
    "manage.use_for_mfa": "ManageMfaState.use_for_mfa on a stale session: refused, re-verify dialog opens",
    "reverify.submit_password": "ReverifyState.submit (password, argon2id) + the retried use_for_mfa",
    "reverify.submit_code": "ReverifyState.submit (SMS code) + the retried generate (10 argon2id hashes)",
    "manage.done": "ManageMfaState.done: codes hidden, lists refreshed",
}
# The sign-in flow's steps, in order.
SIGN_IN_KINDS: dict[str, str] = {
    "connect": "websocket handshake, to connected (no cookie on the sign-in page; the cookie on the manage page)",
    "hydrate": "State.hydrate: the full state snapshot",
    "sign_in.load": "SignInState.load",
    "sign_in.submit_password": "SignInState.submit (email + password, argon2id) + send_code: SMS code sent",
    "sign_in.verify": "SignInState.verify (SMS code): the session hand-off's nonce sent to the page",
    "auth.session": "POST /auth/session with the nonce: the HttpOnly cookie, a 303 to the manage page",
    "manage.load": "ManageMfaState.load on the manage page, signed in",
}
# Parts of a kind, timed from the same emit to an earlier delta.
MARKS: dict[str, str] = {
    "reverify.password_checked": "ReverifyState.submit (password): emit to dialog closed",
    "reverify.code_checked": "ReverifyState.submit (SMS code): emit to dialog closed",
    "manage.backup_codes_asked": "the backup codes MFA turning on starts: emit to the dialog open, SMS code sent",
}
# Kinds whose cost is password or backup-code hashing, slow on purpose.
HASHING_KINDS = {"reverify.submit_password", "reverify.submit_code", "sign_in.submit_password"}
_BACKUP_CODE = re.compile(r"\b[a-z2-9]{5}-[a-z2-9]{5}\b")
# `"nonce": "<token>"` in the script's form fields, its quotes escaped once more in the event's JSON
# (the token may start with "-" or "_", so nothing but quotes and backslashes may come before it).
_NONCE = re.compile(r'nonce\\*":\s*\\*"([A-Za-z0-9_-]+)')


def _get(since: dict, substate: str) -> dict:
    return since.get(substate, {})


def _failed(since: dict, substate: str, busy_idle) -> bool:
    """An error shown and the action over (`busy` False; the manage page's `running` "")."""
    s = _get(since, substate)
    return bool(s.get("error")) and s.get("running" if substate == MAN else "busy") == busy_idle


# Completion predicates over the deltas received since the emit.
DONE: dict[str, Callable[[dict], bool]] = {
    "hydrate": lambda s: ROOT in s,
    "manage.load": lambda s: "events" in _get(s, MAN),
    "add_phone.load": lambda s: "step" in _get(s, ADD),
    "add_phone.set_number": lambda s: "formatted" in _get(s, ADD),
    "add_phone.submit_number": lambda s: _get(s, ADD).get("busy") is False,
    "add_phone.verify": lambda s: _get(s, ADD).get("busy") is False,
    "manage.use_for_mfa": lambda s: (
        _get(s, REV).get("is_open") is True
        or (_get(s, MAN).get("running") == "" and bool(_get(s, MAN).get("error") or _get(s, MAN).get("notice")))
    ),
    # Turning MFA on goes on by itself to the backup codes, which ask for a second factor: the
    # password's event ends when that re-verification's SMS code has been sent.
    "reverify.submit_password": lambda s: (
        (_get(s, REV).get("sending") is False and bool(_get(s, REV).get("sent_to")))
        or _failed(s, REV, False)
        or _failed(s, MAN, "")
    ),
    "reverify.submit_code": lambda s: (
        (_get(s, MAN).get("running") == "" and _get(s, MAN).get("showing_codes") is True and bool(_new_codes(s)))
        or _failed(s, REV, False)
        or _failed(s, MAN, "")
    ),
    "manage.done": lambda s: _get(s, MAN).get("showing_codes") is False,
}
DONE.update({
    "sign_in.load": lambda s: "step" in _get(s, SIGN),
    "sign_in.submit_password": lambda s: bool(_get(s, SIGN).get("sent_to")) or _failed(s, SIGN, False),
    "sign_in.verify": lambda s: _nonce(s.get(EVENTS, [])) is not None or _failed(s, SIGN, False),
})  # fmt: skip
MARK_DONE: dict[str, Callable[[dict], bool]] = {
    "reverify.password_checked": lambda s: _get(s, REV).get("is_open") is False,
    "manage.backup_codes_asked": lambda s: _get(s, REV).get("is_open") is True and bool(_get(s, REV).get("sent_to")),
    "reverify.code_checked": lambda s: _get(s, REV).get("is_open") is False,
}


EVENTS = "_events"  # in the deltas received since an emit: the client events the server sent


def _new_codes(since: dict) -> set[str]:
    """New backup codes reach the page in a client event, after the delta that shows the dialog,
    not in a state var (manage_mfa.NEW_BACKUP_CODES)."""
    return set(_BACKUP_CODE.findall(json.dumps(since.get(EVENTS, []), default=str)))


def _nonce(events: list) -> str | None:
    """The session hand-off's nonce, in the script of the form POST the server asks the page to run."""
    found = _NONCE.search(json.dumps(events, default=str))
    return found.group(1) if found else None


class Client:
    """One browser tab: a socket.io connection and the merged state it has been sent. With a
    ThinkTime, it pauses before each event that names what the person does first."""

    def __init__(self, base_url: str, cookie: str | None, recorder: Recorder, think: ThinkTime | None = None) -> None:
        self.base_url, self.cookie, self.rec, self.think = base_url, cookie, recorder, think
        self.sio = socketio.AsyncClient(reconnection=False)
        self.state: dict[str, dict] = defaultdict(dict)
        self.since: dict[str, dict] = {}
        self._waiter: tuple[Callable[[dict], bool], asyncio.Future] | None = None
        self._marks: dict[str, tuple[Callable[[dict], bool], float | None]] = {}
        self.sio.on("event", self._on_event, namespace=NAMESPACE)

    async def _on_event(self, update: dict) -> None:
        now = time.perf_counter()
        if update.get("events") and "backend_error" in json.dumps(update["events"], default=str):
            # Reflex's default backend exception handler: an error toast, and no further delta.
            if self._waiter is not None and not self._waiter[1].done():
                self._waiter[1].set_exception(
                    FlowError("the server raised an exception (error toast; see the app log)")
                )
            return
        if update.get("events"):
            self.since.setdefault(EVENTS, []).extend(update["events"])
        for substate, values in (update.get("delta") or {}).items():
            clean = {k.removesuffix(SUFFIX): v for k, v in values.items()}
            self.state[substate].update(clean)
            self.since.setdefault(substate, {}).update(clean)
        for name, (predicate, seen) in list(self._marks.items()):
            if seen is None and predicate(self.since):
                self._marks[name] = (predicate, now)
        if self._waiter is not None:
            predicate, future = self._waiter
            if not future.done() and predicate(self.since):
                future.set_result(now)

    async def pause(self, what: str) -> None:
        if self.think is not None:
            await self.think.pause(what)

    async def connect(self, timeout: float = 30.0) -> float:
        headers = {"Cookie": f"mfa_session={self.cookie}"} if self.cookie else {}
        start = time.perf_counter()
        await self.sio.connect(
            f"{self.base_url}?token={uuid.uuid4()}",
            headers=headers,
            transports=["websocket"],
            namespaces=[NAMESPACE],
            socketio_path="/_event",
            wait_timeout=timeout,
        )
        return (time.perf_counter() - start) * 1000

    async def call(
        self, kind: str, handler: str, payload: dict, path: str, marks: tuple[str, ...] = (), pause: str = ""
    ) -> float:
        """Send one event (after the person's `pause`, if any); its latency (ms) from the emit to
        the delta that completes it."""
        if pause:
            await self.pause(pause)
        loop = asyncio.get_running_loop()
        future: asyncio.Future = loop.create_future()
        self.since = {}
        self._marks = {name: (MARK_DONE[name], None) for name in marks}
        self._waiter = (DONE[kind], future)
        event = {"name": handler, "payload": payload, "router_data": {"pathname": path, "asPath": path}}
        start = time.perf_counter()
        await self.sio.emit("event", event, namespace=NAMESPACE)
        try:
            done = await asyncio.wait_for(future, CALL_TIMEOUT_S)
        except FlowError as exc:
            raise FlowError(f"{kind}: {exc}") from None
        except TimeoutError:
            raise FlowError(
                f"{kind}: no completing delta within {CALL_TIMEOUT_S:.0f} s (received since the emit: {self._seen()})"
            ) from None
        finally:
            self._waiter = None
        ms = (done - start) * 1000
        self.rec.add(kind, ms)
        for name, (_, seen) in self._marks.items():
            if seen is not None:
                self.rec.add(name, (seen - start) * 1000)
        self._marks = {}
        for substate in (ADD, MAN, REV, SIGN):
            if error := self.since.get(substate, {}).get("error"):
                raise FlowError(f"{kind}: {error}")
        return ms

    def _seen(self) -> str:
        """What arrived since the emit, for an error message: per substate, its var names (and
        the busy/step values that the predicates look at)."""
        parts = []
        for substate, values in self.since.items():
            if substate == EVENTS:
                continue
            short = substate.rsplit("___", 1)[-1]
            shown = [
                f"{k}={values[k]!r}" if k in ("busy", "running", "step", "is_open", "sending") else k
                for k in sorted(values)
            ]
            parts.append(f"{short}: {', '.join(shown)}")
        return "; ".join(parts) or "nothing"

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.sio.disconnect(), 10)


@dataclass
class User:
    token: str
    national: str  # as a person types it: (415) 555-0123
    e164: str


def phone_number(n: int, area: str = "415") -> tuple[str, str]:
    line = f"{n % 10000:04d}"
    return f"({area}) 555-{line}", f"+1{area}555{line}"


def _expect(condition: bool, what: str) -> None:
    if not condition:
        raise FlowError(what)


async def run_flow(
    base_url: str, user: User, outbox: CodeLog, rec: Recorder, make_stale, think: ThinkTime | None
) -> None:
    """Open the manage page, add a phone and verify it with the code from the outbox, use it for
    MFA (re-verifying with the password), which goes on to make backup codes (re-verifying with
    an SMS code).
    The page connects, hydrates and loads by itself; the person acts before every other event."""
    client = Client(base_url, user.token, rec, think)
    try:
        await client.pause(CLICK)
        rec.add("connect", await client.connect())
        await client.call("hydrate", f"{ROOT}.hydrate", {}, MANAGE_PATH)
        await client.call("manage.load", f"{MAN}.load", {}, MANAGE_PATH)
        await client.call("add_phone.load", f"{ADD}.load", {}, ADD_PATH, pause=CLICK)
        await client.call("add_phone.set_number", f"{ADD}.set_number", {"value": user.national}, ADD_PATH, pause=PHONE)
        await client.call("add_phone.submit_number", f"{ADD}.submit_number", {}, ADD_PATH, pause=CLICK)
        _expect(client.state[ADD].get("step") == "verify", "submit_number: not on the verify step")
        code = await outbox.code(user.e164, 1)
        await client.call("add_phone.verify", f"{ADD}.verify", {"form_data": {"code": code}}, ADD_PATH, pause=SMS)
        _expect(client.state[ADD].get("step") == "done", "verify: phone not added")
        await client.call("manage.load", f"{MAN}.load", {}, MANAGE_PATH, pause=CLICK)
        phones = client.state[MAN].get("available_phones") or []
        _expect(len(phones) == 1, f"manage page lists {len(phones)} available phones, not 1")
        phone_id = phones[0]["id"]

        await asyncio.to_thread(make_stale, user.token)
        await client.call("manage.use_for_mfa", f"{MAN}.use_for_mfa", {"phone_id": phone_id}, MANAGE_PATH, pause=CLICK)
        _expect(client.state[REV].get("needs_password") is True, "use_for_mfa: no password re-verification asked")
        await client.call(
            "reverify.submit_password",
            f"{REV}.submit",
            {"form_data": {"secret": _password()}},
            MANAGE_PATH,
            marks=("reverify.password_checked", "manage.backup_codes_asked"),
            pause=PASSWORD,
        )
        _expect(client.state[MAN].get("two_factor_enabled") is True, "use_for_mfa: MFA not on")
        _expect(bool(client.state[REV].get("sent_to")), "backup codes: no re-verification code sent")
        code = await outbox.code(user.e164, 2)
        await client.call(
            "reverify.submit_code",
            f"{REV}.submit",
            {"form_data": {"secret": code}},
            MANAGE_PATH,
            marks=("reverify.code_checked",),
            pause=SMS,
        )
        codes = _new_codes(client.since)
        _expect(len(codes) == 10, f"generate_backup_codes: {len(codes)} codes, not 10")
        await client.call("manage.done", f"{MAN}.done", {}, MANAGE_PATH, pause=CODES)
    finally:
        await client.close()


@dataclass
class SignInUser:
    email: str
    e164: str  # the MFA phone, where the sign-in code goes


async def run_sign_in(base_url: str, user: SignInUser, outbox: CodeLog, rec: Recorder, think: ThinkTime | None) -> None:
    """Open the sign-in page, sign in with the password and the SMS code, trade the hand-off's
    nonce for the session cookie, and open the manage page with it."""
    client = Client(base_url, None, rec, think)
    try:
        await client.pause(CLICK)
        rec.add("connect", await client.connect())
        await client.call("hydrate", f"{ROOT}.hydrate", {}, SIGN_IN_PATH)
        await client.call("sign_in.load", f"{SIGN}.load", {}, SIGN_IN_PATH)
        form = {"email": user.email, "password": _password()}
        await client.call(
            "sign_in.submit_password", f"{SIGN}.submit", {"form_data": form}, SIGN_IN_PATH, pause=PASSWORD
        )
        code = await outbox.code(user.e164, 1)
        await client.call("sign_in.verify", f"{SIGN}.verify", {"form_data": {"code": code}}, SIGN_IN_PATH, pause=SMS)
        nonce = _nonce(client.since.get(EVENTS, []))
        _expect(nonce is not None, "sign_in.verify: no session hand-off")
    finally:
        await client.close()
    cookie = await _hand_off(base_url, nonce or "", rec)
    client = Client(base_url, cookie, rec, think)
    try:
        rec.add("connect", await client.connect())
        await client.call("hydrate", f"{ROOT}.hydrate", {}, MANAGE_PATH)
        await client.call("manage.load", f"{MAN}.load", {}, MANAGE_PATH)
        _expect(client.state[SESS].get("signed_in") is True, "manage page: not signed in after the hand-off")
    finally:
        await client.close()


async def _hand_off(base_url: str, nonce: str, rec: Recorder) -> str:
    """The form POST the page runs: the nonce for the HttpOnly session cookie. Sec-Fetch-Site is
    what a browser sends from a page on the backend's own origin (production's single port)."""
    async with httpx.AsyncClient(base_url=base_url, timeout=CALL_TIMEOUT_S) as http:
        start = time.perf_counter()
        response = await http.post(
            AUTH_SESSION_PATH,
            data={"nonce": nonce, "next": MANAGE_PATH},
            headers={"Sec-Fetch-Site": "same-origin"},
        )
        rec.add("auth.session", (time.perf_counter() - start) * 1000)
    cookie = response.cookies.get("mfa_session")
    _expect(response.status_code == 303 and bool(cookie), f"auth.session: HTTP {response.status_code}, no cookie")
    return cookie or ""


async def open_loop(
    base_url: str,
    flows: list,
    starts: list[float],
    outbox: CodeLog,
    make_stale,
    drain_s: float,
    think_scale: float,
    seed: int,
) -> tuple[Recorder, float]:
    """One rate step of the open-loop phase: each flow (a User: the manage flow; a SignInUser:
    the sign-in flow) starts at its time, with a person's think time."""

    async def flow(user, rec: Recorder) -> None:
        think = ThinkTime(think_scale, f"{seed}:{user.e164}")
        if isinstance(user, SignInUser):
            await run_sign_in(base_url, user, outbox, rec, think)
        else:
            await run_flow(base_url, user, outbox, rec, make_stale, think)

    return await run_open_loop(flows, starts, flow, drain_s)


def _password() -> str:
    from bench.app_server import PASSWORD

    return PASSWORD


async def run_load(
    base_url: str,
    users: list[User],
    sessions: int,
    outbox: CodeLog,
    make_stale,
    deadline_s: float,
    think_scale: float = 0.0,
    seed: int = 0,
) -> tuple[Recorder, float]:
    """`sessions` concurrent sessions, each doing its share of `users`' flows (a new tab and user
    per flow): back to back, or with a person's think time (THINK_S × `think_scale`) before each
    event. Returns the recorder and the wall time of the phase."""

    async def flow(user: User, rec: Recorder) -> None:
        think = ThinkTime(think_scale, f"{seed}:{user.e164}") if think_scale > 0 else None
        await run_flow(base_url, user, outbox, rec, make_stale, think)

    return await run_sessions(users, sessions, flow, deadline_s)


async def idle_sessions(base_url: str, count: int, rss: Callable[[], int], settle_s: float = 1.5) -> dict:
    """Backend memory per connected session: RSS with `count` connected, hydrated, idle tabs vs
    none."""

    def sample() -> int:
        values = []
        for _ in range(5):
            values.append(rss())
            time.sleep(0.1)
        return sorted(values)[len(values) // 2]

    await asyncio.sleep(settle_s)
    before = await asyncio.to_thread(sample)
    rec = Recorder()
    clients = [Client(base_url, None, rec) for _ in range(count)]
    sem = asyncio.Semaphore(25)

    async def open_one(client: Client) -> None:
        async with sem:
            await client.connect()
            await client.call("hydrate", f"{ROOT}.hydrate", {}, MANAGE_PATH)

    results = await asyncio.gather(*(open_one(c) for c in clients), return_exceptions=True)
    failures = [r for r in results if isinstance(r, BaseException)]
    await asyncio.sleep(settle_s)
    after = await asyncio.to_thread(sample)
    await asyncio.gather(*(c.close() for c in clients))
    connected = count - len(failures)
    return {
        "sessions": connected,
        "rss_before_kb": before // 1024,
        "rss_after_kb": after // 1024,
        "per_session_kb": round((after - before) / 1024 / max(connected, 1), 1),
        "errors": [repr(f) for f in failures[:5]],
    }
