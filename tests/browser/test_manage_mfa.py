"""/account/manage-mfa: every text and button of the reference, the backup-code tools, the
security events, and the confirmations that guard destructive and sensitive actions."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect

from tests.browser.helpers import App, create_account, hand_off, seed_account, settle, shoot, shoot_for_docs

MFA_LIST = "Phone numbers reserved for MFA"
AVAILABLE_LIST = "Phone numbers that are not reserved for MFA"
NO_MFA_PHONES = "There are currently no phone numbers reserved for MFA."
NO_AVAILABLE_PHONES = "There are currently no verified phone numbers available to be reserved for MFA."
GENERATE_OFFER = "Generate new backup codes? -"


def phone_rows(page: Page, list_name: str) -> Locator:
    return page.get_by_role("list", name=list_name).get_by_role("listitem")


def row(page: Page, number: str) -> Locator:
    return page.get_by_role("listitem").filter(has_text=number)


def generate_codes(page: Page) -> list[str]:
    page.get_by_role("button", name="Generate").click()
    codes = page.get_by_role("list", name="Backup codes").get_by_role("listitem")
    expect(codes).to_have_count(10)
    return codes.all_inner_texts()


def test_a_new_account_sees_the_heading_and_both_empty_list_texts(page: Page, app: App):
    seed_account(app, page)
    expect(page.get_by_role("heading", name="User MFA Settings", level=1)).to_be_visible()
    expect(page.get_by_text(NO_MFA_PHONES, exact=True)).to_be_visible()
    expect(page.get_by_text(NO_AVAILABLE_PHONES, exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Add a new phone number")).to_be_visible()
    expect(page.get_by_text(GENERATE_OFFER)).to_have_count(0)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    shoot(page, "manage-empty")


def test_the_default_mfa_phone_comes_first_marked_default_and_without_make_default(page: Page, app: App):
    account = seed_account(app, page, mfa=2, available=1, backup_codes=True)
    default, other = account.mfa_phones
    available = account.available_phones[0]
    expect(page.get_by_role("heading", name=MFA_LIST, level=2)).to_be_visible()
    expect(page.get_by_role("heading", name=AVAILABLE_LIST, level=2)).to_be_visible()

    mfa_rows = phone_rows(page, MFA_LIST)
    expect(mfa_rows).to_have_count(2)
    expect(mfa_rows.nth(0).get_by_text(f"{default.shown} (Default)", exact=True)).to_be_visible()
    expect(mfa_rows.nth(0).get_by_role("button")).to_have_text(["Disable for MFA", "Remove from account"])
    expect(mfa_rows.nth(1).get_by_text(other.shown, exact=True)).to_be_visible()
    expect(mfa_rows.nth(1).get_by_role("button")).to_have_text(
        ["Disable for MFA", "Make default", "Remove from account"]
    )

    available_rows = phone_rows(page, AVAILABLE_LIST)
    expect(available_rows).to_have_count(1)
    expect(available_rows.get_by_text(available.shown, exact=True)).to_be_visible()
    expect(available_rows.get_by_role("button")).to_have_text(["Use for MFA", "Remove from account"])
    expect(page.get_by_text("10 unused backup codes left.")).to_be_visible()
    shoot(page, "manage-two-mfa-phones-one-available")
    shoot_for_docs(page, "manage-mfa")


def test_make_default_moves_the_default_mark_and_puts_the_phone_first(page: Page, app: App):
    account = seed_account(app, page, mfa=2)
    _first, second = account.mfa_phones
    row(page, second.shown).get_by_role("button", name="Make default").click()
    expect(page.get_by_role("status")).to_have_text("Default MFA phone changed.")
    mfa_rows = phone_rows(page, MFA_LIST)
    expect(mfa_rows.nth(0)).to_contain_text(f"{second.shown} (Default)")
    expect(mfa_rows.nth(1)).not_to_contain_text("(Default)")
    expect(mfa_rows.nth(1).get_by_role("button", name="Make default")).to_be_visible()
    expect(mfa_rows.nth(0).get_by_role("button", name="Make default")).to_have_count(0)


def test_the_add_a_new_phone_number_link_opens_add_phone(page: Page, app: App):
    seed_account(app, page)
    page.get_by_role("link", name="Add a new phone number").click()
    expect(page.get_by_role("heading", name="Add phone")).to_be_visible()
    assert page.url.endswith("/account/add-phone")


def test_backup_codes_are_offered_only_once_mfa_is_on(page: Page, app: App):
    account = seed_account(app, page, available=1)
    expect(page.get_by_text(GENERATE_OFFER)).to_have_count(0)
    row(page, account.available_phones[0].shown).get_by_role("button", name="Use for MFA").click()
    dialog = page.get_by_role("dialog", name="Confirm it's you")  # codes are offered at once: a second factor first
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    offer = page.get_by_role("paragraph").filter(has_text=GENERATE_OFFER)
    expect(offer).to_have_text("Generate new backup codes? - Generate")


def test_done_hides_the_backup_codes_and_tells_how_many_are_left(page: Page, app: App):
    seed_account(app, page, mfa=1)
    codes = generate_codes(page)
    expect(page.get_by_text("Save these codes somewhere safe.")).to_be_visible()
    for button in ("Copy all", "Download", "Print", "Done"):
        expect(page.get_by_role("button", name=button)).to_be_visible()
    shoot(page, "manage-backup-codes")
    page.get_by_role("button", name="Done").click()
    expect(page.get_by_role("list", name="Backup codes")).to_have_count(0)
    expect(page.get_by_text(codes[0])).to_have_count(0)
    expect(page.get_by_text("10 unused backup codes left.", exact=True)).to_be_visible()
    shoot(page, "manage-backup-codes-done")


def test_copy_all_puts_the_backup_codes_on_the_clipboard(new_page, app: App):
    page = new_page(permissions=["clipboard-read", "clipboard-write"])
    seed_account(app, page, mfa=1)
    codes = generate_codes(page)
    page.get_by_role("button", name="Copy all").click()
    expect(page.get_by_role("status")).to_have_text("Backup codes copied.")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert [line for line in copied.splitlines() if line in codes] == codes


def test_download_saves_the_backup_codes_as_a_text_file(page: Page, app: App):
    seed_account(app, page, mfa=1)
    codes = generate_codes(page)
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download").click()
    download = download_info.value
    assert download.suggested_filename == "backup-codes.txt"
    with open(download.path(), encoding="utf-8") as saved:
        lines = saved.read().splitlines()
    assert [line for line in lines if line in codes] == codes


def test_print_prints_the_backup_codes_without_the_page_controls(page: Page, app: App):
    page.add_init_script("window.print = () => { window.printed = (window.printed || 0) + 1 }")
    seed_account(app, page, mfa=1)
    generate_codes(page)
    page.get_by_role("button", name="Print").click()
    page.wait_for_function("window.printed === 1")
    page.emulate_media(media="print")
    expect(page.get_by_role("list", name="Backup codes")).to_be_visible()
    expect(page.get_by_role("button", name="Done")).to_be_hidden()
    expect(page.get_by_role("list", name=MFA_LIST)).to_be_hidden()


def test_the_security_events_list_the_accounts_changes(page: Page, app: App):
    account = seed_account(app, page, mfa=2)
    events = page.get_by_role("list", name="Recent security events").get_by_role("listitem")
    masked = "+1 *** *** " + account.mfa_phones[1].e164[-4:]
    for text in ("Account created", f"Phone number {masked} added", f"Phone number {masked} verified"):
        expect(events.filter(has_text=text)).to_have_count(1)
    expect(events.filter(has_text=re.compile(r"Phone number \+1 \*\*\* \*\*\* \d{4} reserved for MFA"))).to_have_count(
        2
    )
    row(page, account.mfa_phones[1].shown).get_by_role("button", name="Make default").click()
    expect(events.first).to_have_text(
        re.compile(r"^\w{3} \d{1,2}, \d{4}, \d{1,2}:\d\d\W[AP]M — Default MFA phone changed")
    )
    shoot(page, "manage-security-events")


def test_cancel_in_the_disable_for_mfa_confirmation_changes_nothing(page: Page, app: App):
    account = seed_account(app, page, mfa=2)
    phone = account.mfa_phones[1]
    row(page, phone.shown).get_by_role("button", name="Disable for MFA").click()
    confirm = page.get_by_role("alertdialog", name=f"Disable {phone.shown} for MFA?")
    expect(confirm).to_contain_text("The phone number stays on your account but will no longer be used for MFA.")
    settle(page)
    shoot(page, "manage-confirm-disable")
    confirm.get_by_role("button", name="Cancel").click()
    expect(confirm).to_be_hidden()
    page.reload()
    expect(phone_rows(page, MFA_LIST).filter(has_text=phone.shown)).to_have_count(1)
    expect(page.get_by_text(NO_AVAILABLE_PHONES, exact=True)).to_be_visible()


def test_disabling_the_last_mfa_phone_warns_that_mfa_and_backup_codes_stop(page: Page, app: App):
    account = seed_account(app, page, mfa=1)
    row(page, account.mfa_phones[0].shown).get_by_role("button", name="Disable for MFA").click()
    confirm = page.get_by_role("alertdialog")
    expect(confirm).to_contain_text(
        "This is your last MFA phone: MFA will be turned off and your backup codes will stop working."
    )
    confirm.get_by_role("button", name="Cancel").click()
    expect(confirm).to_be_hidden()
    expect(phone_rows(page, MFA_LIST)).to_have_count(1)


def test_cancel_in_the_remove_confirmation_changes_nothing(page: Page, app: App):
    account = seed_account(app, page, available=1)
    phone = account.available_phones[0]
    row(page, phone.shown).get_by_role("button", name="Remove from account").click()
    confirm = page.get_by_role("alertdialog", name=f"Remove {phone.shown}?")
    expect(confirm).to_contain_text("The phone number will be removed from your account.")
    settle(page)
    shoot(page, "manage-confirm-remove")
    confirm.get_by_role("button", name="Cancel").click()
    expect(confirm).to_be_hidden()
    page.reload()
    expect(phone_rows(page, AVAILABLE_LIST).filter(has_text=phone.shown)).to_have_count(1)


def test_cancel_in_the_reverification_dialog_changes_nothing(page: Page, app: App):
    account = create_account(app, available=1)
    app.make_sessions_stale(account.email)
    hand_off(page, account)
    phone = account.available_phones[0]
    use = row(page, phone.shown).get_by_role("button", name="Use for MFA")
    use.click()
    dialog = page.get_by_role("dialog", name="Confirm it's you")
    expect(dialog).to_contain_text("Enter your password to continue.")
    expect(dialog.get_by_label("Password")).to_be_visible()
    settle(page)
    shoot(page, "manage-reverify-password")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect(use).to_be_enabled()
    expect(page.get_by_text(NO_MFA_PHONES, exact=True)).to_be_visible()
    page.reload()
    expect(phone_rows(page, AVAILABLE_LIST).filter(has_text=phone.shown)).to_have_count(1)
    expect(page.get_by_text(NO_MFA_PHONES, exact=True)).to_be_visible()
