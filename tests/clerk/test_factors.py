"""The second factor set up on mfa_app's pages, kept in Clerk too (mfa_app/clerk/factors.py,
through mfa_app/accounts/mirror.py), against the fake Backend API: every call the mirror makes,
what Clerk's refusals and faults do (nothing is committed in mfa_app that Clerk did not take,
and Clerk is put back when it took part of a change), and no "Make default" on Clerk."""

from __future__ import annotations

import logging
from dataclasses import replace

import httpx
import pytest
import sqlalchemy as sa

from mfa_app import accounts, admin
from mfa_app.accounts import mirror
from mfa_app.accounts.context import AccountContext
from mfa_app.accounts.mirror import FactorMirror
from mfa_app.clerk import ClerkIdentity, ClerkSettings
from mfa_app.clerk.backend_api import REFUSED
from mfa_app.clerk.transport import UNAVAILABLE
from mfa_app.identity import Request
from mfa_app.store.tables import BackupCodeRow
from tests.clerk.helpers import PASSWORD, PHONE, SECRET_KEY, Clerked, FakeClerk, Keys, session_cookie
from tests.helpers import Outbox, reverify_with_sms
from tests.loopback_http import CountingClient

OTHER = "+14155550177"


def test_clerk_identity_is_a_factor_mirror_that_cannot_choose_the_default(identity: ClerkIdentity) -> None:
    assert isinstance(identity, FactorMirror)
    assert identity.chooses_default_second_factor is False


def test_a_verified_phone_goes_to_clerk_verified_and_mfa_reserves_it(ada: Clerked, outbox: Outbox) -> None:
    phone_id = accounts.create_phone(ada.ctx, ada.token, PHONE).id
    assert ada.calls() == []  # a number not verified yet stays mfa_app's until its code is sent
    accounts.prepare_verification(ada.ctx, ada.token, phone_id)
    clerk_id = ada.at_clerk()["id"]
    # Clerk texts the code: the number goes on the Clerk user unverified first.
    assert ada.calls() == [
        ("GET", "/v1/users/user_ada"),
        ("POST", "/v1/phone_numbers"),
        ("POST", f"/v1/phone_numbers/{clerk_id}/prepare_verification"),
    ]
    assert ada.clerk.bodies[-1] == {"user_id": "user_ada", "phone_number": PHONE, "verified": False, "primary": False}
    (text,) = outbox.messages()
    assert text["to"] == PHONE and text["body"].startswith("Clerk: ")  # Clerk's text, not mfa_app's
    accounts.attempt_verification(ada.ctx, ada.token, phone_id, outbox.last_code(PHONE))
    assert ada.calls() == [
        ("POST", f"/v1/phone_numbers/{clerk_id}/attempt_verification"),
        ("GET", "/v1/users/user_ada"),
    ]
    assert ada.at_clerk()["verification"]["status"] == "verified"  # by Clerk's own code
    assert ada.at_clerk()["reserved_for_second_factor"] is False
    assert ada.clerk_user["two_factor_enabled"] is False

    ada.use_for_mfa(phone_id)
    assert ada.calls() == [("GET", "/v1/users/user_ada"), ("PATCH", f"/v1/phone_numbers/{clerk_id}")]
    assert ada.clerk.bodies[-1] == {"reserved_for_second_factor": True}
    assert (ada.at_clerk()["reserved_for_second_factor"], ada.at_clerk()["default_second_factor"]) == (True, True)
    assert ada.clerk_user["two_factor_enabled"] is True
    assert ada.mfa_app_phone().reserved_for_second_factor is True


def test_new_backup_codes_replace_every_earlier_one_in_clerk(ada: Clerked, outbox: Outbox, http) -> None:
    ada.use_for_mfa(ada.add_phone(outbox))
    ada.step_up_by_sms(outbox)
    ada.calls()
    first = accounts.create_backup_codes(ada.ctx, ada.token).codes
    assert ada.calls() == [
        ("GET", "/v1/users/user_ada"),
        ("DELETE", "/v1/users/user_ada/backup_code"),
        ("PATCH", "/v1/users/user_ada"),
    ]
    assert ada.clerk.bodies[-1] == {"backup_codes": first}
    assert ada.clerk.backup_codes["user_ada"] == first and ada.clerk_user["backup_code_enabled"] is True

    second = accounts.create_backup_codes(ada.ctx, ada.token).codes
    # The fake's import adds to the earlier set (Clerk doesn't say): mfa_app deleted them first.
    assert ada.clerk.backup_codes["user_ada"] == second
    assert verify_totp(ada.clerk, http, first[0]).status_code == 422  # an old code: refused by Clerk
    assert verify_totp(ada.clerk, http, second[0]).json() == {"verified": True, "code_type": "backup_code"}


