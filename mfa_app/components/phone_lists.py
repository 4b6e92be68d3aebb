"""The manage page's phone lists and the confirmation asked before destructive actions."""

from __future__ import annotations

import reflex as rx

from mfa_app import routes
from mfa_app.state.manage_mfa import ManageMfaState, PhoneView


def _action(label: str, action: str, phone: PhoneView, handler, **props) -> rx.Component:
    return rx.button(
        label,
        size="2",
        variant="soft",
        loading=ManageMfaState.busy == action + ":" + phone.id,
        on_click=handler,
        id="manage." + action + "-" + phone.id,  # reverify.focus_id: where the focus returns
        **props,
    )


def _mfa_phone(phone: PhoneView) -> rx.Component:
    return rx.el.li(
        rx.text(phone.number, rx.cond(phone.is_default, " (Default)", ""), weight="medium"),
        _action(
            "Disable for MFA", "disable_for_mfa", phone, ManageMfaState.ask_to_confirm("disable_for_mfa", phone.id)
        ),
        rx.cond(
            ~phone.is_default,
            _action("Make default", "make_default", phone, ManageMfaState.make_default(phone.id)),
        ),
        _action(
            "Remove from account",
            "remove",
            phone,
            ManageMfaState.ask_to_confirm("remove", phone.id),
            color_scheme="red",
        ),
        class_name="phone-row",
    )


def _available_phone(phone: PhoneView) -> rx.Component:
    return rx.el.li(
        rx.text(phone.number, weight="medium"),
        _action("Use for MFA", "use_for_mfa", phone, ManageMfaState.use_for_mfa(phone.id)),
        _action(
            "Remove from account",
            "remove",
            phone,
            ManageMfaState.ask_to_confirm("remove", phone.id),
            color_scheme="red",
        ),
        class_name="phone-row",
    )


def _unverified_phone(phone: PhoneView) -> rx.Component:
    return rx.el.li(
        rx.text(phone.number, rx.badge("Unverified", color_scheme="amber", margin_left="0.5em"), weight="medium"),
        rx.button(
            rx.link("Verify", href=routes.ADD_PHONE + "?phone=" + phone.id, aria_label="Verify " + phone.number),
            as_child=True,
            size="2",
            variant="soft",
        ),
        _action(
            "Remove from account",
            "remove",
            phone,
            ManageMfaState.ask_to_confirm("remove", phone.id),
            color_scheme="red",
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
    confirmation = ManageMfaState.confirmation
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
            on_close_auto_focus=rx.call_script(
                f"document.getElementById({ManageMfaState.confirmation_opener})?.focus()"
            ),
        ),
        open=confirmation.action != "",
        on_open_change=ManageMfaState.set_confirmation_open,
    )
