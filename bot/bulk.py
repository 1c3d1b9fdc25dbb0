"""Bulk writes that leave room for everyone else: a chunk at a time, with a pause between chunks.

One office's large incident stores thousands of rows (2,000 people, six check-ins each). Stored as
fast as the database takes them, the writes keep a database server core (and, on SQLite, the
worker's thread) busy for the whole time, and every other office's ``/peer`` on the same server
waits for a core behind them. Nothing about a check-in due hours or days later needs it stored
within the second, so a :class:`Breather` paces the run: after each chunk, the next waits in
proportion to how long the chunk took, keeping the bulk work to ``share`` of the time at most.

It measures real (monotonic) time: it paces the machine's work, not the app's schedule.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

# Rows per write transaction: short enough that a chunk holds an office's write lock (and a core)
# for a few milliseconds, long enough that a transaction's fixed cost stays small beside its rows.
ROWS_PER_CHUNK = 150
# The share of the time a run of bulk writes takes at most: half, so it pauses as long as it works.
SHARE = 0.5


@dataclass(frozen=True)
class BulkPolicy:
    """How a run of bulk writes is paced."""

    rows_per_chunk: int = ROWS_PER_CHUNK
    share: float = SHARE

    def __post_init__(self) -> None:
        if self.rows_per_chunk < 1 or not 0 < self.share <= 1:
            raise ValueError("rows_per_chunk must be positive and share in (0, 1]")


class Breather:
    """Paces chunks of bulk work: each chunk after the first waits for what the last one owed."""

    def __init__(
        self,
        share: float = SHARE,
        *,
        now: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self._rest_per_second = (1 - share) / share
        self._now = now
        self._sleep = sleep
        self._owed = 0.0
        self.rested = 0.0  # seconds paused so far

    @asynccontextmanager
    async def chunk(self) -> AsyncIterator[None]:
        """One chunk of work: paused first for the rest the previous chunk owes, then timed.

        The last chunk's rest is never taken, so a run ends as soon as its work does.
        """
        if self._owed > 0:
            await self._sleep(self._owed)
            self.rested += self._owed
        started = self._now()
        try:
            yield
        finally:
            self._owed = (self._now() - started) * self._rest_per_second