def verify_totp(clerk: FakeClerk, http: CountingClient, code: str) -> httpx.Response:
    """What Clerk's sign-in does with a backup code (the fake's verify_totp)."""
    return http.post(
        f"{clerk.api_url}/users/user_ada/verify_totp",
        json={"code": code},
        headers={"Authorization": f"Bearer {SECRET_KEY}"},
    )


def test_a_backup_code_used_in_mfa_app_is_used_up_in_clerk(ada: Clerked, codes: list[str], http) -> None:
    accounts.reverify(ada.ctx, ada.token, "backup_code", codes[0].upper().replace("-", ""))  # typed loosely
    assert ada.calls() == [("POST", "/v1/users/user_ada/verify_totp")]
    assert ada.clerk.bodies[-1] == {"code": codes[0]}  # as shown, as imported
    assert codes[0] not in ada.clerk.backup_codes["user_ada"]
    assert verify_totp(ada.clerk, http, codes[0]).status_code == 422  # Clerk's sign-in refuses it now
    assert accounts.count_backup_codes(ada.ctx, ada.token) == 9


def test_a_wrong_backup_code_never_reaches_clerk(ada: Clerked, codes: list[str]) -> None:
    with pytest.raises(accounts.AccountError) as wrong:
        accounts.reverify(ada.ctx, ada.token, "backup_code", "aaaaa-aaaaa")
    assert wrong.value.code == "form_code_incorrect"
    assert ada.calls() == []  # a guess uses up nothing at Clerk


def test_a_backup_code_used_at_clerks_sign_in_no_longer_works_in_mfa_app(ada: Clerked, codes: list[str], http) -> None:
    assert verify_totp(ada.clerk, http, codes[1]).status_code == 200  # used at Clerk's <SignIn/>
    ada.calls()
    with pytest.raises(accounts.AccountError) as refused:
        accounts.reverify(ada.ctx, ada.token, "backup_code", codes[1])
    assert refused.value.code == "form_code_incorrect"
    assert accounts.count_backup_codes(ada.ctx, ada.token) == 9  # used up here too
    with pytest.raises(accounts.AccountError):
        accounts.reverify(ada.ctx, ada.token, "backup_code", codes[1])  # and never asks Clerk again:
    assert [c for c in ada.calls() if c[1].endswith("verify_totp")] == [("POST", "/v1/users/user_ada/verify_totp")]
    accounts.reverify(ada.ctx, ada.token, "backup_code", codes[2])  # the others work
    assert accounts.count_backup_codes(ada.ctx, ada.token) == 8


def test_a_code_of_a_set_clerk_never_had_still_works_in_mfa_app(ada: Clerked, codes: list[str]) -> None:
    # A set made before the codes were kept in Clerk.
    ada.ctx.write(lambda db: db.execute(sa.update(BackupCodeRow).values(kept_by_mirror=False)))
    ada.clerk.backup_codes.pop("user_ada")
    accounts.reverify(ada.ctx, ada.token, "backup_code", codes[1])
    assert accounts.count_backup_codes(ada.ctx, ada.token) == 9


@pytest.mark.parametrize("faults", [("503", "503", "503"), ("500",)])
def test_clerk_not_answering_for_a_backup_code_uses_it_nowhere(
    ada: Clerked, codes: list[str], faults: tuple[str, ...]
) -> None:
    ada.clerk.fail(*faults)
    with pytest.raises(accounts.AccountError) as failed:
        accounts.reverify(ada.ctx, ada.token, "backup_code", codes[2])
    assert failed.value.code == "clerk_unavailable"
    assert accounts.count_backup_codes(ada.ctx, ada.token) == 10  # not used in mfa_app
    assert len([c for c in ada.calls() if c[1].endswith("verify_totp")]) == len(faults)  # a 500: not sent again
    if faults == ("503", "503", "503"):
        assert codes[2] in ada.clerk.backup_codes["user_ada"]  # Clerk took none of them
    if faults == ("500",):  # Clerk may have used it up: whether it did, nobody can tell, so it is
        with pytest.raises(accounts.AccountError):  # taken as used there (safe: no code works twice)
            accounts.reverify(ada.ctx, ada.token, "backup_code", codes[2])
        assert accounts.count_backup_codes(ada.ctx, ada.token) == 9
        return
    accounts.reverify(ada.ctx, ada.token, "backup_code", codes[2])  # the next try works
    assert accounts.count_backup_codes(ada.ctx, ada.token) == 9


