"""Support without a database console: `python -m mfa_app.admin COMMAND` (the console script
`mfa-admin`), with the app's settings (MFA_DATABASE_URL, MFA_SECRET_KEY, the email provider).

    find TEXT                         accounts whose email address contains TEXT
    show EMAIL                        phones (masked), MFA, lockout, recent security events
    unlock EMAIL                      end a lockout
    revoke-sessions EMAIL             sign out every session of the account
    reset-mfa EMAIL --reason TEXT     turn MFA off (lost phone and backup codes), tell the user
    purge                             delete rows kept past the retention settings

`--identity MODULE:NAME` (before the command) names the host's identity, as the app mounts it:
an object, or a class made with no arguments (`mfa_app.clerk:ClerkIdentity`). With it, a change
reaches the identity as the pages' changes do (reset-mfa turns MFA off in Clerk too); without it
the commands work on mfa_app's tables alone (the built-in accounts).

The changing commands ask for confirmation unless --yes, and print what they changed. The exit
status is 0 on success, 1 when refused (an unknown account, nothing found, not confirmed) and 2
for a usage error. The rules are the service's (mfa_app/accounts/support.py); this only parses
and prints."""

from __future__ import annotations

import argparse
import getpass
import importlib
import sys
from collections.abc import Callable

from mfa_app.accounts import AccountContext, AccountError, housekeeping, support
from mfa_app.identity import BuiltInAccounts, Identity, context_for
from mfa_app.settings import get_settings

TIME = "%Y-%m-%d %H:%M UTC"


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="mfa-admin", description="Support tasks for mfa_app accounts.")
    root.add_argument(
        "--identity",
        metavar="MODULE:NAME",
        help="the host's identity (an object, or a class made with no arguments), e.g. mfa_app.clerk:ClerkIdentity",
    )
    commands = root.add_subparsers(dest="command", required=True)
    commands.add_parser("find", help="accounts whose email address contains TEXT").add_argument("text")
    commands.add_parser("show", help="an account's phones, MFA, lockout and recent events").add_argument("email")
    for name, text in [("unlock", "end a lockout"), ("revoke-sessions", "sign out every session")]:
        command = commands.add_parser(name, help=text)
        command.add_argument("email")
        command.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    reset = commands.add_parser("reset-mfa", help="turn MFA off for a user who lost the phone and backup codes")
    reset.add_argument("email")
    reset.add_argument("--reason", required=True, help="why (for example the support ticket); recorded")
    reset.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    purge = commands.add_parser("purge", help="delete rows kept past the retention settings")
    purge.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    return root


