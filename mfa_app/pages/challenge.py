"""The second-factor challenge after a host app's sign-in (mounted for hosts other than the
built-in accounts, whose sign-in page has the same step)."""

from __future__ import annotations

import reflex as rx

from mfa_app.components.layout import layout, signed_in_only
from mfa_app.components.second_factor import second_factor_form
from mfa_app.state.challenge import ChallengeState


def challenge() -> rx.Component:
    return layout(signed_in_only(ChallengeState, second_factor_form(ChallengeState)))
