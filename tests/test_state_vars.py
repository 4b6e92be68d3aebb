"""No secret in a public state var, and the session cookie is HttpOnly and SameSite=Strict.

Reflex sends every state var not starting with "_" to the browser (and re-sends the whole state
tree on each hydrate), and stores every var, "_" ones included, with the tab's state on disk or
in Redis. So no var may hold an SMS code, a code hash, a session token, a password or a backup
code: the session cookie and a pending sign-in stay in the process's memory per socket
(state/connections.py), and new backup codes reach the page in the event that shows them."""

from __future__ import annotations

import dataclasses
import json
import re
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pydantic
import pytest
from sqlmodel import SQLModel
from starlette.testclient import TestClient

from mfa_app import accounts, routes
from mfa_app.accounts.context import AccountContext
from mfa_app.accounts.models import BackupCodes, SignInResult
from mfa_app.settings import Settings
from mfa_app.state.service import Setup
from tests.helpers import FakeClock, Outbox, enable_mfa, reset_link_token, reverify_with_sms, run_async, sign_up

# A public var (or any field of its type) with one of these in its name could hold a secret.
SECRET_NAME = re.compile(
    r"token|passw|secret|hash|otp|sms_code|pending|nonce|cookie|pepper|salt|credential|hmac", re.IGNORECASE
)
# ...unless its type can hold no text at all (a flag like `needs_password`, a count).
HARMLESS_TYPES = (bool, int, float, type(None))
# Types that carry secrets by design: never in a public var, at any depth.
SECRET_CARRIERS = (SignInResult, BackupCodes, AccountContext, Settings, SQLModel)

# Public vars that may hold a code on purpose, each with the test that keeps it honest.
ALLOWED_CODE_HOLDERS = {
    # The local outbox's messages, SMS codes included: only read while the outbox is the SMS
    # provider (test_dev_outbox_reads_nothing_unless_the_outbox_is_the_provider).
    ("DevOutboxState", "messages"),
}
CODE_NAME = re.compile(r"code|body|message", re.IGNORECASE)
# Fields of Reflex's own router var that match the patterns, and why they are safe.
ALLOWED_FRAMEWORK_FIELDS = {
    # The request's Cookie header: always empty, connections.py takes it out of the handshake's
    # headers (test_the_handshake_cookie_never_reaches_a_state).
    "State.rx_router_headers.cookie",
    # Reflex's per-tab client token: public by nature, and never used as an identity here.
    "State.rx_router_session.client_token",
}


def all_state_classes() -> list[type]:
    from reflex.state import State

    import mfa_app.mfa_app  # noqa: F401  (imports every page, so every state class)

    found: list[type] = []

    def walk(cls: type) -> None:
        found.append(cls)
        for sub in sorted(cls.get_substates(), key=lambda c: c.get_full_name()):
            walk(sub)

    walk(State)
    return found


def app_state_classes() -> list[type]:
    return [cls for cls in all_state_classes() if cls.__module__.startswith("mfa_app.")]


def public_vars(cls) -> dict[str, Any]:
    """The vars Reflex sends to the browser, with their types."""
    return {name: cls.vars[name]._var_type for name in sorted(cls._frontend_var_names)}


def type_problems(tp: Any, where: str, seen: set | None = None) -> Iterator[str]:
    """Walk a var's type (containers, unions, dataclasses, pydantic models) for secret carriers
    and secret-looking field names."""
    seen = set() if seen is None else seen
    if tp is Any or tp is object:
        yield f"{where}: type {tp!r} could hold anything"
        return
    origin = typing.get_origin(tp)
    if origin is not None:
        for arg in typing.get_args(tp):
            if arg is not Ellipsis:
                yield from type_problems(arg, where, seen)
        return
    if not isinstance(tp, type) or tp in seen:
        return
    seen.add(tp)
    if issubclass(tp, SECRET_CARRIERS):
        yield f"{where}: type {tp.__name__} carries secrets"
        return
    if dataclasses.is_dataclass(tp):
        fields = {f.name: f.type for f in dataclasses.fields(tp)}
        hints = typing.get_type_hints(tp)
    elif issubclass(tp, pydantic.BaseModel):
        fields = {name: f.annotation for name, f in tp.model_fields.items()}
        hints = fields
    else:
        return
    for name in fields:
        field_type = hints.get(name, fields[name])
        if SECRET_NAME.search(name) and field_type not in HARMLESS_TYPES:
            yield f"{where}.{name}: a field named like a secret, of type {field_type!r}"
        yield from type_problems(field_type, f"{where}.{name}", seen)


