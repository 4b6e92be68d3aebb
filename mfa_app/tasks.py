"""The backend's periodic housekeeping (mfa_app/accounts/housekeeping.py), started from the app's
lifespan. Every backend worker runs one: a purge deletes only what is long dead, so two workers
purging at once cost a retried transaction at most."""

from __future__ import annotations

import asyncio
import logging

from mfa_app.accounts import housekeeping
from mfa_app.state.service import context

log = logging.getLogger("mfa_app.housekeeping")


async def purge_periodically() -> None:
    """Purge at start, then every MFA_PURGE_INTERVAL_S; a failed purge is logged and tried
    again at the next turn."""
    while True:
        try:
            purged = await asyncio.to_thread(lambda: housekeeping.purge(context()))
            log.info("housekeeping: %s", purged)
        except Exception:
            log.exception("housekeeping failed; trying again at the next interval")
        await asyncio.sleep(context().settings.purge_interval_s)
