"""Changes made in Clerk itself (its dashboard, its <UserProfile/>) reaching mfa_app: Clerk's
`user.updated` webhook, signed as Svix signs it (mfa_app/clerk/webhooks.py), has the user read
again and mfa_app follow what Clerk has now (mfa_app/accounts/follow.py); the changes here are
made through the fake Backend API, as Clerk's own UI would make them."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator

import httpx
import pytest
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.testclient import TestClient

from mfa_app import accounts
from mfa_app.accounts.wording import event_sentence
from mfa_app.clerk import ClerkIdentity, ClerkSettings
from mfa_app.clerk.webhooks import InvalidWebhook, verified_event
from mfa_app.identity import MirrorRoutes
from tests.clerk.helpers import PHONE, SECRET_KEY, SIGNING_SECRET, Clerked, signed, user_updated
from tests.helpers import Outbox
from tests.loopback_http import CountingClient

OTHER = "+14155550177"


@pytest.fixture
def webhook(ada: Clerked, clerk_settings: ClerkSettings, http: CountingClient) -> Iterator[TestClient]:
    """The endpoint as mounted (mounting.py adds the identity's routes next to the host's)."""
    settings = clerk_settings.model_copy(update={"webhook_signing_secret": SecretStr(SIGNING_SECRET)})
    identity = ClerkIdentity(settings, client=http)
    assert isinstance(identity, MirrorRoutes)
    routes = identity.http_routes(lambda user_id, at: accounts.follow_mirror(ada.ctx, user_id, at))
    with TestClient(Starlette(routes=routes)) as client:
        yield client


def at_clerk(ada: Clerked, method: str, path: str, **body) -> None:
    """A change made in Clerk's own UI (the fake Backend API does it)."""
    response = httpx.request(
        method, f"{ada.clerk.api_url}{path}", json=body or None, headers={"Authorization": f"Bearer {SECRET_KEY}"}
    )
    assert response.is_success, response.text


def tell(webhook: TestClient, body: bytes | None = None, **headers: str) -> int:
    body = body if body is not None else user_updated()
    return webhook.post("/clerk/webhook", content=body, headers={**signed(body), **headers}).status_code


def sentences(ada: Clerked) -> list[str]:
    return [event_sentence(e) for e in accounts.security_events(ada.ctx, ada.token, 5)]


def test_mfa_disabled_in_clerks_dashboard_turns_it_off_here(ada: Clerked, codes: list[str], webhook) -> None:
    at_clerk(ada, "DELETE", "/users/user_ada/mfa")
    assert tell(webhook) == 204
    assert accounts.get_user(ada.ctx, ada.token).two_factor_enabled is False
    assert accounts.count_backup_codes(ada.ctx, ada.token) == 0
    assert [p.phone_number for p in accounts.list_phones(ada.ctx, ada.token)] == [PHONE]  # still on the account
    assert sentences(ada)[:2] == [
        "MFA turned off",
        "Phone number +1 *** *** 0142 no longer used for MFA in your account's sign-in service",
    ]
    assert ada.calls()[-1] == ("GET", "/v1/users/user_ada")  # read again, nothing pushed back


def test_a_phone_deleted_or_reserved_in_clerk_is_followed(ada: Clerked, codes: list[str], webhook, outbox) -> None:
    ada.step_up_by_sms(outbox)
    other = ada.add_phone(outbox, OTHER)
    at_clerk(ada, "PATCH", f"/phone_numbers/{ada.at_clerk(OTHER)['id']}", reserved_for_second_factor=True)
    assert tell(webhook) == 204
    mfa = {p.phone_number: p.default_second_factor for p in accounts.list_phones(ada.ctx, ada.token)}
    assert mfa == {PHONE: True, OTHER: False}  # reserved here too, the default where it was
    assert ada.mfa_app_phone(OTHER).reserved_for_second_factor is True

    at_clerk(ada, "DELETE", f"/phone_numbers/{ada.at_clerk(PHONE)['id']}")  # the default, deleted in Clerk
    assert tell(webhook) == 204
    (left,) = accounts.list_phones(ada.ctx, ada.token)
    assert (left.id, left.reserved_for_second_factor, left.default_second_factor) == (other, True, True)
    assert accounts.count_backup_codes(ada.ctx, ada.token) == 10  # MFA still on: the codes stay
    assert sentences(ada)[0] == "Phone number +1 *** *** 0142 removed in your account's sign-in service"