def test_supports_reset_of_mfa_turns_it_off_in_clerk_too(ada: Clerked, codes: list[str], capsys) -> None:
    status = admin.run(ada.ctx, ["reset-mfa", "ada@example.com", "--reason", "ticket 7", "--yes"])
    assert status == 0, capsys.readouterr().err
    user = ada.clerk_user
    assert (user["two_factor_enabled"], user["backup_code_enabled"]) == (False, False)
    assert not any(p["reserved_for_second_factor"] for p in user["phone_numbers"])
    assert ("DELETE", "/v1/users/user_ada/mfa") in ada.calls()
    assert accounts.get_user(ada.ctx, ada.token).two_factor_enabled is False


def test_a_reset_clerk_does_not_take_changes_nothing(ada: Clerked, codes: list[str], capsys) -> None:
    ada.clerk.fail("503", "503", "503")
    status = admin.run(ada.ctx, ["reset-mfa", "ada@example.com", "--reason", "ticket 7", "--yes"])
    assert (status, capsys.readouterr().err.strip()) == (1, UNAVAILABLE)
    assert ada.clerk_user["two_factor_enabled"] is True
    assert accounts.get_user(ada.ctx, ada.token).two_factor_enabled is True
    assert accounts.count_backup_codes(ada.ctx, ada.token) == 10


def test_the_admin_commands_take_the_hosts_identity_by_name(clerk_settings: ClerkSettings, monkeypatch) -> None:
    for name, value in clerk_settings.model_dump().items():
        monkeypatch.setenv(f"CLERK_{name.upper()}", str(value.get_secret_value() if name == "secret_key" else value))
    identity = admin.load_identity("mfa_app.clerk:ClerkIdentity")
    assert isinstance(identity, ClerkIdentity)
    assert admin.load_identity("mfa_app.identity:BuiltInAccounts").__class__.__name__ == "BuiltInAccounts"
    for wrong in ("mfa_app.clerk:NoSuchThing", "no_such_module:X", "mfa_app.clerk"):
        with pytest.raises(SystemExit) as usage:
            admin.load_identity(wrong)
        assert usage.value.code == 2


def test_codes_clerk_makes_itself_when_a_first_phone_is_reserved_are_deleted(ada: Clerked, outbox: Outbox) -> None:
    ada.clerk.codes_on_first_reserve = ["clerk-made-1", "clerk-made-2"]
    ada.use_for_mfa(ada.add_phone(outbox))
    assert "user_ada" not in ada.clerk.backup_codes  # nobody saw them: none may work
    assert ada.clerk_user["backup_code_enabled"] is False


def test_turning_mfa_off_in_mfa_app_turns_it_off_in_clerk(ada: Clerked, outbox: Outbox) -> None:
    phone_id = ada.add_phone(outbox)
    ada.use_for_mfa(phone_id)
    ada.step_up_by_sms(outbox)
    accounts.create_backup_codes(ada.ctx, ada.token)
    ada.calls()
    ada.use_for_mfa(phone_id, reserved=False)
    clerk_id = ada.at_clerk()["id"]
    assert ada.calls() == [
        ("GET", "/v1/users/user_ada"),
        ("PATCH", f"/v1/phone_numbers/{clerk_id}"),
        ("DELETE", "/v1/users/user_ada/backup_code"),
        ("DELETE", "/v1/users/user_ada/mfa"),
    ]
    assert (ada.clerk_user["two_factor_enabled"], ada.clerk_user["backup_code_enabled"]) == (False, False)
    assert ada.at_clerk()["verification"]["status"] == "verified"  # the number stays on the account


def test_removing_a_phone_removes_it_from_clerk_and_leaves_clerks_own_numbers(ada: Clerked, outbox: Outbox) -> None:
    ada.clerk.add_phone("user_ada", "+14155550199")  # added in Clerk's own UI
    phone_id = ada.add_phone(outbox)
    ada.calls()
    accounts.destroy_phone(ada.ctx, ada.token, phone_id)
    assert [c[0] for c in ada.calls()] == ["GET", "DELETE"]
    assert list(ada.clerk.phones("user_ada")) == ["+14155550199"]


