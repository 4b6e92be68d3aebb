"""Twilio's Programmable Messaging REST API: POST {TWILIO_API_BASE}/2010-04-01/Accounts/{sid}/
Messages.json with HTTP basic auth (account SID, auth token) and the form fields To, From or
MessagingServiceSid, and Body.

A 2xx answer means Twilio accepted the message (201 Created, status "queued"), even when its
body can't be parsed: the message is then on its way, and failing would make the user ask for
a second one. Refusals come as Twilio's error JSON `{"code", "message", "more_info", "status"}`;
the code decides what the user is told. Twilio's own text is never shown (it can hold the
number or account details), and the auth token never goes into a log, an error or a repr."""

from __future__ import annotations

import logging

import httpx

from mfa_app.settings import Settings
from mfa_app.sms import retry
from mfa_app.sms.base import SmsMessage, SmsSendError

log = logging.getLogger("mfa_app.sms")

_INVALID_NUMBER = (
    "form_param_format_invalid",
    "This phone number can't receive text messages. Check it, and enter it with its country code.",
)
_NOT_MOBILE = ("form_param_format_invalid", "This number can't receive text messages. Enter a mobile number.")
_REGION_REFUSED = (
    "unsupported_country_code",
    "Text messages can't be sent to this number's country or network. Use a number from a supported country.",
)
_OPTED_OUT = (
    "sms_send_error",
    "This number has blocked our text messages (it replied STOP). Text START to the number our messages "
    "come from to allow them again, or use a different number.",
)

# Twilio error code -> (service error code, what the user is told). Any other refusal: retry.REFUSED.
ERRORS: dict[int, tuple[str, str]] = {
    21211: _INVALID_NUMBER,  # invalid 'To' phone number
    21614: _NOT_MOBILE,  # 'To' is not a valid mobile number
    21408: _REGION_REFUSED,  # permission to send to the region not enabled (Geo Permissions)
    21612: _REGION_REFUSED,  # To/From combination not routable (sender or carrier restrictions)
    21215: _REGION_REFUSED,  # geo permission configuration does not permit the destination
    21610: _OPTED_OUT,  # the recipient replied STOP to this sender
}


class TwilioSender(retry.HttpSender):
    provider = "twilio"

    def __init__(self, settings: Settings, client: httpx.Client | None = None) -> None:
        super().__init__(settings, client)
        self._url = (
            f"{settings.twilio_api_base.rstrip('/')}/2010-04-01/Accounts/{settings.twilio_account_sid}/Messages.json"
        )
        self._auth = httpx.BasicAuth(settings.twilio_account_sid, settings.twilio_auth_token)
        if settings.twilio_messaging_service_sid:
            self._sender = {"MessagingServiceSid": settings.twilio_messaging_service_sid}
        else:
            self._sender = {"From": settings.twilio_from_number}

    def send(self, message: SmsMessage) -> None:
        response = self._post(self._url, auth=self._auth, data={"To": message.to, **self._sender, "Body": message.body})
        if response.is_success:
            return
        code = _error_code(response)
        # 401/403: the operator's credentials or account, not the user's number.
        level = logging.ERROR if response.status_code in (401, 403) else logging.WARNING
        log.log(level, "twilio refused a %s message: HTTP %d, error %s", message.purpose, response.status_code, code)
        if code in ERRORS:
            error_code, text = ERRORS[code]
            raise SmsSendError(text, code=error_code)
        raise retry.refused(response)


def _error_code(response: httpx.Response) -> int | None:
    try:
        code = response.json().get("code")
    except (ValueError, AttributeError):
        return None
    return code if isinstance(code, int) else None
