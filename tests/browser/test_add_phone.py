"""/account/add-phone: the number step (country, preview, refusals) and the code step (tries,
resend countdown, cooldown)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, Page, expect

from mfa_app.store.tables import SmsSendRow
from tests.browser.helpers import CHROMIUM_ARGS, App, Phone, new_phone, seed_account, shoot, shoot_for_docs

RESEND_COUNTING = re.compile(r"^Resend code \((\d+) s\)$")


@pytest.fixture
def british_page(browser: Browser, app: App) -> Iterator[Page]:
    """A page in a Chromium set to British English. The server reads the language from the
    websocket handshake's Accept-Language, which Chromium takes from its own language setting:
    Playwright's `locale` (and extra_http_headers) reach page requests but not that handshake."""
    chromium = browser.browser_type.launch(
        executable_path="/usr/bin/chromium", args=[*CHROMIUM_ARGS, "--lang=en-GB", "--accept-lang=en-GB,en"]
    )
    context = chromium.new_context(base_url=app.url, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    chromium.close()


def submit_number(page: Page, app: App, phone: Phone) -> str:
    """Enter `phone` and continue; the code it was sent."""
    page.get_by_label("Enter phone number").fill(phone.national)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Verify phone")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text(f"We sent a code to {phone.shown}.")
    return app.last_code(phone.e164)


def test_an_invalid_number_shows_the_services_message_and_stays_on_add_phone(page: Page, app: App):
    seed_account(app, page, next_path="/account/add-phone")
    page.get_by_label("Enter phone number").fill("555-12")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("alert")).to_have_text(
        "Enter a valid phone number, with its country code if it is not from your region."
    )
    expect(page.get_by_role("heading", name="Add phone")).to_be_visible()
    expect(page.get_by_label("Enter phone number")).to_have_value("555-12")
    shoot(page, "add-phone-invalid-number")


def test_a_number_that_cannot_receive_texts_is_refused_with_the_reason(page: Page, app: App):
    seed_account(app, page, next_path="/account/add-phone")
    page.get_by_label("Enter phone number").fill("+44 20 7946 0018")  # a London landline
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("alert")).to_have_text("This number can't receive text messages. Enter a mobile number.")
    expect(page.get_by_role("heading", name="Add phone")).to_be_visible()


def test_the_preview_shows_the_number_as_it_will_be_added(page: Page, app: App):
    seed_account(app, page, next_path="/account/add-phone")
    expect(page.get_by_role("heading", name="Add phone")).to_be_visible()
    shoot(page, "add-phone-empty")
    number = page.get_by_label("Enter phone number")
    number.fill("415 555")
    expect(page.get_by_text("Will be added as")).to_have_count(0)
    phone = new_phone()
    number.fill(phone.national)
    expect(page.get_by_text(f"Will be added as {phone.shown}", exact=True)).to_be_visible()
    shoot(page, "add-phone-preview")
    shoot_for_docs(page, "add-phone")


def test_the_country_defaults_from_the_browsers_language(british_page: Page, app: App):
    page = british_page
    seed_account(app, page, next_path="/account/add-phone")
    expect(page.get_by_label("Country")).to_have_value("GB")
    page.get_by_label("Enter phone number").fill("07911 123456")
    expect(page.get_by_text("Will be added as +44 7911 123456", exact=True)).to_be_visible()
    shoot(page, "add-phone-en-gb")


def test_choosing_another_country_reads_the_number_in_that_country(page: Page, app: App):
    seed_account(app, page, next_path="/account/add-phone")
    expect(page.get_by_label("Country")).to_have_value("US")
    page.get_by_label("Enter phone number").fill("07911 123456")
    expect(page.get_by_text("Will be added as")).to_have_count(0)
    page.get_by_label("Country").select_option("GB")
    expect(page.get_by_text("Will be added as +44 7911 123456", exact=True)).to_be_visible()


def test_the_number_field_lets_the_browser_fill_in_a_telephone_number(page: Page, app: App):
    seed_account(app, page, next_path="/account/add-phone")
    number = page.get_by_label("Enter phone number")
    expect(number).to_have_attribute("autocomplete", "tel")
    expect(number).to_have_attribute("type", "tel")


