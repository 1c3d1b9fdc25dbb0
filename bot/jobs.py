"""Scheduler wiring: one thin, idempotent periodic job; the database holds the truth."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

log = logging.getLogger(__name__)

SWEEP_JOB_ID = "peer-support-sweep"


def start_scheduler(sweep: Callable[[], Awaitable[None]], *, every_seconds: float) -> AsyncIOScheduler:
    """Start (inside the running loop) a scheduler that runs ``sweep`` periodically.

    Deadlines live in the database, so the job only asks "what is due now?":
    a missed or doubled run changes nothing, and nothing is lost across a restart.
    """
    scheduler = AsyncIOScheduler(timezone=UTC)
    scheduler.add_job(
        _guarded(sweep),
        IntervalTrigger(seconds=every_seconds, timezone=UTC),
        id=SWEEP_JOB_ID,
        replace_existing=True,
        max_instances=1,
        coalesce=True,
        misfire_grace_time=None,
    )
    scheduler.start()
    return scheduler


def _guarded(sweep: Callable[[], Awaitable[None]]) -> Callable[[], Awaitable[None]]:
    async def run() -> None:
        try:
            await sweep()
        except Exception as exc:  # noqa: BLE001 - the next run tries again
            log.error("sweep failed: %s", type(exc).__name__)

    return run
