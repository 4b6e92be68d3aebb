"""Placeholder app: the real pages are registered here later."""

import reflex as rx


def index() -> rx.Component:
    return rx.heading("mfa_app")


app = rx.App()
app.add_page(index, route="/")
