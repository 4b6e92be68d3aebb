"""Any page can call any handler by name with any payload: a value of the wrong type (an int for
a phone id, a list for a number, a string for a form) gets the same refusal as a wrong value,
and no handler raises (an exception's text must never reach a browser)."""

from __future__ import annotations

import typing

import pytest

from mfa_app import routes
from mfa_app.accounts.context import AccountContext
from mfa_app.state.payloads import REFUSED_HANDLERS, check_payload, checked, refused
from tests.helpers import FakeClock, Outbox, enable_mfa, reverify_with_sms, sign_up
from tests.test_state_vars import app_state_classes, run

WRONG_VALUES = [12345, 1.5, True, None, ["a"], {"k": "v"}, "text", [1, 2], {"code": ["123456"]}]


def handler_arguments() -> list[tuple[type, str, str, typing.Any]]:
    """Every (state class, handler, argument, declared type) of the app's states."""
    found = []
    for cls in app_state_classes():
        for name, handler in cls.event_handlers.items():
            if name in REFUSED_HANDLERS:
                continue
            hints = typing.get_type_hints(handler.fn)
            hints.pop("return", None)
            found.extend((cls, name, argument, declared) for argument, declared in hints.items())
    return found


def test_every_handler_argument_is_declared_with_a_checkable_type():
    arguments = handler_arguments()
    assert {(cls.__name__, name) for cls, name, _, _ in arguments} >= {
        ("ManageMfaState", "use_for_mfa"),
        ("AddPhoneState", "set_number"),
        ("ReverifyState", "start"),
        ("SignInState", "verify"),
    }
    for _cls, _name, _argument, declared in arguments:
        checked("", declared)  # raises for a type with no empty value


@pytest.mark.parametrize(
    ("declared", "value", "expected"),
    [
        (str, 12345, ""),
        (str, ["a"], ""),
        (str, "idn_1", "idn_1"),
        (bool, "yes", False),
        (bool, True, True),
        (int, True, 0),
        (list[str], ["a", 1], []),
        (list[str], ["a"], ["a"]),
        (dict[str, str], "code=1", {}),
        (dict[str, str], {"code": 123456, "x": "y"}, {"code": "", "x": "y"}),
    ],
)
def test_a_wrong_type_becomes_the_empty_value_of_the_declared_type(declared, value, expected):
    assert checked(value, declared) == expected


def test_reflexs_generic_setter_is_refused_on_the_apps_states():
    """setvar("number", 12345) would call set_number(12345) past the type check."""
    for cls in app_state_classes():
        assert refused(f"{cls.get_full_name()}.setvar")
    assert not refused("reflex___state____state.setvar")  # Reflex's own state: not ours to refuse


def test_missing_and_extra_arguments_are_made_to_fit():
    from mfa_app.state.manage_mfa import ManageMfaState

    name = f"{ManageMfaState.get_full_name()}.use_for_mfa"
    assert check_payload(name, {}) == {"phone_id": ""}
    assert check_payload(name, {"phone_id": "idn_1", "extra": 1}) == {"phone_id": "idn_1"}
    assert check_payload("reflex___state____state.hydrate", {"x": 1}) == {"x": 1}  # not ours


@pytest.fixture
def signed_in_tab(ctx: AccountContext, outbox: Outbox, clock: FakeClock, monkeypatch):
    """A tab's whole state tree for a signed-in user with MFA on, re-verified just now, on the
    test service."""
    from reflex.istate.data import RouterData
    from reflex.state import State

    from mfa_app.state import add_phone, connections, service, session

    for module in (service, session, add_phone):
        monkeypatch.setattr(module, "context", lambda: ctx)
    person = sign_up(ctx)
    enable_mfa(ctx, outbox, person.token, "+14155552671")
    reverify_with_sms(ctx, outbox, person.token, clock)
    root = State(_reflex_internal_init=True)
    root.router = RouterData.from_router_data({"sid": "payload-sid"})
    connections.keep_cookie("payload-sid", f"{routes.SESSION_COOKIE}={person.token}")
    yield root
    connections.forget("payload-sid")


def var_types_hold(state) -> list[str]:
    """Public vars whose value is not of their declared (outer) type."""
    wrong = []
    for name in state._frontend_var_names:
        declared = typing.get_origin(state.vars[name]._var_type) or state.vars[name]._var_type
        if isinstance(declared, type) and not isinstance(getattr(state, name), declared):
            wrong.append(f"{name}={getattr(state, name)!r}")
    return wrong


def test_no_handler_raises_for_a_wrong_type(signed_in_tab):
    """Every handler argument of every state, with every wrong value (one test: the states are
    found by importing the app, which must not happen while pytest collects)."""
    for cls, handler, argument, _declared in handler_arguments():
        state = signed_in_tab.get_substate(cls.get_full_name().split(".")[1:])
        arguments = [a for a in typing.get_type_hints(getattr(cls, handler).fn) if a != "return"]
        for value in WRONG_VALUES:
            payload = check_payload(f"{cls.get_full_name()}.{handler}", {a: "" for a in arguments} | {argument: value})
            run(state, handler, *(payload[a] for a in arguments))
            assert var_types_hold(state) == [], (cls.__name__, handler, argument, value)
