"""Sensitive actions: one key per action names it for the re-verification dialog, gives the id of
the control that starts it and what its state's busy var holds while it runs (the browser tests
show the focus going back to that control: test_accessibility, test_behaviours)."""

from __future__ import annotations

import subprocess

from reflex.vars.base import Var

from mfa_app.state import add_phone, manage_mfa, reverify, sessions
from mfa_app.state.reverify import SensitiveAction

ACTIONS = [
    value
    for module in (add_phone, manage_mfa, sessions)
    for value in vars(module).values()
    if isinstance(value, SensitiveAction)
]


def test_a_key_is_the_actions_name_then_its_arguments():
    assert manage_mfa.REMOVE.key("phone_1") == "manage.remove-phone_1"
    assert manage_mfa.GENERATE_BACKUP_CODES.key() == "manage.generate_backup_codes"


def test_a_key_on_a_var_is_the_same_text_in_the_page():
    """The components build the key from a phone's id var: run in JavaScript, it gives the text
    the state builds from the id."""
    js = str(manage_mfa.REMOVE.key(Var(_js_expr="phoneId").to(str)))

    evaluated = subprocess.run(
        ["node", "-e", f"const phoneId = 'phone_1'; process.stdout.write({js})"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    assert evaluated == manage_mfa.REMOVE.key("phone_1")


def test_every_action_is_finished_by_a_handler_and_says_what_it_confirms():
    names = [action.name for action in ACTIONS]

    assert len(ACTIONS) == 9 and len(set(names)) == len(names)
    for action in ACTIONS:
        registered, handler = reverify._FINISHERS[action.name]
        assert registered is action and action.purpose
        assert handler.fn.__name__ == action.name.split(".")[1]
