"""/account/add-phone: "Add phone", then "Verify phone", then "Phone added"."""

from __future__ import annotations

import reflex as rx

from mfa_app import routes
from mfa_app.components.forms import code_field, error_text, notice_text, submit_button
from mfa_app.components.layout import layout, section, signed_in_only
from mfa_app.components.resend_button import resend_button
from mfa_app.components.reverify_dialog import reverify_dialog
from mfa_app.state.add_phone import (
    ADDED_ID,
    CODE_ID,
    NUMBER_ID,
    SUBMIT_NUMBER,
    USE_FOR_MFA,
    AddPhoneState,
    region_options,
)


def _enter_number() -> rx.Component:
    return rx.vstack(
        rx.heading("Add phone", as_="h1"),
        rx.form(
            rx.vstack(
                rx.el.label("Country", html_for="region", class_name="field-label"),
                rx.el.select(
                    *[rx.el.option(name, value=region) for region, name in region_options()],
                    id="region",
                    value=AddPhoneState.region,
                    on_change=AddPhoneState.set_region,
                    class_name="region-select",
                ),
                rx.el.label("Enter phone number", html_for=NUMBER_ID, class_name="field-label"),
                rx.input(
                    id=NUMBER_ID,
                    name="phone",
                    type="tel",
                    auto_complete="tel",
                    required=True,
                    size="3",
                    width="100%",
                    value=AddPhoneState.number,
                    on_change=AddPhoneState.set_number,
                    aria_describedby="phone-preview",
                ),
                rx.text(
                    # Not next to a refusal of that same number.
                    rx.cond(
                        (AddPhoneState.formatted != "") & (AddPhoneState.error == ""),
                        "Will be added as " + AddPhoneState.formatted,
                        "",
                    ),
                    id="phone-preview",
                    size="2",
                ),
                error_text(AddPhoneState.error),
                rx.flex(
                    submit_button("Continue", AddPhoneState.busy, id=SUBMIT_NUMBER.key()),
                    _cancel(),
                    spacing="4",
                    align="center",
                ),
                spacing="2",
                width="100%",
            ),
            on_submit=AddPhoneState.submit_number,
            width="100%",
        ),
        width="100%",
    )


def _verify_code() -> rx.Component:
    return rx.vstack(
        rx.heading("Verify phone", as_="h1"),
        notice_text(AddPhoneState.notice),
        rx.form(
            rx.vstack(
                code_field(id=CODE_ID, auto_focus=True, on_change=AddPhoneState.clear_error),
                error_text(AddPhoneState.error),
                rx.flex(
                    submit_button("Verify", AddPhoneState.busy),
                    resend_button(
                        "Resend code",
                        AddPhoneState,
                        type="button",
                        variant="soft",
                        size="3",
                        on_click=AddPhoneState.resend,
                    ),
                    _cancel(),
                    spacing="4",
                    align="center",
                    wrap="wrap",
                ),
                rx.button(
                    "Use a different number",
                    variant="ghost",
                    type="button",
                    on_click=AddPhoneState.use_different_number,
                ),
                spacing="3",
                width="100%",
            ),
            on_submit=AddPhoneState.verify,
            reset_on_submit=True,
            width="100%",
        ),
        width="100%",
    )


def _cancel() -> rx.Component:
    """Back to the MFA settings, nothing added."""
    return rx.link("Cancel", href=routes.paths.manage_mfa, size="3", underline="always")


def _added() -> rx.Component:
    return rx.vstack(
        rx.heading("Phone added", as_="h1", id=ADDED_ID, tab_index=-1),
        rx.text(AddPhoneState.formatted, " is verified and on your account."),
        error_text(AddPhoneState.error),
        rx.flex(
            rx.button(
                "Use for MFA",
                loading=AddPhoneState.busy,
                on_click=AddPhoneState.use_for_mfa,
                id=USE_FOR_MFA.key(),
            ),
            rx.link("Back to MFA settings", href=routes.paths.manage_mfa),
            spacing="4",
            align="center",
        ),
    )


def add_phone() -> rx.Component:
    return layout(
        signed_in_only(
            AddPhoneState,
            section(
                rx.match(
                    AddPhoneState.step,
                    ("verify", _verify_code()),
                    ("done", _added()),
                    _enter_number(),
                ),
            ),
            reverify_dialog(),
        )
    )