def test_the_code_field_takes_a_one_time_code_on_a_numeric_keypad(page: Page, app: App):
    seed_account(app, page, next_path="/account/add-phone")
    submit_number(page, app, new_phone())
    code = page.get_by_label("Enter code")
    expect(code).to_have_attribute("autocomplete", "one-time-code")
    expect(code).to_have_attribute("inputmode", "numeric")
    expect(code).to_be_focused()
    shoot(page, "add-phone-verify")


def test_the_code_is_counted_against_the_clients_address(page: Page, app: App):
    # The per-client cap on codes to new numbers (MFA_SMS_NEW_NUMBERS_PER_CLIENT_PER_HOUR).
    seed_account(app, page, next_path="/account/add-phone")
    phone = new_phone()
    submit_number(page, app, phone)
    engine = app.engine()
    try:
        with engine.connect() as db:
            query = sa.select(SmsSendRow.client_ip).where(SmsSendRow.phone_number == phone.e164)
            assert db.execute(query).scalars().all() == ["127.0.0.1"]
    finally:
        engine.dispose()


def test_a_code_entered_wrong_five_times_is_refused_even_when_right(page: Page, app: App):
    seed_account(app, page, next_path="/account/add-phone")
    right = submit_number(page, app, new_phone())
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    code, verify = page.get_by_label("Enter code"), page.get_by_role("button", name="Verify")
    alert = page.get_by_role("alert")
    for left in ("4 tries", "3 tries", "2 tries", "1 try"):
        code.fill(wrong)
        verify.click()
        expect(alert).to_have_text(f"That code is incorrect. {left} left.")
    code.fill(wrong)
    verify.click()
    expect(alert).to_have_text("That code is incorrect. Request a new one.")
    code.fill(right)
    verify.click()
    expect(alert).to_have_text("Too many incorrect tries for this code. Request a new one.")
    expect(page.get_by_role("heading", name="Verify phone")).to_be_visible()
    shoot(page, "add-phone-too-many-tries")


def test_resend_code_counts_down_the_cooldown_while_disabled(page: Page, app: App):
    seed_account(app, page, next_path="/account/add-phone")
    submit_number(page, app, new_phone())
    resend = page.get_by_role("button", name=RESEND_COUNTING)
    expect(resend).to_be_disabled()
    first = int(RESEND_COUNTING.match(resend.inner_text()).group(1))
    assert 25 <= first <= 30
    expect(resend).to_have_text(re.compile(rf"^Resend code \(({first - 1}|{first - 2}|{first - 3}) s\)$"))
    expect(resend).to_be_disabled()
    shoot(page, "add-phone-resend-countdown")


def test_the_countdown_runs_in_the_page_without_an_update_a_second(page: Page, app: App):
    """The server sends the wait once; the page counts it down by itself (before, a background
    event sent a state update every second for 30 s after each code)."""
    frames: list[str] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda frame: frames.append(str(frame))))
    seed_account(app, page, next_path="/account/add-phone")
    submit_number(page, app, new_phone())
    resend = page.get_by_role("button", name=RESEND_COUNTING)
    first = int(RESEND_COUNTING.match(resend.inner_text()).group(1))
    seen = len(frames)
    expect(resend).to_have_text(re.compile(rf"^Resend code \(({first - 2}|{first - 3}|{first - 4}) s\)$"))
    expect(resend).to_be_disabled()
    assert [f for f in frames[seen:] if "resend" in f] == []


