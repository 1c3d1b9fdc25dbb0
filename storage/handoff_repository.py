"""Work handed from the web process to the worker (``handoffs``): the only place its SQL lives."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage.sql import Connection, InconsistentRecords, placeholders
from storage.timefmt import to_db

DUE = "due"
CLAIMED = "claimed"


@dataclass(frozen=True)
class HandoffRow:
    """One piece of work after an ack: its kind and its ids."""

    id: int
    kind: str
    args: Mapping[str, Any]
    claimed: bool = False  # claimed by a worker that died before it finished


class HandoffRepository:
    """Adds, claims (conditional updates), releases and finishes handoffs."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def add(self, kind: str, args: Mapping[str, Any], now: datetime) -> int:
        """Record work for the worker; returns its id."""
        cur = await self._conn.execute(
            "INSERT INTO handoffs (kind, args, state, created_at) VALUES (?, ?, ?, ?) RETURNING id",
            (kind, json.dumps(dict(args), separators=(",", ":")), DUE, to_db(now)),
        )
        row = await cur.fetchone()
        if row is None:
            raise InconsistentRecords("a handoff was inserted without an id")
        return int(row["id"])

    async def claimable(self, stale_before: datetime, limit: int) -> list[HandoffRow]:
        """Due rows, and rows claimed before ``stale_before`` (their worker died), oldest first."""
        cur = await self._conn.execute(
            "SELECT id, kind, args, state FROM handoffs WHERE state = ? OR (state = ? AND claimed_at < ?)"
            " ORDER BY id LIMIT ?",
            (DUE, CLAIMED, to_db(stale_before), limit),
        )
        return [
            HandoffRow(
                id=row["id"], kind=row["kind"], args=json.loads(row["args"]), claimed=row["state"] == CLAIMED
            )
            for row in await cur.fetchall()
        ]

    async def claim(self, handoff_id: int, now: datetime, stale_before: datetime) -> bool:
        """Claim one row; True for exactly one claimant."""
        cur = await self._conn.execute(
            "UPDATE handoffs SET state = ?, claimed_at = ?"
            " WHERE id = ? AND (state = ? OR (state = ? AND claimed_at < ?))",
            (CLAIMED, to_db(now), handoff_id, DUE, CLAIMED, to_db(stale_before)),
        )
        return cur.rowcount == 1

    async def finish(self, handoff_id: int) -> None:
        """The work is done: the row (and the ids in it) goes."""
        await self._conn.execute("DELETE FROM handoffs WHERE id = ?", (handoff_id,))

    async def release(self, handoff_ids: Iterable[int]) -> int:
        """Give claimed rows back (a worker stopping before it started them); returns how many."""
        ids = list(handoff_ids)
        if not ids:
            return 0
        cur = await self._conn.execute(
            "UPDATE handoffs SET state = ?, claimed_at = NULL"
            f" WHERE state = ? AND id IN ({placeholders(len(ids))})",
            (DUE, CLAIMED, *ids),
        )
        return cur.rowcount

    async def count(self) -> int:
        """Rows not yet finished (due or claimed)."""
        cur = await self._conn.execute("SELECT COUNT(*) AS n FROM handoffs")
        row = await cur.fetchone()
        return 0 if row is None else int(row["n"])

    async def work_waiting(
        self, *, stale_before: datetime, after_request_id: int, now: datetime, notice_kinds: Iterable[str]
    ) -> bool:
        """Whether the worker has something to pick up: a handoff, a request newer than
        ``after_request_id`` still pending, or a notice due (one cheap read, for the poll)."""
        kinds = sorted(notice_kinds)
        cur = await self._conn.execute(
            "SELECT 1 AS hit FROM handoffs WHERE state = ? OR (state = ? AND claimed_at < ?)"
            " UNION ALL SELECT 1 AS hit FROM peer_requests WHERE state = ? AND id > ?"
            " UNION ALL SELECT 1 AS hit FROM scheduled_messages WHERE state = ? AND due_at <= ?"
            f" AND kind IN ({placeholders(len(kinds))})"
            " LIMIT 1",
            (DUE, CLAIMED, to_db(stale_before), "pending", after_request_id, "due", to_db(now), *kinds),
        )
        return await cur.fetchone() is not None

    async def pending_request_ids(self, after_request_id: int) -> list[int]:
        """Requests newer than ``after_request_id`` still pending (new ones the web process stored)."""
        cur = await self._conn.execute(
            "SELECT id FROM peer_requests WHERE state = ? AND id > ? ORDER BY id",
            ("pending", after_request_id),
        )
        return [int(row["id"]) for row in await cur.fetchall()]
