"""The manage page's phone lists and the confirmation asked before destructive actions."""

from __future__ import annotations

from typing import cast

import reflex as rx
from reflex.vars import ObjectVar

from mfa_app import routes
from mfa_app.components.forms import focus_element
from mfa_app.state.manage_mfa import (
    DISABLE_FOR_MFA,
    MAKE_DEFAULT,
    REMOVE,
    USE_FOR_MFA,
    Confirmation,
    ManageMfaState,
    PhoneView,
)
from mfa_app.state.reverify import SensitiveAction


def _action(label: str, action: SensitiveAction, phone: PhoneView, handler, **props) -> rx.Component:
    return rx.button(
        label,
        size="2",
        variant="soft",
        loading=ManageMfaState.running == action.key(phone.id),
        on_click=handler,
        id=action.key(phone.id),  # where the focus returns after re-verifying or confirming
        **props,
    )


def _row(phone: PhoneView, label: rx.Component, actions: list[tuple[str, SensitiveAction, object]]) -> rx.Component:
    """A phone: its number, then its actions (label, action, handler) lined up on the right; on
    a narrow screen the actions go under the number, one full-width button each (no menu: its
    JavaScript would outweigh the page's budget)."""
    return rx.el.li(
        label,
        rx.flex(
            *[
                _action(text, action, phone, handler, **({"color_scheme": "red"} if action is REMOVE else {}))
                for text, action, handler in actions
            ],
            spacing="2",
            class_name="row-actions",
        ),
        class_name="phone-row",
    )


def _number(phone: PhoneView, *marks: rx.Component | str) -> rx.Component:
    return rx.text(phone.number, *marks, weight="medium", class_name="phone-number")


def _mfa_phone(phone: PhoneView) -> rx.Component:
    disable = ("Disable for MFA", DISABLE_FOR_MFA, ManageMfaState.ask_to_confirm("disable_for_mfa", phone.id))
    make_default = ("Make default", MAKE_DEFAULT, ManageMfaState.make_default(phone.id))
    remove = ("Remove from account", REMOVE, ManageMfaState.ask_to_confirm("remove", phone.id))
    return rx.cond(
        phone.is_default,
        # The badge reads "(Default)", as the reference's text does.
        _row(phone, _number(phone, " ", rx.badge("(Default)", color_scheme="indigo")), [disable, remove]),
        rx.cond(
            ManageMfaState.can_choose_default,
            _row(phone, _number(phone), [disable, make_default, remove]),
            _row(phone, _number(phone), [disable, remove]),  # see fixed_default_note
        ),
    )


# Said instead of "Make default" buttons where the default can't be changed (Clerk's accounts).
FIXED_DEFAULT_NOTE = (
    "Your default MFA phone is the first one you turned on for MFA. Your account's sign-in service "
    "doesn't let it be changed here: to make another phone the default, turn MFA off and on again "
    "starting with that phone."
)


def _fixed_default_note() -> rx.Component:
    return rx.cond(
        ~ManageMfaState.can_choose_default & (ManageMfaState.mfa_phones.length() > 1),
        rx.text(FIXED_DEFAULT_NOTE, size="2", color_scheme="gray", id="fixed-default-note"),
    )


def _available_phone(phone: PhoneView) -> rx.Component:
    return _row(
        phone,
        _number(phone),
        [
            ("Use for MFA", USE_FOR_MFA, ManageMfaState.use_for_mfa(phone.id)),
            ("Remove from account", REMOVE, ManageMfaState.ask_to_confirm("remove", phone.id)),
        ],
    )


def _unverified_phone(phone: PhoneView) -> rx.Component:
    return rx.el.li(
        _number(phone, " ", rx.badge("Unverified", color_scheme="amber", high_contrast=True)),
        rx.flex(
            rx.button(
                rx.link(
                    "Verify", href=routes.paths.add_phone + "?phone=" + phone.id, aria_label="Verify " + phone.number
                ),
                as_child=True,
                size="2",
                variant="soft",
            ),
            _action(
                "Remove from account",
                REMOVE,
                phone,
                ManageMfaState.ask_to_confirm("remove", phone.id),
                color_scheme="red",
            ),
            spacing="2",
            class_name="row-actions",
        ),
        class_name="phone-row",
    )


def unverified_phone_list() -> rx.Component:
    """Numbers added but never verified: a new code to finish, or remove them."""
    return rx.cond(
        ManageMfaState.unverified_phones.length() > 0,
        rx.box(
            rx.heading("Phone numbers waiting to be verified", as_="h2", size="4", id="unverified-phones"),
            rx.el.ul(
                rx.foreach(ManageMfaState.unverified_phones, _unverified_phone),
                class_name="phone-list",
                aria_labelledby="unverified-phones",
            ),
        ),
    )


def mfa_phone_list() -> rx.Component:
    return rx.cond(
        ManageMfaState.mfa_phones.length() == 0,
        rx.text("There are currently no phone numbers reserved for MFA."),
        rx.box(
            rx.heading("Phone numbers reserved for MFA", as_="h2", size="4", id="mfa-phones"),
            rx.el.ul(
                rx.foreach(ManageMfaState.mfa_phones, _mfa_phone), class_name="phone-list", aria_labelledby="mfa-phones"
            ),
            _fixed_default_note(),
        ),
    )


def available_phone_list() -> rx.Component:
    return rx.cond(
        ManageMfaState.available_phones.length() == 0,
        rx.text("There are currently no verified phone numbers available to be reserved for MFA."),
        rx.box(
            rx.heading("Phone numbers that are not reserved for MFA", as_="h2", size="4", id="available-phones"),
            rx.el.ul(
                rx.foreach(ManageMfaState.available_phones, _available_phone),
                class_name="phone-list",
                aria_labelledby="available-phones",
            ),
        ),
    )


def confirm_dialog() -> rx.Component:
    """Asked before Disable for MFA and Remove: says what the action turns off, or, when the
    service would refuse it, why (with nothing to confirm)."""
    # A dataclass var: mypy takes Reflex's sequence overload of Field.__get__ for it (Never matches
    # its bound), where Reflex gives an ObjectVar.
    confirmation = cast("ObjectVar[Confirmation]", ManageMfaState.confirmation)
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title(confirmation.title),
            rx.alert_dialog.description(confirmation.explanation),
            rx.flex(
                # No on_click of its own: Reflex would wrap the button, and the dialog's focus
                # on open (its Cancel control) would land on the wrapper.
                rx.alert_dialog.cancel(
                    rx.button(rx.cond(confirmation.allowed, "Cancel", "OK"), variant="soft", color_scheme="gray")
                ),
                rx.cond(
                    confirmation.allowed,
                    rx.alert_dialog.action(
                        rx.button(
                            confirmation.confirm_label,
                            color_scheme="red",
                            high_contrast=True,  # white on Radix's solid red is below 4.5:1
                            on_click=ManageMfaState.confirm,
                        )
                    ),
                ),
                spacing="3",
                justify="end",
                margin_top="1em",
            ),
            # Back to the control that opened it (Radix's own choice is lost: the page re-rendered).
            on_close_auto_focus=focus_element(ManageMfaState.confirmation_opener),
        ),
        open=confirmation.action != "",
        on_open_change=ManageMfaState.set_confirmation_open,
    )
