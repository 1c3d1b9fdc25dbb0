"""Scheduler wiring: thin, idempotent jobs over APScheduler; the database holds the truth.

Two interval jobs ask the database what is due (offers to expire, requests to route;
check-ins and reminders to send), so a missed or doubled run changes nothing and a
restart loses nothing. On top, one date job is kept armed for the next check-in's due
time, so check-ins go out on the minute rather than at the next interval.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.background import Background
from bot.failures import failure
from bot.ports import Clock

log = logging.getLogger(__name__)

SWEEP_JOB_ID = "peer-support-sweep"
DELIVERY_JOB_ID = "peer-support-deliveries"
NEXT_DELIVERY_JOB_ID = "peer-support-next-delivery"


class Jobs:
    """The app's scheduled jobs."""

    def __init__(
        self,
        *,
        sweep: Callable[[], Awaitable[None]],
        deliver: Callable[[], Awaitable[int]],
        next_due: Callable[[], Awaitable[datetime | None]],
        clock: Clock,
        every_seconds: float,
        background: Background,
    ) -> None:
        self._sweep = sweep
        self._deliver = deliver
        self._next_due = next_due
        self._clock = clock
        self._every = every_seconds
        self._background = background
        self._running: set[str] = set()
        self._scheduler = AsyncIOScheduler(timezone=UTC)

    def start(self) -> None:
        """Start (inside the running loop)."""
        for job_id, func in ((SWEEP_JOB_ID, self._tick_sweep), (DELIVERY_JOB_ID, self._tick_deliveries)):
            self._scheduler.add_job(
                func,
                IntervalTrigger(seconds=self._every, timezone=UTC),
                id=job_id,
                replace_existing=True,
                max_instances=1,
                coalesce=True,
                misfire_grace_time=None,
            )
        self._scheduler.start()

    async def run_deliveries(self) -> None:
        """Send what is due, then arm the date job for what comes next."""
        try:
            await self._deliver()
            await self.arm()
        except Exception as exc:  # noqa: BLE001 - the next run tries again
            log.error("deliveries failed: %s", failure(exc))

    async def arm(self) -> None:
        """Keep one date job armed for the next due time (re-registered at every start)."""
        due = await self._next_due()
        if due is None or not self._scheduler.running:
            return
        # Due times are in the app's clock; the scheduler runs on the wall clock.
        delay = max(due - self._clock.now(), timedelta(0))
        self._scheduler.add_job(
            self._tick_deliveries,
            DateTrigger(run_date=datetime.now(UTC) + delay, timezone=UTC),
            id=NEXT_DELIVERY_JOB_ID,
            replace_existing=True,
            misfire_grace_time=None,
        )

    async def _run_sweep(self) -> None:
        try:
            await self._sweep()
        except Exception as exc:  # noqa: BLE001 - the next run tries again
            log.error("sweep failed: %s", failure(exc))

    # The scheduler only starts the work: it runs as a tracked background task, so stopping
    # the app lets a run finish instead of cancelling it between a claim and its send.

    async def _tick_sweep(self) -> None:
        self._start_once(SWEEP_JOB_ID, self._run_sweep)

    async def _tick_deliveries(self) -> None:
        self._start_once(DELIVERY_JOB_ID, self.run_deliveries)

    def _start_once(self, name: str, work: Callable[[], Coroutine[Any, Any, None]]) -> None:
        if name in self._running:
            return  # the previous run is still going; it will pick up whatever is due
        self._running.add(name)
        task = self._background.spawn(work(), name=name)
        task.add_done_callback(lambda _: self._running.discard(name))

    def shutdown(self) -> None:
        """Stop without waiting for running jobs (their work is claimed in the database)."""
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