def test_a_second_mfa_phone_keeps_clerks_default_and_there_is_no_make_default(ada: Clerked, outbox: Outbox) -> None:
    first, second = ada.add_phone(outbox), ada.add_phone(outbox, OTHER)
    ada.use_for_mfa(first)
    ada.step_up_by_sms(outbox)
    ada.use_for_mfa(second)
    assert ada.at_clerk()["default_second_factor"] is True
    assert (ada.at_clerk(OTHER)["reserved_for_second_factor"], ada.at_clerk(OTHER)["default_second_factor"]) == (
        True,
        False,
    )
    page = accounts.manage_page(ada.ctx, ada.token, 5)
    assert page.can_choose_default is False
    ada.calls()
    with pytest.raises(accounts.AccountError) as refused:
        accounts.make_default_second_factor(ada.ctx, ada.token, second)
    assert refused.value.code == "default_second_factor_fixed"
    assert "turn MFA off and on again starting with that phone" in refused.value.message
    assert ada.calls() == []
    preview = accounts.preview_phone_action(ada.ctx, ada.token, "remove", first)
    assert preview.allowed is False
    assert preview.explanation == (
        "This is your default MFA phone, which can't be changed here. "
        "Disable your other MFA phones before removing this one."
    )


def test_without_a_mirror_the_default_can_be_chosen(ctx, user, outbox: Outbox) -> None:
    assert accounts.manage_page(ctx, user.token, 5).can_choose_default is True


def test_a_number_clerk_refuses_is_not_verified_in_mfa_app_either(ada: Clerked, outbox: Outbox) -> None:
    ada.clerk.add_user("user_bob", "bob@example.com")
    ada.clerk.add_phone("user_bob", PHONE)
    phone = accounts.create_phone(ada.ctx, ada.token, PHONE)
    with pytest.raises(accounts.AccountError) as refused:  # refused before any code is sent
        accounts.prepare_verification(ada.ctx, ada.token, phone.id)
    assert refused.value.code == "clerk_refused" and outbox.messages() == []
    assert (
        refused.value.message == "This phone number is already used by another account, so it can't be added to yours."
    )
    assert ada.mfa_app_phone().verification.status == "unverified"
    assert PHONE not in ada.clerk.phones("user_ada")
    ada.clerk.users["user_bob"]["phone_numbers"].clear()  # Bob lets the number go: the next try
    accounts.prepare_verification(ada.ctx, ada.token, phone.id)  # is not held up by the refused one


def test_an_unknown_refusal_reads_as_nothing_changed(ada: Clerked, outbox: Outbox) -> None:
    phone_id = ada.add_phone(outbox)
    ada.clerk.fail(0, 400)  # the GET answers; the PATCH is refused with an unknown code
    with pytest.raises(accounts.AccountError) as refused:
        ada.use_for_mfa(phone_id)
    assert (refused.value.code, refused.value.message) == ("clerk_refused", REFUSED)
    assert ada.mfa_app_phone().reserved_for_second_factor is False


@pytest.fixture
def _all_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)


@pytest.mark.usefixtures("_all_logs")
@pytest.mark.parametrize("fault", ["429", "503"])
def test_a_change_clerk_did_not_take_is_retried(ada: Clerked, outbox: Outbox, http, fault: str) -> None:
    phone_id = ada.add_phone(outbox)
    ada.clerk.fail(0, fault)  # the GET answers, the PATCH is turned away once (Retry-After: 0)
    ada.use_for_mfa(phone_id)
    assert ada.at_clerk()["reserved_for_second_factor"] is True
    assert ada.mfa_app_phone().reserved_for_second_factor is True


@pytest.mark.usefixtures("_all_logs")
def test_429_with_retry_after_is_waited_out(
    clerk_settings: ClerkSettings, keys: Keys, clerk: FakeClerk, http, ctx, outbox: Outbox
) -> None:
    identity = ClerkIdentity(clerk_settings.model_copy(update={"total_timeout_s": 3.0}), client=http)
    hosted = replace(ctx, check_password=identity.check_password, mirror=identity, code_service=identity)
    who = identity.signed_in(Request(cookies=session_cookie(keys.token())))
    assert who is not None
    token = accounts.adopt_host_sign_in(hosted, who)
    accounts.reverify(hosted, token, "password", PASSWORD)
    ada = Clerked(hosted, token, clerk)
    phone_id = ada.add_phone(outbox)
    clerk.retry_after = "1"
    clerk.fail(0, "429")
    import time

    started = time.monotonic()
    ada.use_for_mfa(phone_id)
    assert time.monotonic() - started >= 1.0
    assert ada.at_clerk()["reserved_for_second_factor"] is True


