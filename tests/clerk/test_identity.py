"""ClerkIdentity against the fake Backend API, with tokens signed by a test key: who is signed in
from the `__session` cookie (and who is not), the session key, the email and its cache, the
password check, and a websocket that stays open longer than its token."""

from __future__ import annotations

import time
from dataclasses import replace

import jwt
import pytest

from mfa_app import accounts
from mfa_app.accounts import HostUser
from mfa_app.clerk import ClerkIdentity, ClerkSettings
from mfa_app.clerk import identity as clerk_identity
from mfa_app.clerk.session_token import load_public_key
from mfa_app.identity import Identity, PasswordCheck, Request
from mfa_app.settings import Settings
from mfa_app.state import connections, service
from tests.clerk.helpers import ORIGIN, PASSWORD, FakeClerk, Keys, session_cookie
from tests.loopback_http import CountingClient


def request(token: str, connected_at: float | None = None) -> Request:
    return Request(cookies=session_cookie(token), connected_at=connected_at)


def test_implements_the_identity_protocol_with_a_password_check(identity: ClerkIdentity) -> None:
    assert isinstance(identity, Identity)
    assert isinstance(identity, PasswordCheck)


def test_a_valid_token_names_the_user_their_session_and_primary_email(
    identity: ClerkIdentity, keys: Keys, clerk: FakeClerk
) -> None:
    who = identity.signed_in(request(keys.token()))
    assert who == HostUser(user_id="user_ada", session_key="sess_1", email="ada@example.com")
    assert clerk.requests == [("GET", "/v1/users/user_ada")]


def test_the_session_key_is_the_sid_the_same_across_renewals_new_at_each_sign_in(
    identity: ClerkIdentity, keys: Keys
) -> None:
    first = keys.token()
    renewed = keys.token(iat=int(time.time()) + 1, exp=int(time.time()) + 61)  # ClerkJS's next token
    assert first != renewed
    keys_seen = {identity.signed_in(request(token)).session_key for token in (first, renewed)}  # type: ignore[union-attr]
    assert keys_seen == {"sess_1"}
    again = identity.signed_in(request(keys.token(session_id="sess_2")))
    assert again is not None and again.session_key == "sess_2"


def test_a_renewed_token_stays_the_same_mfa_app_sign_in(identity: ClerkIdentity, keys: Keys, ctx) -> None:
    who = identity.signed_in(request(keys.token()))
    assert who is not None
    token = accounts.adopt_host_sign_in(ctx, who)
    accounts.reverify(replace(ctx, check_password=identity.check_password), token, "password", PASSWORD)
    renewed = identity.signed_in(request(keys.token(iat=int(time.time()) + 1)))
    assert renewed is not None
    # Still the sign-in that just confirmed the password: adding a phone needs no new step-up.
    phone = accounts.create_phone(ctx, accounts.adopt_host_sign_in(ctx, renewed), "+14155552671")
    assert phone.phone_number == "+14155552671"


def test_no_cookie_or_an_empty_one_is_signed_out_without_asking_clerk(
    identity: ClerkIdentity, clerk: FakeClerk, http: CountingClient
) -> None:
    assert identity.signed_in(Request()) is None
    assert identity.signed_in(Request(cookies={"__session": ""})) is None
    assert identity.signed_in(Request(cookies={"__client_uat": "0", "other": "x"})) is None
    assert http.attempts == 0


# A publishable key and the cookie ClerkJS names after it: the suffix computed by @clerk/shared's
# getCookieSuffix (SHA-1, base64, "+/" made "-_", 8 characters), run in a JavaScript engine.
PUBLISHABLE_KEY, SUFFIXED_COOKIE = "pk_test_Y2xlcmsuZXhhbXBsZS5jb20k", "__session_l2OS3d9k"


