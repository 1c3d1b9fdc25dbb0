"""The program's migrations upgrade a database that already holds a roster."""

from __future__ import annotations

from pathlib import Path

import aiosqlite

from storage.db import Database
from storage.migrations import MIGRATIONS, _statements


async def test_an_existing_roster_keeps_its_training_dates_as_basic_courses(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    async with aiosqlite.connect(path) as conn:
        await conn.execute("CREATE TABLE schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT)")
        for name, sql in MIGRATIONS[:2]:  # the core, before the program existed
            for statement in _statements(sql):
                await conn.execute(statement)
            await conn.execute("INSERT INTO schema_migrations (name) VALUES (?)", (name,))
        await conn.execute(
            "INSERT INTO supporters (user_id, trained_on, added_at) VALUES"
            " ('USUP1', '2026-01-15', '2026-01-01T00:00:00.000000+00:00'),"
            " ('USUP2', NULL, '2026-01-01T00:00:00.000000+00:00')"
        )
        await conn.commit()

    db = await Database.open(f"sqlite:///{path}")
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
