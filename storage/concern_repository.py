"""Concerns raised about colleagues: the only place their SQL lives."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from storage.models import Concern, ConcernState, MessageRef
from storage.sql import Connection, InconsistentRecords
from storage.timefmt import from_db, to_db


class ConcernRepository:
    """Reads and conditional writes of concerns."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def create(self, *, subject_id: str, raised_by: str | None, note: str | None, now: datetime) -> int:
        """Store an open concern; returns its id."""
        cur = await self._conn.execute(
            "INSERT INTO concerns (subject_id, raised_by, note, state, created_at) VALUES (?, ?, ?, ?, ?)"
            " RETURNING id",
            (subject_id, raised_by, note, ConcernState.OPEN, to_db(now)),
        )
        row = await cur.fetchone()
        if row is None:
            raise InconsistentRecords("missing: row")
        return int(row["id"])

    async def get(self, concern_id: int) -> Concern | None:
        """One concern."""
        cur = await self._conn.execute("SELECT * FROM concerns WHERE id = ?", (concern_id,))
        row = await cur.fetchone()
        return None if row is None else _concern(row)

    async def handle(
        self, concern_id: int, target: ConcernState, *, by: str, supporter_id: str | None, now: datetime
    ) -> bool:
        """Take an open concern (or hand it to a supporter); True for the one coordinator who did."""
        cur = await self._conn.execute(
            "UPDATE concerns SET state = ?, handled_by = ?, supporter_id = ?, handled_at = ?"
            " WHERE id = ? AND state = ?",
            (target, by, supporter_id, to_db(now), concern_id, ConcernState.OPEN),
        )
        return cur.rowcount == 1

    async def open_count(self, *, not_about: str) -> int:
        """How many concerns no coordinator has acted on yet, leaving out those about ``not_about``."""
        cur = await self._conn.execute(
            "SELECT COUNT(*) AS n FROM concerns WHERE state = ? AND subject_id != ?",
            (ConcernState.OPEN, not_about),
        )
        row = await cur.fetchone()
        return 0 if row is None else int(row["n"])

    async def handled_alerts(self, *, handled_before: datetime, copies_topic: str) -> list[MessageRef]:
        """Where the alerts of concerns a coordinator acted on before ``handled_before`` landed."""
        copies, params = _handled_copies(handled_before, copies_topic)
        cur = await self._conn.execute(
            f"SELECT channel_id, ts FROM {copies} ORDER BY topic_id, coordinator_id",
            params,
        )
        return [MessageRef(channel_id=row["channel_id"], ts=row["ts"]) for row in await cur.fetchall()]

    async def purge_handled(self, *, handled_before: datetime, copies_topic: str) -> int:
        """Delete concerns a coordinator acted on before ``handled_before``, and where their alerts
        landed; returns how many. Open concerns stay: they are still someone's work."""
        copies, params = _handled_copies(handled_before, copies_topic)
        await self._conn.execute(f"DELETE FROM {copies}", params)
        cur = await self._conn.execute(f"DELETE FROM concerns WHERE {_HANDLED}", params[1:])
        return cur.rowcount


_HANDLED = "state != ? AND handled_at <= ?"


def _handled_copies(handled_before: datetime, topic: str) -> tuple[str, tuple[Any, ...]]:
    """The coordinator copies of concerns handled before a time: the clause and its parameters."""
    clause = f"coordinator_copies WHERE topic = ? AND topic_id IN (SELECT id FROM concerns WHERE {_HANDLED})"
    return clause, (topic, ConcernState.OPEN, to_db(handled_before))


def _concern(row: Mapping[str, Any]) -> Concern:
    created_at = from_db(row["created_at"])
    if created_at is None:
        raise InconsistentRecords("missing: created_at")
    return Concern(
        id=row["id"],
        subject_id=row["subject_id"],
        raised_by=row["raised_by"],
        note=row["note"],
        state=row["state"],
        handled_by=row["handled_by"],
        supporter_id=row["supporter_id"],
        created_at=created_at,
        handled_at=from_db(row["handled_at"]),
    )