def test_the_suffixed_cookie_of_the_instance_counts_before_the_plain_one(
    clerk_settings: ClerkSettings, http: CountingClient, keys: Keys
) -> None:
    identity = ClerkIdentity(clerk_settings.model_copy(update={"publishable_key": PUBLISHABLE_KEY}), client=http)
    ours = identity.signed_in(Request(cookies={SUFFIXED_COOKIE: keys.token()}))
    assert ours is not None and ours.session_key == "sess_1"
    # Another Clerk app on the same domain owns the plain `__session`: this instance's own wins.
    other_app = keys.token(session_id="sess_other_app", signer=keys.other)
    both = identity.signed_in(Request(cookies={"__session": other_app, SUFFIXED_COOKIE: keys.token()}))
    assert both is not None and both.session_key == "sess_1"
    # Only the plain one (an older ClerkJS): it still counts.
    plain = identity.signed_in(Request(cookies={"__session": keys.token(session_id="sess_2")}))
    assert plain is not None and plain.session_key == "sess_2"


def test_without_a_publishable_key_only_the_plain_cookie_is_read(identity: ClerkIdentity, keys: Keys) -> None:
    assert identity.signed_in(Request(cookies={SUFFIXED_COOKIE: keys.token()})) is None
    assert identity.signed_in(Request(cookies={"__session": keys.token()})) is not None


@pytest.mark.parametrize(
    "claims",
    [
        # Times as seconds from now, made when the test runs (not when pytest collects it).
        pytest.param({"exp": -10}, id="expired"),
        pytest.param({"nbf": 60}, id="not-yet-valid"),
        pytest.param({"iat": 60}, id="issued-in-the-future"),
        pytest.param({"azp": "https://evil.example"}, id="wrong-azp"),
        pytest.param({"azp": "https://app.example.com.evil.example"}, id="azp-prefix"),
        pytest.param({"azp": None}, id="no-azp"),
        pytest.param({"sid": None}, id="no-sid"),
        pytest.param({"sub": None}, id="no-sub"),
        pytest.param({"exp": None}, id="no-exp"),
        pytest.param({"sts": "pending"}, id="pending-session"),
    ],
)
def test_a_token_that_is_not_valid_now_is_signed_out(
    identity: ClerkIdentity, keys: Keys, http: CountingClient, claims: dict
) -> None:
    now = int(time.time())
    claims = {k: now + v if k in ("exp", "nbf", "iat") and v is not None else v for k, v in claims.items()}
    assert identity.signed_in(request(keys.token(**claims))) is None
    assert http.attempts == 0  # refused before any call to Clerk


def test_the_clock_skew_leeway_accepts_a_token_just_expired(identity: ClerkIdentity, keys: Keys) -> None:
    assert identity.signed_in(request(keys.token(exp=int(time.time()) - 3))) is not None  # leeway 5 s
    assert identity.signed_in(request(keys.token(nbf=int(time.time()) + 3))) is not None


def test_a_token_signed_by_another_key_is_signed_out(identity: ClerkIdentity, keys: Keys) -> None:
    assert identity.signed_in(request(keys.token(signer=keys.other))) is None


def test_a_token_that_names_another_algorithm_is_signed_out(identity: ClerkIdentity, keys: Keys) -> None:
    valid = jwt.decode(keys.token(), options={"verify_signature": False})
    unsigned = jwt.encode(valid, None, algorithm="none")
    assert identity.signed_in(request(unsigned)) is None
    tampered = keys.token().rsplit(".", 1)[0] + ".c2lnbmF0dXJl"
    assert identity.signed_in(request(tampered)) is None
    assert identity.signed_in(request("not a token")) is None


def test_the_authorized_parties_default_to_mfa_apps_origins(
    clerk_settings: ClerkSettings, http: CountingClient, keys: Keys, settings: Settings, monkeypatch
) -> None:
    host = settings.model_copy(update={"allowed_origins": "https://shop.example, https://www.shop.example:8443"})
    monkeypatch.setattr(service, "current", lambda: service.Setup(settings=host))
    identity = ClerkIdentity(clerk_settings.model_copy(update={"authorized_parties": ""}), client=http)
    assert identity.signed_in(request(keys.token(azp="https://www.shop.example:8443"))) is not None
    assert identity.signed_in(request(keys.token(azp="https://shop.example"))) is not None
    assert identity.signed_in(request(keys.token(azp=ORIGIN))) is None


