"""Adding a phone in the browser with MFA_SMS_PROVIDER=twilio, against a loopback server that
speaks Twilio's Messages API."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from playwright.sync_api import Page, expect

from mfa_app.state import service
from tests.browser.helpers import App, sign_up
from tests.sms.helpers import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, FakeTwilio


@pytest.fixture
def twilio(app: App) -> Iterator[FakeTwilio]:
    """Switch the running app to the Twilio provider (through the mount's settings), then back."""
    server = FakeTwilio()
    before = service.current()
    settings = before.settings.model_copy(
        update={
            "sms_provider": "twilio",
            "twilio_account_sid": ACCOUNT_SID,
            "twilio_auth_token": AUTH_TOKEN,
            "twilio_from_number": FROM_NUMBER,
            "twilio_api_base": server.base_url,
        }
    )
    service.configure(replace(before, settings=settings))
    yield server
    service.configure(before)
    server.close()


def test_adding_a_phone_with_twilio(page: Page, app: App, twilio: FakeTwilio):
    sign_up(page)
    outbox_before = len(app.messages())
    page.goto("/account/add-phone")
    page.get_by_label("Enter phone number").fill("(415) 555-2671")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("We sent a code to")).to_be_visible()
    assert [m["to"] for m in twilio.delivered] == ["+14155552671"]
    assert len(app.messages()) == outbox_before
    page.get_by_label("Enter code").fill(twilio.last_code("+14155552671"))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", name="Phone added")).to_be_visible()


def test_a_twilio_refusal_is_said_in_words_and_the_user_can_retry(page: Page, app: App, twilio: FakeTwilio):
    sign_up(page)
    twilio.fail("500")
    page.goto("/account/add-phone")
    page.get_by_label("Enter phone number").fill("(415) 555-2672")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("alert")).to_contain_text("may not have been sent")
    page.get_by_role("button", name="Resend code").click()
    expect(page.get_by_text("We sent a code to")).to_be_visible()
    page.get_by_label("Enter code").fill(twilio.last_code("+14155552672"))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", name="Phone added")).to_be_visible()
