"""Form pieces: labelled fields, the one-time-code input, messages said in words."""

from __future__ import annotations

import reflex as rx
from reflex.event import EventSpec
from reflex.vars.base import Var

# A code pasted as "123 456", "123-456" or " 123456 " becomes "123456": non-digits go first, then
# the length limit (a `maxlength` would cut the pasted text before the spaces were dropped).
_DIGITS_ONLY_JS: Var = Var(_js_expr="(e) => { e.target.value = e.target.value.replace(/\\D/g, '').slice(0, 6) }")


def focus_element(element_id: Var[str]) -> EventSpec:
    """Move the keyboard focus to the element whose id the var holds (once the page is there)."""
    return rx.call_script(f"document.getElementById({element_id.to_string()})?.focus()")


def field(label: str, id: str, hint: str = "", **input_props) -> rx.Component:
    """A labelled input; `hint`, said under it (and read with it), is what the value must be."""
    if hint:
        input_props["aria_describedby"] = f"{id}-hint"
    return rx.vstack(
        rx.el.label(label, html_for=id, class_name="field-label"),
        rx.input(id=id, name=id, required=True, size="3", width="100%", **input_props),
        rx.text(hint, id=f"{id}-hint", size="2", color_scheme="gray", high_contrast=True) if hint else rx.fragment(),
        spacing="1",
        width="100%",
    )


def code_field(label: str = "Enter code", id: str = "code", **input_props) -> rx.Component:
    """A one-time code: numeric keypad, the browser may offer the code from the SMS, and what
    is typed or pasted keeps only its digits."""
    return field(
        label,
        id,
        type="text",
        auto_complete="one-time-code",
        input_mode="numeric",
        custom_attrs={"onInput": _DIGITS_ONLY_JS},
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
