"""The account service: every rule of users, sessions, phones, codes, backup codes,
re-verification, lockout, sending limits, password reset, support and housekeeping. Plain
Python, no Reflex."""

from mfa_app.accounts.backup_codes import count_unused as count_backup_codes
from mfa_app.accounts.backup_codes import create_backup_codes
from mfa_app.accounts.context import AccountContext
from mfa_app.accounts.errors import AccountError
from mfa_app.accounts.factory import build_context
from mfa_app.accounts.follow import follow_mirror
from mfa_app.accounts.hosted import HostUser
from mfa_app.accounts.hosted import adopt as adopt_host_sign_in
from mfa_app.accounts.hosted import begin_sign_in as begin_host_sign_in
from mfa_app.accounts.hosted import challenge as host_challenge
from mfa_app.accounts.hosted import status as host_sign_in_status
from mfa_app.accounts.manage_page import manage_page
from mfa_app.accounts.phones import (
    attempt_verification,
    create_phone,
    destroy_phone,
    list_phones,
    make_default_second_factor,
    prepare_verification,
    preview_phone_action,
    set_reserved_for_second_factor,
)
from mfa_app.accounts.recovery import check_password_reset, request_password_reset, reset_password
from mfa_app.accounts.reverification import prepare_reverification, reverification_status, reverify
from mfa_app.accounts.sessions import finish_handoff, start_handoff
from mfa_app.accounts.user_sessions import list_sessions, revoke_other_sessions, revoke_session
from mfa_app.accounts.users import (
    attempt_second_factor,
    get_user,
    prepare_second_factor,
    security_events,
    sign_in,
    sign_out,
    sign_up,
)

__all__ = [
    "AccountContext",
    "AccountError",
    "HostUser",
    "adopt_host_sign_in",
    "attempt_second_factor",
    "attempt_verification",
    "begin_host_sign_in",
    "build_context",
    "check_password_reset",
    "count_backup_codes",
    "create_backup_codes",
    "create_phone",
    "destroy_phone",
    "finish_handoff",
    "follow_mirror",
    "get_user",
    "host_challenge",
    "host_sign_in_status",
    "list_phones",
    "list_sessions",
    "make_default_second_factor",
    "manage_page",
    "prepare_reverification",
    "prepare_second_factor",
    "prepare_verification",
    "preview_phone_action",
    "request_password_reset",
    "reset_password",
    "reverification_status",
    "reverify",
    "revoke_other_sessions",
    "revoke_session",
    "security_events",
    "set_reserved_for_second_factor",
    "sign_in",
    "sign_out",
    "sign_up",
    "start_handoff",
]
