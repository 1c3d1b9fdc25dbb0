"""The on-call rota: the only place its SQL lives."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from storage.models import OnCallShift
from storage.sql import Connection, InconsistentRecords
from storage.timefmt import from_db, to_db


class OnCallRepository:
    """Reads and writes of the ``on_call`` table."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def add(
        self,
        *,
        user_id: str,
        days: frozenset[int],
        start_minute: int,
        end_minute: int,
        created_by: str,
        now: datetime,
    ) -> OnCallShift:
        """Add one weekly shift; returns it."""
        cur = await self._conn.execute(
            "INSERT INTO on_call (user_id, days, start_minute, end_minute, created_by, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?) RETURNING *",
            (
                user_id,
                ",".join(str(d) for d in sorted(days)),
                start_minute,
                end_minute,
                created_by,
                to_db(now),
            ),
        )
        row = await cur.fetchone()
        if row is None:
            raise InconsistentRecords("an on-call shift was not stored")
        return _shift(row)

    async def shifts(self) -> list[OnCallShift]:
        """Every shift, oldest first."""
        cur = await self._conn.execute("SELECT * FROM on_call ORDER BY id")
        return [_shift(row) for row in await cur.fetchall()]

    async def remove(self, shift_id: int) -> OnCallShift | None:
        """Remove one shift; returns it, or None if there was none with that number."""
        cur = await self._conn.execute("DELETE FROM on_call WHERE id = ? RETURNING *", (shift_id,))
        row = await cur.fetchone()
        return None if row is None else _shift(row)


def _shift(row: Mapping[str, Any]) -> OnCallShift:
    created_at = from_db(row["created_at"])
    if created_at is None:
        raise InconsistentRecords("missing: created_at")
    return OnCallShift(
        id=row["id"],
        user_id=row["user_id"],
        days=frozenset(int(d) for d in str(row["days"]).split(",") if d),
        start_minute=int(row["start_minute"]),
        end_minute=int(row["end_minute"]),
        created_by=row["created_by"],
        created_at=created_at,
    )
