"""The program's migrations upgrade a database that already holds a roster and scheduled check-ins."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from storage import migrations
from storage.db import Database
from storage.models import ScheduledKind
from storage.schedule_repository import NewScheduled

ADDED = "2026-01-01T00:00:00.000000+00:00"
DUE = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
# Main's steps, before the program existed.
CORE = [step for step in migrations.MIGRATIONS if step[0] < "0007"]


async def _database_before_the_program(database_url: str, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(migrations, "MIGRATIONS", CORE)
    db = await Database.open(database_url)
    try:
        async with db.transaction() as tx:
            await tx.conn.execute(
                "INSERT INTO supporters (user_id, trained_on, added_at) VALUES"
                " ('USUP1', '2026-01-15', ?), ('USUP2', NULL, ?)",
                (ADDED, ADDED),
            )
            result = await tx.conn.execute(
                "INSERT INTO incidents (kind, name, occurred_on, state, offsets, created_by, created_at)"
                " VALUES ('critical_incident', 'Courthouse', '2026-11-30', 'open', '[86400]', 'UCOORD', ?)"
                " RETURNING id",
                (ADDED,),
            )
            row = await result.fetchone()
            assert row is not None
            incident_id = int(row["id"])
            await tx.conn.execute(
                "INSERT INTO scheduled_messages (kind, recipient_id, incident_id, seq, due_at, state)"
                " VALUES ('checkin', 'UAFF1', ?, 1, ?, 'due')",
                (incident_id, DUE.isoformat()),
            )
    finally:
        await db.close()
    monkeypatch.undo()
    return incident_id


async def test_an_existing_roster_keeps_its_training_dates_as_basic_courses(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _database_before_the_program(database_url, monkeypatch)
    db = await Database.open(database_url)
    try:
        async with db.read() as tx:
            trainings = await tx.roster.trainings()
            supporters = {s.user_id: s for s in await tx.roster.all()}
    finally:
        await db.close()
    assert [(t.user_id, t.kind, t.completed_on.isoformat()) for t in trainings] == [
        ("USUP1", "basic", "2026-01-15")
    ]
    assert supporters["USUP1"].trained_on is not None and not supporters["USUP1"].suspended
    assert supporters["USUP2"].trained_on is None and supporters["USUP2"].unreachable is None


async def test_check_ins_scheduled_before_the_upgrade_are_still_scheduled_once(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    incident_id = await _database_before_the_program(database_url, monkeypatch)
    db = await Database.open(database_url)
    try:
        again = NewScheduled(
            kind=ScheduledKind.CHECKIN, recipient_id="UAFF1", due_at=DUE, incident_id=incident_id, seq=1
        )
        async with db.transaction() as tx:
            # The row from before the upgrade got the key the code derives, so this is a repeat.
            assert await tx.schedule.schedule([again]) == 0
            # 0004's index is gone: rows it would have confused (same kind, recipient and seq,
            # no incident or request) are told apart by their keys.
            reminders = [
                NewScheduled(
                    kind=ScheduledKind.EVENT_REMINDER, recipient_id="CEVENTS", due_at=DUE, dedupe_key=key
                )
                for key in ("event:1:r0:3600", "event:2:r0:3600")
            ]
            assert await tx.schedule.schedule(reminders) == 2
            assert await tx.schedule.schedule(reminders) == 0
    finally:
        await db.close()
