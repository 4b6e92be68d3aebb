"""Telling another account system what a user's second factor now is: the host's identity
keeps its own copy of the phones, the MFA flag and the backup codes (Clerk does:
mfa_app/clerk/factors.py), so that its own sign-in asks for what the user set up here.

mfa_app's tables stay the source of the rules; a mirror is told, for one user, the setup before
and after a change (the verified phones by E.164 number, which are for MFA, the default, whether
MFA is on) and, at the one moment they exist in the clear, a new set of backup codes; and a
backup code used here, to be used up there too.

The ordering, and why (`write`): a change is worked out in a write transaction that is rolled
back, pushed to the mirror, and only then committed here. Pushing first means nothing is shown
as done here that the mirror refused or never heard of (it raised: nothing is committed, the
person reads its message and tries again). The mirror can then be ahead of mfa_app only when
the commit here fails after the mirror took the change (a database error, or a change of the
same user that won the race), or when a push failed half-way (a call answered 500 after doing
its work): the mirror is then told to go back to what is committed here, at once; when that
fails too it is logged as an error, and the user's next change (each push carries the whole
setup) brings the mirror back. No pending marker is kept for a later retry: it would need a table
and a retry worker, and the only lasting gap it would close is that error-logged one.
Without a mirror (the built-in accounts, most hosts) `write` is `ctx.write`, nothing more."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar, runtime_checkable

from sqlmodel import Session, col, select

from mfa_app.accounts import sessions
from mfa_app.accounts.access import all_of
from mfa_app.accounts.context import AccountContext
from mfa_app.accounts.errors import AccountError, RefusedAfterCommit
from mfa_app.store import db as store
from mfa_app.store.tables import BackupCodeRow

T = TypeVar("T")
log = logging.getLogger("mfa_app.accounts.mirror")


@dataclass(frozen=True)
class MirroredPhone:
    number: str  # E.164
    reserved_for_second_factor: bool
    default_second_factor: bool


@dataclass(frozen=True)
class FactorSetup:
    """A user's second factor as mfa_app has it: the verified phones (unverified ones are not
    mirrored), oldest first, and whether MFA is on (a verified phone reserved for it)."""

    phones: tuple[MirroredPhone, ...] = ()
    backup_codes: bool = False  # whether unused backup codes exist (only hashes: never sent)

    @property
    def mfa_enabled(self) -> bool:
        return any(p.reserved_for_second_factor for p in self.phones)


@dataclass(frozen=True)
class FactorChange:
    user_id: str
    before: FactorSetup
    after: FactorSetup
    # The new backup codes, in the clear, when this change makes them (they replace every
    # earlier code); None when it makes none.
    new_backup_codes: tuple[str, ...] | None = None
    # True when this puts the mirror back after a change that failed: it then only undoes what
    # that change did (no "turn MFA off", which would take more than mfa_app's factors away).
    undo: bool = False

    def __repr__(self) -> str:  # the codes stay out of logs and tracebacks
        codes = "None" if self.new_backup_codes is None else f"<{len(self.new_backup_codes)} codes>"
        return f"FactorChange(user_id={self.user_id!r}, before={self.before}, after={self.after}, codes={codes}, undo={self.undo})"


@runtime_checkable
class FactorMirror(Protocol):
    # Whether the mirror can make any MFA phone the default ("Make default"). Clerk can't: its
    # default is the first phone reserved while no other was.
    chooses_default_second_factor: bool

    def mirror_factors(self, change: FactorChange) -> None:
        """Make the mirror's copy of the user's second factor `change.after` (and its backup
        codes the new ones, if any). Raise an AccountError whose message the person can act on
        when it refused or did not answer. Called in a worker thread, outside any transaction."""
        ...

    def use_backup_code(self, user_id: str, code: str) -> bool:
        """A backup code mfa_app has just matched (never a guess that matched nothing), used up
        at the mirror too, before mfa_app commits its use: so a code used on mfa_app's pages
        stops working at the mirror's sign-in. False when the mirror doesn't take it: it never
        had it (a set made before it was mirrored), or it was used at the mirror's sign-in
        (then mfa_app refuses it too). Raise an AccountError when it did not answer (then the
        code is used nowhere and the person tries again)."""
        ...


def chooses_default(ctx: AccountContext) -> bool:
    return ctx.mirror is None or ctx.mirror.chooses_default_second_factor


def setup_of(db: Session, user_id: str) -> FactorSetup:
    phones = tuple(
        MirroredPhone(p.phone_number, p.reserved_for_second_factor, p.default_second_factor)
        for p in all_of(db, user_id)
        if p.verified_at is not None
    )
    unused = select(BackupCodeRow.id).where(col(BackupCodeRow.user_id) == user_id, col(BackupCodeRow.used_at).is_(None))
    return FactorSetup(phones=phones, backup_codes=db.exec(unused).first() is not None)


class _DryRun(Exception):
    def __init__(self, setup: FactorSetup) -> None:
        super().__init__("dry run")
        self.setup = setup


def write(
    ctx: AccountContext,
    token: str,
    work: Callable[[Session], T],
    *,
    new_backup_codes: list[str] | None = None,
) -> T:
    """`ctx.write(work)` for a change to the second factor of the user signed in by `token`,
    pushed to the mirror first (the module's docstring says why)."""
    if ctx.mirror is None:
        return ctx.write(work)
    try:
        with ctx.read() as db:
            user_id = sessions.find(ctx, db, token).user_id
    except AccountError:
        return ctx.write(work)  # signed out: the same refusal
    return write_for_user(ctx, user_id, work, new_backup_codes=new_backup_codes)


def write_for_user(
    ctx: AccountContext,
    user_id: str,
    work: Callable[[Session], T],
    *,
    new_backup_codes: list[str] | None = None,
) -> T:
    """`write`, for the second factor of a user found otherwise (support's reset of MFA)."""
    mirror = ctx.mirror
    if mirror is None:
        return ctx.write(work)
    try:
        with ctx.read() as db:
            before = setup_of(db, user_id)
        after = _dry_run(ctx, work, user_id)
    except (AccountError, RefusedAfterCommit):
        return ctx.write(work)  # refused: the same refusal, counted tries committed, nothing to mirror
    codes = tuple(new_backup_codes) if new_backup_codes is not None else None
    change = FactorChange(user_id, before, after, codes)
    if after != before or codes is not None:
        try:
            mirror.mirror_factors(change)
        except Exception:
            _restore(ctx, FactorChange(user_id, after, before, _dropped(codes), undo=True), "a refused change")
            raise
    try:
        result, committed = ctx.write(lambda db: (work(db), setup_of(db, user_id)))
    except Exception:
        with ctx.read() as db:
            now = setup_of(db, user_id)
        _restore(ctx, FactorChange(user_id, after, now, _dropped(codes), undo=True), "a change that failed here")
        raise
    if committed != after:  # changed meanwhile by another request: what is committed counts
        _restore(ctx, FactorChange(user_id, after, committed, undo=True), "a change raced by another")
    return result


def _dropped(codes: tuple[str, ...] | None) -> tuple[str, ...] | None:
    """When going back after a change that made new backup codes: none at the mirror (nobody saw
    the new ones, and the old ones were deleted there first)."""
    return None if codes is None else ()


def _dry_run(ctx: AccountContext, work: Callable[[Session], object], user_id: str) -> FactorSetup:
    """The setup `work` would leave, worked out in a write transaction that is rolled back."""

    def run(db: Session) -> None:
        work(db)
        db.flush()
        raise _DryRun(setup_of(db, user_id))

    try:
        store.writing(ctx.engine, run)
    except _DryRun as done:
        return done.setup
    raise AssertionError("unreachable")


def _restore(ctx: AccountContext, change: FactorChange, why: str) -> None:
    """Best effort: the mirror back to what is committed here."""
    if ctx.mirror is None or (change.before == change.after and change.new_backup_codes is None):
        return
    try:
        ctx.mirror.mirror_factors(change)
    except Exception as exc:
        log.error(
            "the factor mirror may differ from mfa_app for user %s after %s (%s): the user's next change brings it back",
            change.user_id,
            why,
            type(exc).__name__,
        )
