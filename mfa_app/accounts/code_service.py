"""Text-message codes sent and checked by the host's identity instead of by mfa_app (Clerk's
`prepare_verification` / `attempt_verification`). mfa_app keeps every rule around the code: which
phone may get one, the sending limits and the resend wait, one code live at a time, five tries,
ten minutes, the lockout; it records each code it asked for (without the code, which it never
sees) and asks the service whether what the person typed is it.

The service is asked before the write transaction that uses the code, never inside one (a network
call must not hold the database's write lock): `verdict_for` runs first, and `sms_codes.check_code`
takes its answer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

CodeCheck = Literal["verified", "incorrect", "expired", "too_many_tries", "used"]


@runtime_checkable
class CodeService(Protocol):
    def send_code(self, user_id: str, number: str) -> str:
        """Send a new code to `number` (E.164, one of the user's, verified or not); the service's
        id for it. Raise an AccountError whose message the person can act on when the service
        refused or did not answer (then no code counts as sent)."""
        ...

    def check_code(self, user_id: str, number: str, code_id: str, code: str) -> CodeCheck:
        """Whether `code` is the one sent as `code_id`. Raise an AccountError when the service
        did not answer (then nothing is counted)."""
        ...


@dataclass(frozen=True)
class Verdict:
    """The service's answer for one recorded code (`verification_id`, mfa_app's row)."""

    verification_id: str
    check: CodeCheck