@pytest.mark.usefixtures("_all_logs")
@pytest.mark.parametrize("fault", ["500", "slow", "reset", "refused"])
def test_a_change_clerk_may_not_have_taken_is_not_committed_and_clerk_is_put_back(
    ada: Clerked,
    clerk_settings: ClerkSettings,
    outbox: Outbox,
    http: CountingClient,
    caplog: pytest.LogCaptureFixture,
    fault: str,
) -> None:
    phone_id = ada.add_phone(outbox)
    ada.calls()
    if fault == "refused":  # a client with no connection kept open, so every attempt connects
        http = CountingClient()
        ada.ctx = replace(ada.ctx, mirror=ClerkIdentity(clerk_settings, client=http))
        ada.clerk.stop()
    attempts = http.attempts
    if fault == "refused":
        pass
    else:
        # The GET answers; the PATCH fails once ("500": after Clerk did reserve it). The undo's
        # own GET and PATCH then answer.
        ada.clerk.fail(0, fault)
    try:
        with pytest.raises(accounts.AccountError) as failed:
            ada.use_for_mfa(phone_id)
    finally:
        if fault == "refused":
            ada.clerk.start()
    assert (failed.value.code, failed.value.message) == ("clerk_unavailable", UNAVAILABLE)
    assert ada.mfa_app_phone().reserved_for_second_factor is False  # nothing shown as done
    assert ada.at_clerk()["reserved_for_second_factor"] is False  # Clerk put back (or never changed)
    patches = [c for c in ada.calls() if c[0] == "PATCH"]
    if fault in ("500", "slow", "reset"):
        assert patches[0] == ("PATCH", f"/v1/phone_numbers/{ada.at_clerk()['id']}")  # sent once, not retried
    if fault == "refused":
        assert http.attempts - attempts == 6  # the GET, then the undo's GET: 3 attempts each
    assert SECRET_KEY not in caplog.text and SECRET_KEY[8:] not in caplog.text
    assert SECRET_KEY not in str(failed.value) and SECRET_KEY not in repr(ada.ctx.mirror)

    ada.use_for_mfa(phone_id)  # and the next try works
    assert ada.at_clerk()["reserved_for_second_factor"] is True


def test_turning_mfa_off_while_clerk_fails_half_way_leaves_both_on(ada: Clerked, outbox: Outbox) -> None:
    phone_id = ada.add_phone(outbox)
    ada.use_for_mfa(phone_id)
    ada.step_up_by_sms(outbox)
    ada.clerk.fail(0, 0, 0, "500")  # GET, PATCH, DELETE backup_code answer; disable_mfa fails after its work
    with pytest.raises(accounts.AccountError):
        ada.use_for_mfa(phone_id, reserved=False)
    assert ada.mfa_app_phone().reserved_for_second_factor is True
    assert ada.at_clerk()["reserved_for_second_factor"] is True  # reserved again by the undo
    assert ada.clerk_user["two_factor_enabled"] is True


@pytest.mark.usefixtures("_all_logs")
def test_clerk_down_for_the_undo_too_is_logged_and_the_next_change_repairs_it(
    ada: Clerked, outbox: Outbox, caplog: pytest.LogCaptureFixture
) -> None:
    phone_id = ada.add_phone(outbox)
    ada.clerk.fail(0, "500", "500", "500", "500")  # the PATCH (done, then 500) and every undo attempt
    with pytest.raises(accounts.AccountError):
        ada.use_for_mfa(phone_id)
    assert ada.at_clerk()["reserved_for_second_factor"] is True  # Clerk ahead: more protected, not less
    assert "may differ from mfa_app for user user_ada" in caplog.text
    ada.use_for_mfa(phone_id)
    assert ada.mfa_app_phone().reserved_for_second_factor is True
    assert ada.at_clerk()["reserved_for_second_factor"] is True


# --- the ordering rule itself, with a recording mirror (no Clerk) -------------------------------


class Recorder:
    chooses_default_second_factor = True

    def __init__(self, ctx: AccountContext) -> None:
        self.ctx = ctx
        self.changes: list[mirror.FactorChange] = []
        self.seen_in_db: list[bool] = []
        self.refuse = False

    def use_backup_code(self, user_id: str, code: str) -> bool:
        raise AssertionError("not in these tests")

    def mirror_factors(self, change: mirror.FactorChange) -> None:
        with self.ctx.read() as db:  # what mfa_app has committed while the mirror is told
            self.seen_in_db.append(mirror.setup_of(db, change.user_id) == change.after)
        self.changes.append(change)
        if self.refuse:
            raise accounts.AccountError("mirror_refused", "No.")