def test_a_message_not_signed_for_this_endpoint_changes_nothing(ada: Clerked, codes: list[str], webhook) -> None:
    at_clerk(ada, "DELETE", "/users/user_ada/mfa")
    body = user_updated()
    assert webhook.post("/clerk/webhook", content=body).status_code == 400  # no signature
    forged = signed(body, secret="whsec_" + base64.b64encode(b"someone else's secret").decode())
    assert webhook.post("/clerk/webhook", content=body, headers=forged).status_code == 400
    replayed = signed(body, at=time.time() - 600)  # a genuine message, ten minutes old
    assert webhook.post("/clerk/webhook", content=body, headers=replayed).status_code == 400
    tampered = signed(body)
    assert webhook.post("/clerk/webhook", content=user_updated("user_bob"), headers=tampered).status_code == 400
    assert accounts.get_user(ada.ctx, ada.token).two_factor_enabled is True
    assert [c for c in ada.calls() if c[0] == "GET"] == []  # Clerk not even asked


def test_clerk_not_answering_has_the_message_sent_again(ada: Clerked, codes: list[str], webhook) -> None:
    at_clerk(ada, "DELETE", "/users/user_ada/mfa")
    ada.clerk.fail("503", "503", "503")
    assert tell(webhook) == 503  # Svix retries later
    assert accounts.get_user(ada.ctx, ada.token).two_factor_enabled is True
    assert tell(webhook) == 204
    assert accounts.get_user(ada.ctx, ada.token).two_factor_enabled is False


def test_other_events_and_unknown_users_change_nothing(ada: Clerked, codes: list[str], webhook) -> None:
    ada.clerk.add_user("user_zed", "zed@example.com")  # never used mfa_app
    assert tell(webhook, user_updated("user_zed")) == 204
    session_event = json.dumps({"type": "session.created", "data": {"id": "sess_9"}}).encode()
    assert tell(webhook, session_event) == 204
    assert accounts.get_user(ada.ctx, ada.token).two_factor_enabled is True
    assert ada.calls() == [("GET", "/v1/users/user_zed")]


def test_without_a_signing_secret_there_is_no_endpoint(identity: ClerkIdentity) -> None:
    assert identity.http_routes(lambda user_id, at: 0) == []


def test_numbers_only_clerk_has_and_unverified_phones_are_left_alone(ada: Clerked, codes, outbox: Outbox) -> None:
    ada.step_up_by_sms(outbox)
    pending = accounts.create_phone(ada.ctx, ada.token, OTHER)  # not verified: Clerk never has it
    assert accounts.follow_mirror(ada.ctx, "user_ada", {PHONE: True, "+14155550199": True}) == 0
    assert {p.id for p in accounts.list_phones(ada.ctx, ada.token)} >= {pending.id}
    assert accounts.follow_mirror(ada.ctx, "user_nobody", {}) == 0


@pytest.mark.parametrize(
    ("headers", "why"),
    [
        ({"svix-id": "msg_1", "svix-timestamp": "soon", "svix-signature": "v1,AAAA"}, "malformed"),
        ({"svix-id": "msg_1", "svix-timestamp": "0", "svix-signature": "v1,AAAA"}, "five minutes"),
    ],
)
def test_malformed_signature_headers_are_refused(headers: dict[str, str], why: str) -> None:
    with pytest.raises(InvalidWebhook, match=why):
        verified_event(SIGNING_SECRET, headers, b"{}", time.time())


def test_one_of_several_signatures_is_enough() -> None:
    body = user_updated()
    headers = signed(body)
    headers["svix-signature"] = "v1,bm90IGl0 " + headers["svix-signature"]  # during a secret's rotation
    assert verified_event(SIGNING_SECRET, headers, body, time.time())["type"] == "user.updated"
