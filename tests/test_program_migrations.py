"""The program's migrations upgrade a database that already holds a roster and scheduled check-ins."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import UTC, datetime

import pytest

from storage import migrations
from storage.db import Database
from storage.models import ScheduledKind, ScheduledState
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


async def test_a_check_in_row_updates_only_the_indexes_its_queries_need(
    db: Database, database_url: str
) -> None:
    # 0033 and 0034: an incident's check-ins are the bulk of what an office writes, and on a shared
    # PostgreSQL server other offices wait for the cores storing them takes.
    async with db.read() as tx:
        if db.dialect == "postgresql":
            indexes = await tx.conn.execute(
                "SELECT indexname, indexdef FROM pg_indexes"
                " WHERE schemaname = current_schema() AND tablename = 'scheduled_messages'"
            )
            found = {row["indexname"]: row["indexdef"] for row in await indexes.fetchall()}
            foreign = await tx.conn.execute(
                "SELECT a.attname FROM pg_constraint c JOIN pg_attribute a"
                " ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)"
                " WHERE c.conrelid = 'scheduled_messages'::regclass AND c.contype = 'f'"
            )
            checked = {row["attname"] for row in await foreign.fetchall()}
        else:
            indexes = await tx.conn.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'scheduled_messages'"
            )
            found = {row["name"]: row["sql"] or "" for row in await indexes.fetchall()}
            foreign = await tx.conn.execute(
                "SELECT \"from\" FROM pragma_foreign_key_list('scheduled_messages')"
            )
            checked = {row["from"] for row in await foreign.fetchall()}
            # The partial index still serves a query naming an announcement (the plan is read on a
            # connection of its own: the repositories' connection returns rows for queries only).
            with closing(sqlite3.connect(database_url.removeprefix("sqlite:///"))) as conn:
                plan = conn.execute(
                    "EXPLAIN QUERY PLAN SELECT channel_id, message_ts FROM scheduled_messages"
                    " WHERE announcement_id = ? AND kind = ?",
                    (1, ScheduledKind.ANNOUNCEMENT),
                ).fetchall()
            assert any("scheduled_announcement" in detail for *_, detail in plan), plan
    assert "WHERE" in found["scheduled_announcement"]
    assert "announcement_id IS NOT NULL" in found["scheduled_announcement"]
    assert {"scheduled_due", "scheduled_incident", "scheduled_dedupe"} <= found.keys()
    if db.dialect == "postgresql":
        # The row itself, when it is due, its incident, its key and the announcement index (empty
        # for check-ins): 0002's never-firing UNIQUE and the per-row check of incident_id are gone.
        assert sorted(found) == [
            "scheduled_announcement",
            "scheduled_dedupe",
            "scheduled_due",
            "scheduled_incident",
            "scheduled_messages_pkey",
        ]
        assert checked == {"request_id", "announcement_id"}
    else:
        # SQLite keeps both (it cannot drop a constraint without rebuilding the table).
        assert checked == {"incident_id", "request_id", "announcement_id"}


async def test_on_sqlite_a_check_in_for_an_incident_that_does_not_exist_is_refused(db: Database) -> None:
    if db.dialect != "sqlite":
        pytest.skip("PostgreSQL does not check incident_id per row (0034); SQLite still does")
    orphan = NewScheduled(
        kind=ScheduledKind.CHECKIN, recipient_id="UAFF1", due_at=DUE, incident_id=4242, seq=1
    )
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        async with db.transaction() as tx:
            await tx.schedule.schedule([orphan])
    async with db.read() as tx:
        assert await tx.schedule.progress(4242) == {}


async def test_incidents_prepared_before_steps_were_stored_as_they_come_keep_every_step(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(migrations, "MIGRATIONS", [s for s in migrations.MIGRATIONS if s[0] < "0035"])
    db = await Database.open(database_url)
    try:
        async with db.transaction() as tx:
            ids = []
            for state in ("open", "preparing"):
                result = await tx.conn.execute(
                    "INSERT INTO incidents (kind, name, occurred_on, state, offsets, created_by, created_at)"
                    " VALUES ('critical_incident', 'Courthouse', '2026-11-30', ?, '[86400, 259200]',"
                    " 'UCOORD', ?) RETURNING id",
                    (state, ADDED),
                )
                row = await result.fetchone()
                assert row is not None
                ids.append(int(row["id"]))
            opened, preparing = ids
            for incident_id, user_id in ((opened, "UAFF1"), (opened, "UGONE"), (preparing, "UAFF2")):
                await tx.conn.execute(
                    "INSERT INTO incident_members (incident_id, user_id) VALUES (?, ?)",
                    (incident_id, user_id),
                )
            # Prepared the old way: every step stored at once; who could not be reached, skipped.
            await tx.schedule.schedule(
                [
                    NewScheduled(
                        kind=ScheduledKind.CHECKIN,
                        recipient_id="UAFF1",
                        due_at=DUE,
                        incident_id=opened,
                        seq=seq,
                    )
                    for seq in (1, 2)
                ]
                + [
                    NewScheduled(
                        kind=ScheduledKind.CHECKIN,
                        recipient_id="UGONE",
                        due_at=DUE,
                        incident_id=opened,
                        state=ScheduledState.SKIPPED,
                    )
                ]
            )
    finally:
        await db.close()
    monkeypatch.undo()

    db = await Database.open(database_url)
    try:
        async with db.read() as tx:
            before = await tx.incidents.get_incident(opened)
            still = await tx.incidents.get_incident(preparing)
            checked_in = await tx.incidents.to_check_in(opened)
            unstored = await tx.schedule.not_yet_stored(opened, stored=2, steps=2)
    finally:
        await db.close()
    # Nothing of the open one is stored again, and its skipped member stays skipped (a step added
    # later goes to UAFF1 alone); the preparing one stores its first step when prepared.
    assert before is not None and before.steps_stored == 2 and unstored == {}
    assert still is not None and still.steps_stored == 0
    assert [p.user_id for p in checked_in] == ["UAFF1"]
