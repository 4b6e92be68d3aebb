"""The manage page's phone lists and the confirmation asked before destructive actions."""

from __future__ import annotations

import reflex as rx

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
    confirmation = ManageMfaState.confirmation
    removing = confirmation.action == "remove"
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title(
                rx.cond(removing, "Remove " + confirmation.number + "?", "Disable " + confirmation.number + " for MFA?")
            ),
            rx.alert_dialog.description(
                rx.cond(
                    confirmation.turns_mfa_off,
                    "This is your last MFA phone: MFA will be turned off and your backup codes will stop working.",
                    rx.cond(
                        removing,
                        "The phone number will be removed from your account.",
                        "The phone number stays on your account but will no longer be used for MFA.",
                    ),
                )
            ),
            rx.flex(
                rx.alert_dialog.cancel(
                    rx.button(
                        "Cancel", variant="soft", color_scheme="gray", on_click=ManageMfaState.cancel_confirmation
                    )
                ),
                rx.alert_dialog.action(
                    rx.button(
                        rx.cond(removing, "Remove", "Disable"),
                        color_scheme="red",
                        high_contrast=True,  # white on Radix's solid red is below 4.5:1
                        on_click=ManageMfaState.confirm,
                    )
                ),
                spacing="3",
                justify="end",
                margin_top="1em",
            ),
        ),
        open=confirmation.action != "",
    )
