"""A tab's state belongs to the session that filled it.

Reflex keys a tab's state by its client token, which travels in the websocket URL (proxies log
it), and hands the whole state to any connection that presents it: in the snapshot sent on
hydrate, before any handler could check anything. So before every event, the hydrate included,
the tab's owner (a keyed hash of the session cookie of the connection, or of its pending
sign-in) is compared with the one the state was filled for; when they differ (another browser
with the token, a sign-out, a sign-in as someone else, a revoked or expired cookie) every
mfa_app state of the tab goes back to what a signed-out visitor sees, before anything is sent."""

from __future__ import annotations

from reflex.middleware import Middleware
from reflex.state import BaseState
from reflex_base.constants import RouteVar

from mfa_app.state.session import SessionState


def _descendants(cls: type[BaseState]) -> list[type[BaseState]]:
    return [sub for child in cls.get_substates() for sub in (child, *_descendants(child))]


class TabOwner(Middleware):
    async def preprocess(self, app, state: BaseState, event) -> None:
        sid = state.router_data.get(RouteVar.SESSION_ID, "")
        if not sid:  # not an event from a browser's socket
            return None
        session = await state.get_state(SessionState)
        assert isinstance(session, SessionState)
        owner = session._current_owner()
        if session._owner != owner:
            for cls in _descendants(SessionState):  # load every one, so reset() reaches it
                await state.get_state(cls)
            session.reset()
            session._owner = owner
        return None