def test_the_email_is_asked_once_a_minute_per_user(
    clerk_settings: ClerkSettings, http: CountingClient, keys: Keys, clerk: FakeClerk, monkeypatch
) -> None:
    monkeypatch.setattr(clerk_identity, "EMAIL_TTL_S", 1.0)
    identity = ClerkIdentity(clerk_settings, client=http)
    clerk.add_user("user_bob", "bob@example.com")
    for _ in range(3):
        assert identity.signed_in(request(keys.token())).email == "ada@example.com"  # type: ignore[union-attr]
    assert identity.signed_in(request(keys.token("user_bob", "sess_b"))).email == "bob@example.com"  # type: ignore[union-attr]
    assert clerk.requests == [("GET", "/v1/users/user_ada"), ("GET", "/v1/users/user_bob")]

    clerk.add_user("user_ada", "ada@new.example")  # changed in Clerk's dashboard
    assert identity.signed_in(request(keys.token())).email == "ada@example.com"  # type: ignore[union-attr]
    time.sleep(1.1)
    assert identity.signed_in(request(keys.token())).email == "ada@new.example"  # type: ignore[union-attr]
    assert len(clerk.requests) == 3


def test_a_user_deleted_in_clerk_is_signed_out_and_asked_about_again(
    identity: ClerkIdentity, keys: Keys, clerk: FakeClerk
) -> None:
    del clerk.users["user_ada"]
    assert identity.signed_in(request(keys.token())) is None
    assert identity.signed_in(request(keys.token())) is None
    assert clerk.requests == [("GET", "/v1/users/user_ada")] * 2


def test_a_user_without_a_primary_email_cannot_use_mfa_app(
    identity: ClerkIdentity, keys: Keys, clerk: FakeClerk, ctx
) -> None:
    clerk.add_user("user_phone_only", "unverified@example.com", primary=None)
    who = identity.signed_in(request(keys.token("user_phone_only", "sess_p")))
    assert who is not None and who.email == ""
    with pytest.raises(accounts.AccountError) as refused:
        accounts.adopt_host_sign_in(ctx, who)
    assert refused.value.code == "host_identity_invalid"


def test_check_password_asks_clerk(identity: ClerkIdentity, clerk: FakeClerk) -> None:
    assert identity.check_password("user_ada", PASSWORD) is True
    assert identity.check_password("user_ada", "wrong") is False
    assert identity.check_password("user_nobody", PASSWORD) is False
    assert clerk.requests == [
        ("POST", "/v1/users/user_ada/verify_password"),
        ("POST", "/v1/users/user_ada/verify_password"),
        ("POST", "/v1/users/user_nobody/verify_password"),
    ]
    assert clerk.bodies == [{"password": PASSWORD}, {"password": "wrong"}, {"password": PASSWORD}]


def test_a_user_id_cannot_reach_another_endpoint(identity: ClerkIdentity, clerk: FakeClerk) -> None:
    assert identity.check_password("user_ada/../user_bob", PASSWORD) is False
    assert clerk.requests == [("POST", "/v1/users/user_ada%2F..%2Fuser_bob/verify_password")]


def test_step_up_by_password_goes_through_clerk(identity: ClerkIdentity, keys: Keys, clerk: FakeClerk, ctx) -> None:
    hosted = replace(ctx, check_password=identity.check_password)
    who = identity.signed_in(request(keys.token()))
    assert who is not None
    token = accounts.adopt_host_sign_in(hosted, who)  # first seen: nothing verified recently
    with pytest.raises(accounts.AccountError) as wrong:
        accounts.reverify(hosted, token, "password", "guess")
    assert wrong.value.code == "form_password_incorrect"
    clerk.fail("503", "503", "503")
    with pytest.raises(accounts.AccountError) as unavailable:
        accounts.reverify(hosted, token, "password", PASSWORD)
    assert unavailable.value.code == "clerk_unavailable"
    accounts.reverify(hosted, token, "password", PASSWORD)
    assert accounts.create_phone(hosted, token, "+14155552671").phone_number == "+14155552671"
    assert clerk.password_checks == 2  # the 503s did no check


