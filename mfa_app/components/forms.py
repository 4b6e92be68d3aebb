"""Form pieces: labelled fields, the one-time-code input, messages said in words."""

from __future__ import annotations

import reflex as rx


def field(label: str, id: str, **input_props) -> rx.Component:
    return rx.vstack(
        rx.el.label(label, html_for=id, class_name="field-label"),
        rx.input(id=id, name=id, required=True, size="3", width="100%", **input_props),
        spacing="1",
        width="100%",
    )


def code_field(label: str = "Enter code", id: str = "code", **input_props) -> rx.Component:
    """A one-time code: numeric keypad, and the browser may offer the code from the SMS."""
    return field(
        label,
        id,
        type="text",
        auto_complete="one-time-code",
        input_mode="numeric",
        pattern="[0-9]{6}",
        max_length=6,
        **input_props,
    )


def error_text(message: rx.Var) -> rx.Component:
    return rx.cond(
        message != "",
        rx.callout(message, icon="triangle_alert", color_scheme="red", role="alert", width="100%"),
    )


def notice_text(message: rx.Var) -> rx.Component:
    return rx.el.div(
        rx.cond(
            message != "",
            # high contrast: Radix's green text on its green background is below 4.5:1
            rx.callout(message, icon="check", color_scheme="green", high_contrast=True, width="100%"),
        ),
        role="status",
        aria_live="polite",
        width="100%",
    )


def submit_button(label: str, busy: rx.Var, **props) -> rx.Component:
    return rx.button(label, type="submit", loading=busy, size="3", **props)
