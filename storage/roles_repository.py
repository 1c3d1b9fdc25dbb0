"""Coordinators and administrators added in Slack, and volunteers waiting for a decision: their SQL."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from storage.models import MessageRef, Volunteer, VolunteerState
from storage.sql import Connection, InconsistentRecords, placeholders
from storage.timefmt import from_db, to_db


class RolesRepository:
    """Reads and conditional writes of coordinators and volunteers."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    # Coordinators

    async def coordinators(self) -> list[str]:
        """Coordinators added in Slack (those from the settings are not stored)."""
        cur = await self._conn.execute("SELECT user_id FROM coordinators ORDER BY user_id")
        return [row["user_id"] for row in await cur.fetchall()]

    async def is_coordinator(self, user_id: str) -> bool:
        """Whether a coordinator was added in Slack."""
        cur = await self._conn.execute("SELECT 1 FROM coordinators WHERE user_id = ?", (user_id,))
        return await cur.fetchone() is not None

    async def add_coordinator(self, user_id: str, *, added_by: str, now: datetime) -> bool:
        """Add a coordinator; True if new."""
        cur = await self._conn.execute(
            "INSERT INTO coordinators (user_id, added_by, added_at) VALUES (?, ?, ?)"
            " ON CONFLICT (user_id) DO NOTHING",
            (user_id, added_by, to_db(now)),
        )
        return cur.rowcount == 1

    async def remove_coordinator(self, user_id: str) -> bool:
        """Remove a coordinator added in Slack; True if they were one."""
        cur = await self._conn.execute("DELETE FROM coordinators WHERE user_id = ?", (user_id,))
        return cur.rowcount == 1

    # Administrators (statistics, exports and the quarterly report only)

    async def administrators(self) -> list[str]:
        """Administrators added in Slack (those from the settings are not stored)."""
        cur = await self._conn.execute("SELECT user_id FROM administrators ORDER BY user_id")
        return [row["user_id"] for row in await cur.fetchall()]

    async def is_administrator(self, user_id: str) -> bool:
        """Whether an administrator was added in Slack."""
        cur = await self._conn.execute("SELECT 1 FROM administrators WHERE user_id = ?", (user_id,))
        return await cur.fetchone() is not None

    async def add_administrator(self, user_id: str, *, added_by: str, now: datetime) -> bool:
        """Add an administrator; True if new."""
        cur = await self._conn.execute(
            "INSERT INTO administrators (user_id, added_by, added_at) VALUES (?, ?, ?)"
            " ON CONFLICT (user_id) DO NOTHING",
            (user_id, added_by, to_db(now)),
        )
        return cur.rowcount == 1

    async def remove_administrator(self, user_id: str) -> bool:
        """Remove an administrator added in Slack; True if they were one."""
        cur = await self._conn.execute("DELETE FROM administrators WHERE user_id = ?", (user_id,))
        return cur.rowcount == 1

    # Home tabs

    async def home_opened(self, user_id: str, *, now: datetime) -> None:
        """Remember that the person has opened the Home tab (when they last did)."""
        await self._conn.execute(
            "INSERT INTO home_viewers (user_id, opened_at) VALUES (?, ?)"
            " ON CONFLICT (user_id) DO UPDATE SET opened_at = excluded.opened_at",
            (user_id, to_db(now)),
        )

    async def home_viewers(self, user_ids: list[str]) -> set[str]:
        """Which of these people have opened the Home tab."""
        wanted = sorted(set(user_ids))
        if not wanted:
            return set()
        cur = await self._conn.execute(
            f"SELECT user_id FROM home_viewers WHERE user_id IN ({placeholders(len(wanted))})",
            wanted,
        )
        return {row["user_id"] for row in await cur.fetchall()}

    # Volunteers

    async def add_volunteer(self, user_id: str, *, note: str | None, now: datetime) -> Volunteer | None:
        """Record an offer to volunteer; None if this person already has one pending."""
        cur = await self._conn.execute(
            "INSERT INTO volunteers (user_id, note, state, created_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT DO NOTHING RETURNING *",
            (user_id, note, VolunteerState.PENDING, to_db(now)),
        )
        row = await cur.fetchone()
        return None if row is None else _volunteer(row)

    async def get_volunteer(self, volunteer_id: int) -> Volunteer | None:
        """One volunteer."""
        cur = await self._conn.execute("SELECT * FROM volunteers WHERE id = ?", (volunteer_id,))
        row = await cur.fetchone()
        return None if row is None else _volunteer(row)

    async def pending_volunteers(self) -> list[Volunteer]:
        """Volunteers waiting for a decision, oldest first."""
        cur = await self._conn.execute(
            "SELECT * FROM volunteers WHERE state = ? ORDER BY id", (VolunteerState.PENDING,)
        )
        return [_volunteer(row) for row in await cur.fetchall()]

    async def pending_volunteer_of(self, user_id: str) -> Volunteer | None:
        """This person's pending offer to volunteer, if any."""
        cur = await self._conn.execute(
            "SELECT * FROM volunteers WHERE user_id = ? AND state = ?", (user_id, VolunteerState.PENDING)
        )
        row = await cur.fetchone()
        return None if row is None else _volunteer(row)

    async def decide_volunteer(
        self, volunteer_id: int, target: VolunteerState, *, decided_by: str, now: datetime
    ) -> bool:
        """Approve or decline a pending volunteer; True for the one caller that decided."""
        cur = await self._conn.execute(
            "UPDATE volunteers SET state = ?, decided_by = ?, decided_at = ? WHERE id = ? AND state = ?",
            (target, decided_by, to_db(now), volunteer_id, VolunteerState.PENDING),
        )
        return cur.rowcount == 1

    # Coordinators' copies of one DM

    async def add_copy(self, topic: str, topic_id: int, coordinator_id: str, ref: MessageRef) -> None:
        """Remember where a coordinator's copy of a DM about ``topic`` (volunteer, concern) landed."""
        await self._conn.execute(
            "INSERT INTO coordinator_copies (topic, topic_id, coordinator_id, channel_id, ts)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (topic, topic_id, coordinator_id)"
            " DO UPDATE SET channel_id = excluded.channel_id, ts = excluded.ts",
            (topic, topic_id, coordinator_id, ref.channel_id, ref.ts),
        )

    async def copies(self, topic: str, topic_id: int) -> list[MessageRef]:
        """Where every coordinator's copy of a DM about ``topic`` landed."""
        cur = await self._conn.execute(
            "SELECT channel_id, ts FROM coordinator_copies WHERE topic = ? AND topic_id = ?"
            " ORDER BY coordinator_id",
            (topic, topic_id),
        )
        return [MessageRef(channel_id=row["channel_id"], ts=row["ts"]) for row in await cur.fetchall()]


def _volunteer(row: Mapping[str, Any]) -> Volunteer:
    created_at = from_db(row["created_at"])
    if created_at is None:
        raise InconsistentRecords("missing: created_at")
    return Volunteer(
        id=row["id"],
        user_id=row["user_id"],
        note=row["note"],
        state=row["state"],
        created_at=created_at,
        decided_by=row["decided_by"],
        decided_at=from_db(row["decided_at"]),
    )