def test_a_socket_older_than_its_token_counts_while_clerk_says_the_session_is_active(
    clerk_settings: ClerkSettings, http: CountingClient, keys: Keys, clerk: FakeClerk, monkeypatch
) -> None:
    monkeypatch.setattr(clerk_identity, "SESSION_RECHECK_S", 1.0)
    identity = ClerkIdentity(clerk_settings, client=http)
    connected = time.time() - 120
    old = keys.token(iat=int(connected), nbf=int(connected) - 5, exp=int(connected) + 60)

    assert identity.signed_in(request(old)) is None  # presented now (an HTTP request): expired
    assert identity.signed_in(request(old, connected_at=time.time())) is None  # a socket opened now
    assert clerk.requests == []

    for _ in range(3):
        who = identity.signed_in(request(old, connected_at=connected))
        assert who is not None and who.session_key == "sess_1"
    assert clerk.requests.count(("GET", "/v1/sessions/sess_1")) == 1

    clerk.add_session("sess_1", "user_ada", status="revoked")  # signed out elsewhere
    assert identity.signed_in(request(old, connected_at=connected)) is not None  # within the recheck
    time.sleep(1.1)
    assert identity.signed_in(request(old, connected_at=connected)) is None
    assert clerk.requests.count(("GET", "/v1/sessions/sess_1")) == 2


def test_a_socket_older_than_its_token_needs_that_users_session(
    identity: ClerkIdentity, keys: Keys, clerk: FakeClerk
) -> None:
    connected = time.time() - 120
    clerk.add_session("sess_other", "user_bob")
    old = keys.token(session_id="sess_other", iat=int(connected), nbf=int(connected), exp=int(connected) + 60)
    assert identity.signed_in(request(old, connected_at=connected)) is None
    gone = keys.token(session_id="sess_gone", iat=int(connected), nbf=int(connected), exp=int(connected) + 60)
    assert identity.signed_in(request(gone, connected_at=connected)) is None


def test_a_websockets_handshake_time_reaches_the_identity() -> None:
    before = time.time()
    connections.keep_cookie("clerk-sid", "__session=abc")
    try:
        at = connections.connected_at("clerk-sid")
        assert at is not None and before <= at <= time.time()
    finally:
        connections.forget("clerk-sid")
    assert connections.connected_at("clerk-sid") is None


@pytest.mark.parametrize("layout", ["as-shown", "one-line", "escaped-newlines"])
def test_the_jwt_key_is_read_as_clerk_shows_it_or_from_one_line(keys: Keys, layout: str) -> None:
    pem = {
        "as-shown": keys.public_pem,
        "one-line": keys.public_pem.replace("\n", ""),
        "escaped-newlines": keys.public_pem.replace("\n", "\\n"),
    }[layout]
    assert load_public_key(pem).public_numbers() == keys.private.public_key().public_numbers()


def test_a_jwt_key_that_is_not_one_is_refused_at_start(clerk_settings: ClerkSettings) -> None:
    for bad in ("", "sk_test_oops", "-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----"):
        with pytest.raises(ValueError, match="CLERK_JWT_KEY"):
            ClerkIdentity(clerk_settings.model_copy(update={"jwt_key": bad}))


def test_the_settings_are_clerks_usual_environment_variables(keys: Keys, monkeypatch) -> None:
    monkeypatch.setenv("CLERK_SECRET_KEY", "sk_test_from_env")
    monkeypatch.setenv("CLERK_JWT_KEY", keys.public_pem)
    monkeypatch.setenv("CLERK_API_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("CLERK_AUTHORIZED_PARTIES", "https://a.example,https://b.example")
    settings = ClerkSettings()
    assert settings.secret_key.get_secret_value() == "sk_test_from_env"
    assert (settings.jwt_key, settings.api_url) == (keys.public_pem, "http://127.0.0.1:9/v1")
    assert settings.authorized_parties == "https://a.example,https://b.example"
    assert "sk_test_from_env" not in repr(settings)
    # Made from the environment: a token for another origin is refused before any call to Clerk.
    assert ClerkIdentity().signed_in(request(keys.token(azp=ORIGIN))) is None