def run(ctx: AccountContext, argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return COMMANDS[args.command](ctx, args)
    except AccountError as exc:
        print(exc.message, file=sys.stderr)
        return 1


def main(argv: list[str] | None = None) -> int:
    """The `mfa-admin` entry point."""
    args = parser().parse_args(argv)  # a usage error exits (2) before the database is opened
    identity = load_identity(args.identity) if args.identity else BuiltInAccounts()
    return run(context_for(identity, get_settings()), argv)


def load_identity(path: str) -> Identity | BuiltInAccounts:
    """`MODULE:NAME`: the object, or an instance of the class, it names (a usage error else)."""
    module, _, name = path.partition(":")
    try:
        found = getattr(importlib.import_module(module), name) if module and name else None
    except (ImportError, AttributeError):
        found = None
    if found is None:
        parser().error(f"--identity {path}: no such MODULE:NAME")
    return found() if isinstance(found, type) else found


def _find(ctx: AccountContext, args) -> int:
    found = support.find_accounts(ctx, args.text)
    for user_id, email in found:
        print(f"{email}  {user_id}")
    if not found:
        print(f"No account's email address contains {args.text!r}.", file=sys.stderr)
    return 0 if found else 1


def _show(ctx: AccountContext, args) -> int:
    account = support.show_account(ctx, args.email)
    print(f"{account.email}  {account.id}  created {account.created_at.strftime(TIME)}")
    print(f"MFA: {'on' if account.two_factor_enabled else 'off'}, {account.backup_codes_left} unused backup codes")
    for phone in account.phones:
        flags = [
            "verified" if phone.verified else "not verified",
            *(["MFA"] if phone.reserved_for_second_factor else []),
            *(["default"] if phone.default_second_factor else []),
        ]
        print(f"  phone {phone.masked}  {', '.join(flags)}")
    locked = f"locked until {account.locked_until.strftime(TIME)}" if account.locked_until else "not locked"
    print(
        f"Lockout: {locked}; {account.password_failures} wrong passwords in a row, "
        f"{account.second_factor_failures} wrong codes"
    )
    print(f"Signed-in sessions: {account.signed_in_sessions}")
    print("Recent security events:")
    for event in account.recent_events:
        print(f"  {event.created_at.strftime(TIME)}  {event.kind}  {event.detail}".rstrip())
    return 0


def _unlock(ctx: AccountContext, args) -> int:
    support.show_account(ctx, args.email)  # an unknown account is refused before asking
    if not _confirmed(args, f"Unlock {args.email} and start its failure counts afresh?"):
        return 1
    was_locked = support.unlock(ctx, args.email, getpass.getuser())
    print(f"Unlocked {args.email}." if was_locked else f"{args.email} was not locked; its failure counts are reset.")
    return 0


def _revoke_sessions(ctx: AccountContext, args) -> int:
    support.show_account(ctx, args.email)
    if not _confirmed(args, f"Sign out every session of {args.email}?"):
        return 1
    count = support.revoke_sessions(ctx, args.email, getpass.getuser())
    print(f"Signed out {count} session{'' if count == 1 else 's'} of {args.email}.")
    return 0


def _reset_mfa(ctx: AccountContext, args) -> int:
    account = support.show_account(ctx, args.email)
    mfa_phones = sum(p.reserved_for_second_factor for p in account.phones)
    question = (
        f"Turn MFA off for {account.email} ({mfa_phones} MFA phones, {account.backup_codes_left} backup codes), "
        f"because: {args.reason}?"
    )
    if not _confirmed(args, question):
        return 1
    done = support.reset_mfa(ctx, args.email, getpass.getuser(), args.reason)
    print(
        f"MFA is off for {account.email}: {done.phones} phones no longer used for MFA, "
        f"{done.backup_codes} backup codes deleted."
    )
    print("The user was told by email." if done.notified else "The email to the user could NOT be sent: tell them.")
    return 0


def _purge(ctx: AccountContext, args) -> int:
    settings = ctx.settings
    question = (
        f"Delete sessions, codes, nonces, reset links and SMS sends dead for more than {settings.retention_days} "
        f"days, and security events older than {settings.security_event_retention_days} days?"
    )
    if not _confirmed(args, question):
        return 1
    purged = housekeeping.purge(ctx)
    print(
        f"Deleted {purged.sessions} sessions, {purged.verifications} SMS codes, {purged.reset_links} reset links, "
        f"{purged.sms_sends} SMS sends and {purged.security_events} security events; "
        f"cleared {purged.handoff_nonces} hand-off nonces."
    )
    return 0


def _confirmed(args, question: str) -> bool:
    if args.yes:
        return True
    try:
        answer = input(f"{question} [y/N] ")
    except EOFError:
        answer = ""
    if answer.strip().lower() in ("y", "yes"):
        return True
    print("Nothing changed.")
    return False


COMMANDS: dict[str, Callable[[AccountContext, argparse.Namespace], int]] = {
    "find": _find,
    "show": _show,
    "unlock": _unlock,
    "revoke-sessions": _revoke_sessions,
    "reset-mfa": _reset_mfa,
    "purge": _purge,
}

if __name__ == "__main__":
    sys.exit(main())