def test_every_app_state_class_is_found():
    names = {cls.__name__ for cls in app_state_classes()}
    assert {
        "SessionState",
        "ManageMfaState",
        "AddPhoneState",
        "ReverifyState",
        "SignInState",
        "SignUpState",
        "DevOutboxState",
        "ForgotPasswordState",
        "ResetPasswordState",
        "SessionsState",
    } <= names


def test_no_public_var_can_hold_a_secret():
    """Every state class, Reflex's own included: no public var, nor any field of its type, is
    named like a secret or typed to carry one; only the allow-listed vars may hold a code."""
    problems: list[str] = []
    for cls in all_state_classes():
        for name, tp in public_vars(cls).items():
            where = f"{cls.__name__}.{name}"
            if name.startswith("_"):
                problems.append(f"{where}: a private-looking var is sent to the browser")
            if SECRET_NAME.search(name) and tp not in HARMLESS_TYPES:
                problems.append(f"{where}: public var named like a secret, of type {tp!r}")
            if CODE_NAME.search(name) and tp not in HARMLESS_TYPES and (cls.__name__, name) not in ALLOWED_CODE_HOLDERS:
                problems.append(f"{where}: public var that could hold a code, of type {tp!r}")
            problems.extend(type_problems(tp, where))
    assert [p for p in problems if p.partition(":")[0] not in ALLOWED_FRAMEWORK_FIELDS] == []


def test_no_var_of_any_state_is_named_like_a_secret():
    """Backend vars are stored with the tab's state too: none may hold a token or a code."""
    problems = [
        f"{cls.__name__}.{name}"
        for cls in app_state_classes()
        for name in cls.get_fields()
        if name.startswith("_") and SECRET_NAME.search(name) and cls.vars.get(name) is None
    ]
    assert problems == []


def test_the_handshake_cookie_never_reaches_a_state():
    """connections.install takes the Cookie header out of the headers Reflex builds for a socket
    (and copies into every event's router data); the socket's cookie is read from memory."""
    from reflex.app import EventNamespace

    from mfa_app.state import connections

    connections.install()
    secret = "the-session-token-itself"
    environ = {"asgi.scope": {"headers": [(b"cookie", f"{routes.SESSION_COOKIE}={secret}".encode()), (b"host", b"x")]}}
    namespace = EventNamespace.__new__(EventNamespace)

    router_data = namespace._build_static_router_data("sid-1", environ)

    assert secret not in repr(router_data) and router_data["headers"]["host"] == "x"
    assert connections.cookie("sid-1", routes.SESSION_COOKIE) == secret
    connections.forget("sid-1")
    assert connections.cookie("sid-1", routes.SESSION_COOKIE) == ""


# --- backup codes: shown once, gone after "Done" -------------------------------------------------


@pytest.fixture
def manage_state(ctx: AccountContext, outbox: Outbox, clock: FakeClock, monkeypatch):
    """A ManageMfaState for a signed-in user with MFA on, re-verified just now, run against the
    test service (as Reflex's own unit tests do: a state instance, handlers called directly)."""
    from reflex.istate.data import RouterData
    from reflex.state import State

    from mfa_app.state import connections, service, session
    from mfa_app.state.manage_mfa import ManageMfaState

    for module in (service, session):
        monkeypatch.setattr(module, "context", lambda: ctx)
    person = sign_up(ctx)
    enable_mfa(ctx, outbox, person.token, "+14155552671")
    reverify_with_sms(ctx, outbox, person.token, clock)
    root = State(_reflex_internal_init=True)
    root.router = RouterData.from_router_data({"sid": "manage-sid"})
    connections.keep_cookie("manage-sid", f"{routes.SESSION_COOKIE}={person.token}")
    state = root.get_substate(ManageMfaState.get_full_name().split(".")[1:])
    assert isinstance(state, ManageMfaState)
    return root, state, person


def run(state, handler: str, *args) -> list:
    """Run an event handler to its end on a state instance, whatever its kind (plain,
    coroutine, async generator, background: Reflex refuses a direct call of a background
    handler, so the handler's own function is called); what it returned or yielded."""

    async def drive(result) -> list:
        if hasattr(result, "__aiter__"):
            return [update async for update in result]
        if hasattr(result, "__await__"):
            return [await result]
        return [result]

    return run_async(drive(getattr(type(state), handler).fn(state, *args)), timeout=30)


def page_sees(root) -> str:
    """Everything a hydrate would send to the browser."""
    from reflex_base.utils import format

    return format.json_dumps(root.dict())