def test_the_resend_button_waits_for_the_pages_clock_and_the_server_still_refuses_early(page: Page, app: App):
    """The page's clock runs the countdown: 30 s later by that clock the button is ready, and a
    resend clicked while the server's cooldown still runs sends nothing: the service refuses
    it, and the button counts the server's wait down again."""
    page.clock.install()
    account = seed_account(app, page, next_path="/account/add-phone")
    phone = new_phone()
    submit_number(page, app, phone)
    resend = page.get_by_role("button", name=RESEND_COUNTING)
    expect(resend).to_be_disabled()
    page.clock.fast_forward("00:10")
    expect(resend).to_have_text(re.compile(r"^Resend code \((1\d|20) s\)$"))
    expect(resend).to_be_disabled()
    page.clock.fast_forward("00:21")
    ready = page.get_by_role("button", name="Resend code", exact=True)
    expect(ready).to_be_enabled()
    sent_before = len([m for m in app.messages() if m["to"] == phone.e164])
    ready.click()  # by the server's clock the code is a few seconds old
    expect(page.get_by_role("button", name=re.compile(r"^Resend code \(2\d s\)$"))).to_be_disabled()
    expect(page.get_by_role("alert")).to_have_count(0)
    assert len([m for m in app.messages() if m["to"] == phone.e164]) == sent_before

    app.age_codes(account.email)  # the server's cooldown is over too
    page.clock.fast_forward("00:31")
    ready.click()
    expect(page.get_by_role("button", name=RESEND_COUNTING)).to_be_disabled()  # a new code, a new wait
    assert len([m for m in app.messages() if m["to"] == phone.e164]) == sent_before + 1


def test_a_reload_mid_countdown_goes_on_with_the_time_left(page: Page, app: App):
    """Verify on the manage page's unverified phone (?phone=) asks for a code again; reloaded
    during the wait, the page shows what is left of it, not a new 30 s."""
    seed_account(app, page, next_path="/account/add-phone")
    phone = new_phone()
    submit_number(page, app, phone)
    resend = page.get_by_role("button", name=RESEND_COUNTING)
    first = int(RESEND_COUNTING.match(resend.inner_text()).group(1))
    page.goto("/account/manage-mfa")
    page.get_by_role("link", name=f"Verify {phone.shown}").click()
    expect(page.get_by_role("heading", name="Verify phone")).to_be_visible()
    expect(resend).to_be_disabled()
    assert int(RESEND_COUNTING.match(resend.inner_text()).group(1)) <= first  # the first code's wait
    page.wait_for_timeout(2_000)
    shown = int(RESEND_COUNTING.match(resend.inner_text()).group(1))
    page.reload()
    expect(page.get_by_role("heading", name="Verify phone")).to_be_visible()
    expect(resend).to_be_disabled()
    after = int(RESEND_COUNTING.match(resend.inner_text()).group(1))
    assert shown - 3 <= after <= shown, (shown, after)


def test_a_resend_inside_the_cooldown_is_refused_and_allowed_once_it_is_over(page: Page, app: App):
    """Two tabs on the same verification: the second asks for a code while the first one's is
    fresh. The service refuses; the page says the code was sent and the button counts the wait
    down, then sends a new code."""
    account = seed_account(app, page, next_path="/account/add-phone")
    phone = new_phone()
    submit_number(page, app, phone)
    app.age_codes(account.email, seconds=26)  # the first tab's code is 26 s old: ~4 s of cooldown left
    sent_before = len([m for m in app.messages() if m["to"] == phone.e164])

    second_tab = page.context.new_page()
    second_tab.goto("/account/add-phone")
    second_tab.get_by_label("Enter phone number").fill(phone.national)
    second_tab.get_by_role("button", name="Continue").click()
    # The first tab's code still works: no refusal, only the countdown says how long to wait.
    expect(second_tab.get_by_role("status")).to_have_text(f"We sent a code to {phone.shown}.")
    expect(second_tab.get_by_role("button", name=re.compile(r"^Resend code \([1-5] s\)$"))).to_be_disabled()
    expect(second_tab.get_by_role("alert")).to_have_count(0)
    shoot(second_tab, "add-phone-resend-refused")

    resend = second_tab.get_by_role("button", name="Resend code", exact=True)
    expect(resend).to_be_enabled(timeout=10_000)
    resend.click()
    expect(second_tab.get_by_role("button", name=RESEND_COUNTING)).to_be_disabled()  # a new code, a new wait
    expect(second_tab.get_by_role("status")).to_have_text(f"We sent a code to {phone.shown}.")
    expect(second_tab.get_by_role("alert")).to_have_count(0)
    assert len([m for m in app.messages() if m["to"] == phone.e164]) == sent_before + 1
    second_tab.get_by_label("Enter code").fill(app.last_code(phone.e164))
    second_tab.get_by_role("button", name="Verify").click()
    expect(second_tab.get_by_role("heading", name="Phone added")).to_be_visible()
    shoot(second_tab, "add-phone-added")
