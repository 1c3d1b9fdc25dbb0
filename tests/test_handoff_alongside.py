"""Long handoffs (an incident's preparation) run beside the worker's loop, on the real database.

The worker's loop claims them and goes on; when one ends, its row is deleted and the loop's
``after_alongside`` runs (the notices it recorded, the delivery job armed). One that outlives its
lease is slow, not dead: the worker running it never starts it a second time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.background import Background
from bot.clock import ManualClock
from bot.handoff import Handoff, HandoffKind, ProcessRole
from storage.db import Database

NOW = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)


async def test_a_long_handoff_runs_beside_the_loop_once_even_past_its_lease(db: Database) -> None:
    clock, background = ManualClock(NOW), Background()
    handoff = Handoff(db=db, clock=clock, background=background, role=ProcessRole.WORKER)
    started: list[Mapping[str, Any]] = []
    quick: list[Mapping[str, Any]] = []
    finish = asyncio.Event()
    after: list[str] = []

    async def prepare(args: Mapping[str, Any]) -> None:
        started.append(args)
        await finish.wait()

    async def homes(args: Mapping[str, Any]) -> None:
        quick.append(args)

    async def then() -> None:
        after.append("notices sent, job armed")

    handoff.register(HandoffKind.PREPARE_INCIDENT, prepare)
    handoff.register(HandoffKind.HOMES, homes)
    async with db.transaction() as tx:
        await tx.handoffs.add(HandoffKind.PREPARE_INCIDENT, {"incident_id": 7}, NOW)
        await tx.handoffs.add(HandoffKind.HOMES, {"user_ids": ["U1"]}, NOW)

    # The preparation is claimed and started; the quick one after it is done without waiting for it.
    assert await handoff.run_due(stopping=lambda: False, after_alongside=then) == 2
    await asyncio.sleep(0)
    assert started == [{"incident_id": 7}] and quick == [{"user_ids": ["U1"]}] and after == []

    # Its lease is over and it is still running: this worker does not start it again.
    clock.advance(handoff.lease + timedelta(minutes=1))
    assert await handoff.run_due(stopping=lambda: False, after_alongside=then) == 0
    await asyncio.sleep(0)
    assert len(started) == 1

    finish.set()
    await background.drain()
    assert after == ["notices sent, job armed"]
    async with db.read() as tx:
        assert await tx.handoffs.claimable(clock.now(), 10) == []  # done and deleted