def stored(root) -> bytes:
    """Everything Reflex would store of the tab: each state's pickle."""
    states, pending = [], [root]
    while pending:
        state = pending.pop()
        states.append(state._serialize())
        pending.extend(state.substates.values())
    return b"".join(states)


def generate(root, state) -> tuple[list[str], str]:
    """Generate backup codes; the codes, and the events that carry them to the page."""
    updates = run(state, "generate_backup_codes")
    assert state.error == "" and state.showing_codes is True
    sent = repr(updates)
    codes = re.findall(r"\b[a-z2-9]{5}-[a-z2-9]{5}\b", sent)
    assert len(set(codes)) == 10, sent
    return sorted(set(codes)), sent


def test_new_backup_codes_reach_the_page_only_in_the_event_that_shows_them(manage_state):
    root, state, _person = manage_state
    codes, sent = generate(root, state)

    assert "new_backup_codes" in sent  # the page's own (React) state
    seen, kept = page_sees(root), stored(root)
    assert not [code for code in codes if code in seen or code.encode() in kept]


@pytest.mark.parametrize("handler", ["done", "load", "sign_out"])
def test_backup_codes_leave_the_page_after(manage_state, handler):
    root, state, _person = manage_state
    generate(root, state)

    updates = run(state, handler)

    assert state.showing_codes is False
    assert "new_backup_codes" in repr(updates) and "([])" in repr(updates).replace(" ", "")


def test_dev_outbox_reads_nothing_unless_the_outbox_is_the_provider(tmp_path: Path, monkeypatch):
    from reflex.istate.data import RouterData
    from reflex.state import State

    from mfa_app.state import dev_outbox
    from mfa_app.state.dev_outbox import DevOutboxState

    outbox = tmp_path / "outbox.jsonl"
    outbox.write_text(
        json.dumps({"to": "+14155552671", "body": "code #123456", "sent_at": "2026-01-05T12:00:00+00:00"}) + "\n"
    )
    root = State(_reflex_internal_init=True)
    root.router = RouterData.from_router_data({"ip": "127.0.0.1"})  # a local client (tests/test_dev_only.py: others)
    state = root.get_substate(DevOutboxState.get_full_name().split(".")[1:])

    for provider, expected in [("twilio", 0), ("webhook", 0), ("outbox", 1)]:
        settings = Settings(data_dir=tmp_path, sms_outbox=outbox, sms_provider=provider)
        monkeypatch.setattr(dev_outbox, "current", lambda settings=settings: Setup(settings=settings))
        run(state, "load")
        assert len(state.messages) == expected, provider


# --- the session cookie -----------------------------------------------------------------------------


@pytest.fixture
def auth_client(ctx: AccountContext, monkeypatch) -> TestClient:
    from mfa_app import http
    from mfa_app.state import service

    monkeypatch.setattr(service, "context", lambda: ctx)
    monkeypatch.setattr(http, "context", lambda: ctx)  # http.py imported the name itself
    # As the app's own page sends its requests (tests/test_http_edges.py: from anywhere else).
    return TestClient(http.auth_routes, base_url="http://127.0.0.1", headers={"Sec-Fetch-Site": "same-origin"})


def set_cookie_attributes(header: str) -> tuple[str, dict[str, str]]:
    first, *attributes = [part.strip() for part in header.split(";")]
    name, _, value = first.partition("=")
    assert name == routes.SESSION_COOKIE
    parsed = {}
    for attribute in attributes:
        key, _, val = attribute.partition("=")
        parsed[key.lower()] = val
    return value, parsed


def test_the_session_route_sets_an_httponly_samesite_strict_cookie(ctx: AccountContext, auth_client: TestClient):
    person = sign_up(ctx)
    nonce = accounts.start_handoff(ctx, person.token)

    response = auth_client.post(
        routes.AUTH_SESSION, data={"nonce": nonce, "next": routes.paths.add_phone}, follow_redirects=False
    )

    assert response.status_code == 303
    assert urlsplit(response.headers["location"]).path == routes.paths.add_phone
    assert response.headers["cache-control"] == "no-store"
    cookies = response.headers.get_list("set-cookie")
    assert len(cookies) == 1
    token, attributes = set_cookie_attributes(cookies[0])
    assert "httponly" in attributes
    assert attributes["samesite"].lower() == "strict"
    assert attributes["path"] == "/"
    assert int(attributes["max-age"]) == ctx.settings.session_ttl_s
    # The cookie carries a fresh token; the one that travelled through the page is dead.
    assert token and token != person.token and nonce not in token
    assert accounts.get_user(ctx, token).email_address == person.email
    with pytest.raises(accounts.AccountError):
        accounts.get_user(ctx, person.token)