@pytest.fixture
def recorded(ctx, user, outbox: Outbox) -> tuple[AccountContext, Recorder, str]:
    recorder = Recorder(ctx)
    recorder.ctx = replace(ctx, mirror=recorder)
    return recorder.ctx, recorder, user.token


def test_the_mirror_is_told_before_mfa_app_commits(recorded, outbox: Outbox, clock) -> None:
    ctx, recorder, token = recorded
    phone = accounts.create_phone(ctx, token, PHONE)
    accounts.prepare_verification(ctx, token, phone.id)
    accounts.attempt_verification(ctx, token, phone.id, outbox.last_code(PHONE))
    accounts.set_reserved_for_second_factor(ctx, token, phone.id, True)
    assert recorder.seen_in_db == [False, False]  # told before the commit, both times
    verified, reserved = recorder.changes
    assert verified.before.phones == () and [p.number for p in verified.after.phones] == [PHONE]
    assert (reserved.before.mfa_enabled, reserved.after.mfa_enabled) == (False, True)
    reverify_with_sms(ctx, outbox, token, clock)
    codes = accounts.create_backup_codes(ctx, token).codes
    assert recorder.changes[-1].new_backup_codes == tuple(codes)
    assert "codes=<10 codes>" in repr(recorder.changes[-1]) and codes[0] not in repr(recorder.changes[-1])


def test_a_mirror_that_refuses_leaves_mfa_app_unchanged(recorded, outbox: Outbox) -> None:
    ctx, recorder, token = recorded
    phone = accounts.create_phone(ctx, token, PHONE)
    accounts.prepare_verification(ctx, token, phone.id)
    accounts.attempt_verification(ctx, token, phone.id, outbox.last_code(PHONE))
    recorder.refuse = True
    with pytest.raises(accounts.AccountError) as refused:
        accounts.set_reserved_for_second_factor(ctx, token, phone.id, True)
    assert refused.value.code == "mirror_refused"
    assert accounts.list_phones(ctx, token)[0].reserved_for_second_factor is False
    told, undo = recorder.changes[-2:]
    assert (undo.before, undo.after, undo.undo) == (told.after, told.before, True)


def test_a_wrong_code_is_counted_without_telling_the_mirror(recorded, outbox: Outbox) -> None:
    ctx, recorder, token = recorded
    phone = accounts.create_phone(ctx, token, PHONE)
    accounts.prepare_verification(ctx, token, phone.id)
    with pytest.raises(accounts.AccountError):
        accounts.attempt_verification(ctx, token, phone.id, "000000")
    assert recorder.changes == []
    assert accounts.list_phones(ctx, token)[0].verification.attempts == 1  # the try counted


def test_a_commit_that_fails_after_the_mirror_took_it_puts_the_mirror_back(
    recorded, outbox: Outbox, monkeypatch
) -> None:
    ctx, recorder, token = recorded
    phone = accounts.create_phone(ctx, token, PHONE)
    accounts.prepare_verification(ctx, token, phone.id)
    accounts.attempt_verification(ctx, token, phone.id, outbox.last_code(PHONE))
    real_write = AccountContext.write
    calls = {"n": 0}

    def failing_write(self, work):
        calls["n"] += 1
        raise RuntimeError("the database went away")

    monkeypatch.setattr(AccountContext, "write", failing_write)
    with pytest.raises(RuntimeError):
        accounts.set_reserved_for_second_factor(ctx, token, phone.id, True)
    monkeypatch.setattr(AccountContext, "write", real_write)
    told, undo = recorder.changes[-2:]
    assert told.after.mfa_enabled and not undo.after.mfa_enabled and undo.undo
    assert accounts.list_phones(ctx, token)[0].reserved_for_second_factor is False


def test_without_a_mirror_nothing_else_runs(ctx, user, outbox: Outbox, monkeypatch) -> None:
    monkeypatch.setattr(mirror, "_dry_run", lambda *a: pytest.fail("no dry run without a mirror"))
    phone = accounts.create_phone(ctx, user.token, PHONE)
    accounts.prepare_verification(ctx, user.token, phone.id)
    accounts.attempt_verification(ctx, user.token, phone.id, outbox.last_code(PHONE))
    accounts.set_reserved_for_second_factor(ctx, user.token, phone.id, True)
