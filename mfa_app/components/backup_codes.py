"""Backup codes: generated only on "Generate", shown once, with Copy all, Download and Print."""

from __future__ import annotations

import reflex as rx

from mfa_app.components.layout import section
from mfa_app.state.manage_mfa import BACKUP_CODES_ID, GENERATE_BACKUP_CODES, NEW_BACKUP_CODES, ManageMfaState

_CODES = NEW_BACKUP_CODES.value.to(list[str])
# What Copy all and Download give, read from the list on show: the page is the only place the
# codes are.
_CODES_TEXT_JS = (
    "'mfa_app backup codes (each works once)\\n\\n' + [...document.querySelectorAll('#"
    + BACKUP_CODES_ID
    + " li')].map((li) => li.textContent.trim()).join('\\n') + '\\n'"
)
_COPY_JS = f"navigator.clipboard.writeText({_CODES_TEXT_JS})"
_DOWNLOAD_JS = (
    "(() => { const a = document.createElement('a');"
    f" a.href = URL.createObjectURL(new Blob([{_CODES_TEXT_JS}], {{type: 'text/plain'}}));"
    " a.download = 'backup-codes.txt'; document.body.append(a); a.click(); a.remove(); })()"
)


def backup_codes_section() -> rx.Component:
    return rx.cond(
        ManageMfaState.two_factor_enabled,
        section(
            rx.heading("Backup codes", as_="h2", size="4"),
            rx.text(
                "For when your phones are not at hand: each code signs you in once, instead of a text message.",
                size="2",
            ),
            rx.el.p(
                "Generate new backup codes? - ",
                rx.button(
                    "Generate",
                    loading=ManageMfaState.running == GENERATE_BACKUP_CODES.key(),
                    on_click=ManageMfaState.generate_backup_codes,
                    id=GENERATE_BACKUP_CODES.key(),  # where the focus returns after re-verifying
                ),
            ),
            rx.cond(
                ManageMfaState.showing_codes,
                rx.vstack(
                    rx.text("Save these codes somewhere safe. Each works once, and they won't be shown again."),
                    # What Print prints, and nothing else: the codes, whose they are, and when.
                    rx.el.div(
                        rx.el.p("Backup codes for ", ManageMfaState.email, class_name="print-only"),
                        rx.el.p("Generated ", ManageMfaState.sheet_date, class_name="print-only"),
                        rx.el.ol(
                            rx.foreach(_CODES, lambda code: rx.el.li(rx.code(code))),
                            id=BACKUP_CODES_ID,
                            aria_label="Backup codes",
                            tab_index=-1,
                        ),
                        id="backup-codes-sheet",
                        width="100%",
                    ),
                    rx.flex(
                        rx.button(
                            "Copy all",
                            variant="soft",
                            on_click=[rx.call_script(_COPY_JS), ManageMfaState.codes_copied],
                        ),
                        rx.button(
                            "Download",
                            variant="soft",
                            on_click=rx.call_script(_DOWNLOAD_JS),
                        ),
                        rx.button("Print", variant="soft", on_click=rx.call_script("window.print()")),
                        rx.button("Done", on_click=ManageMfaState.done),
                        spacing="2",
                        wrap="wrap",
                    ),
                ),
                rx.cond(
                    ManageMfaState.running == GENERATE_BACKUP_CODES.key(),
                    rx.text("Loading..."),
                    rx.text(ManageMfaState.backups_left_text),
                ),
            ),
        ),
    )