def test_a_handoff_nonce_works_once_and_sets_no_cookie_when_refused(ctx: AccountContext, auth_client: TestClient):
    person = sign_up(ctx)
    nonce = accounts.start_handoff(ctx, person.token)
    assert auth_client.post(routes.AUTH_SESSION, data={"nonce": nonce}, follow_redirects=False).status_code == 303

    for bad in [nonce, "", "made-up"]:
        response = auth_client.post(routes.AUTH_SESSION, data={"nonce": bad}, follow_redirects=False)
        assert response.status_code == 401
        assert "set-cookie" not in response.headers


def test_the_session_route_only_redirects_to_local_paths(ctx: AccountContext, auth_client: TestClient):
    person = sign_up(ctx)
    for target in ["//evil.example/x", "https://evil.example/", "javascript:alert(1)"]:
        nonce = accounts.start_handoff(ctx, person.token)
        response = auth_client.post(routes.AUTH_SESSION, data={"nonce": nonce, "next": target}, follow_redirects=False)
        location = urlsplit(response.headers["location"])
        assert location.path == routes.paths.manage_mfa and "evil" not in location.netloc
        person.token = set_cookie_attributes(response.headers["set-cookie"])[0]


def test_sign_out_revokes_the_session_and_clears_the_cookie(ctx: AccountContext, auth_client: TestClient):
    person = sign_up(ctx)
    auth_client.cookies.set(routes.SESSION_COOKIE, person.token)

    response = auth_client.post(routes.AUTH_SIGN_OUT, follow_redirects=False)

    assert response.status_code == 303
    value, attributes = set_cookie_attributes(response.headers["set-cookie"])
    assert value in ("", '""')
    assert attributes.get("max-age") == "0" or "expires" in attributes
    assert "httponly" in attributes and attributes["samesite"].lower() == "strict"
    with pytest.raises(accounts.AccountError):
        accounts.get_user(ctx, person.token)


# --- the password reset link ---------------------------------------------------------------------


def test_the_reset_link_route_moves_the_token_into_an_httponly_cookie(auth_client: TestClient):
    response = auth_client.get(routes.AUTH_PASSWORD_RESET, params={"token": "the-link-token"}, follow_redirects=False)

    assert response.status_code == 303
    location = urlsplit(response.headers["location"])
    assert location.path == routes.RESET_PASSWORD and "the-link-token" not in response.headers["location"]
    assert (response.headers["cache-control"], response.headers["referrer-policy"]) == ("no-store", "no-referrer")
    first, *attributes = [part.strip() for part in response.headers["set-cookie"].split(";")]
    assert first == f"{routes.RESET_COOKIE}=the-link-token"
    parsed = {key.lower(): value for key, _, value in (a.partition("=") for a in attributes)}
    assert "httponly" in parsed and parsed["samesite"].lower() == "strict" and parsed["path"] == "/"
    assert int(parsed["max-age"]) == 30 * 60
    assert "set-cookie" not in auth_client.get(routes.AUTH_PASSWORD_RESET, follow_redirects=False).headers


def test_the_reset_page_never_holds_the_link_token_or_the_password(ctx: AccountContext, monkeypatch):
    from reflex.istate.data import RouterData
    from reflex.state import State

    from mfa_app.state import service
    from mfa_app.state.password_reset import PASSWORD_ID, ResetPasswordState

    monkeypatch.setattr(service, "context", lambda: ctx)
    person = sign_up(ctx)
    accounts.request_password_reset(ctx, person.email, client_ip="", link_base="https://x/auth/password-reset")
    token = reset_link_token(ctx.email, person.email)
    from mfa_app.state import connections

    root = State(_reflex_internal_init=True)
    root.router = RouterData.from_router_data({"sid": "reset-sid"})
    connections.keep_cookie("reset-sid", f"{routes.RESET_COOKIE}={token}")
    state = root.get_substate(ResetPasswordState.get_full_name().split(".")[1:])
    new_password = "a fresh passphrase here"

    run(state, "load")
    assert state.link_usable is True
    run(state, "submit", {PASSWORD_ID: new_password})

    assert (state.done, state.error) == (True, "")
    assert accounts.sign_in(ctx, person.email, new_password).attempt.status == "complete"
    seen = page_sees(root)
    assert token not in seen and new_password not in seen
    framework = ("router", "rx_router", "is_", "_reflex")
    own = [name for name in ResetPasswordState.get_fields() if not name.startswith(framework)]
    assert set(own) == ResetPasswordState._frontend_var_names  # no backend var at all
    run(state, "load")  # the link is used now
    assert state.link_usable is False and "already used" in state.error
