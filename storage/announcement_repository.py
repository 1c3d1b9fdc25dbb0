"""Announced events, their RSVPs, and the scheduled posts about them: the only place their SQL lives."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage.models import (
    Announcement,
    AnnouncementKind,
    AnnouncementState,
    MessageRef,
    ScheduledKind,
    ScheduledState,
)
from storage.sql import Connection, InconsistentRecords, placeholders
from storage.timefmt import from_db, to_db

# Those going: the names still kept, plus the count kept when the names were purged.
_WITH_GOING = (
    "SELECT a.*, COALESCE(a.purged_going, 0)"
    " + (SELECT COUNT(*) FROM rsvps r WHERE r.announcement_id = a.id) AS going FROM announcements a"
)


@dataclass(frozen=True)
class EventFields:
    """What a coordinator writes about an event (the channel is fixed once announced)."""

    title: str
    kind: AnnouncementKind
    starts_at: datetime
    ends_at: datetime | None
    place: str
    description: str | None


class AnnouncementRepository:
    """Reads and conditional writes of announcements and RSVPs."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def create(self, fields: EventFields, *, channel_id: str, created_by: str, now: datetime) -> int:
        """Store a scheduled event; returns its id."""
        cur = await self._conn.execute(
            "INSERT INTO announcements (title, kind, starts_at, ends_at, place, description, channel_id,"
            " state, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " RETURNING id",
            (
                *_fields(fields),
                channel_id,
                AnnouncementState.SCHEDULED,
                created_by,
                to_db(now),
                to_db(now),
            ),
        )
        row = await cur.fetchone()
        if row is None:
            raise InconsistentRecords("missing: row")
        return int(row["id"])

    async def update(
        self, announcement_id: int, fields: EventFields, *, new_revision: bool, now: datetime
    ) -> bool:
        """Change a scheduled event (a moved start bumps the revision); True if it changed."""
        cur = await self._conn.execute(
            "UPDATE announcements SET title = ?, kind = ?, starts_at = ?, ends_at = ?, place = ?,"
            " description = ?, revision = revision + ?, edits = edits + 1, updated_at = ?"
            " WHERE id = ? AND state = ?",
            (*_fields(fields), int(new_revision), to_db(now), announcement_id, AnnouncementState.SCHEDULED),
        )
        return cur.rowcount == 1

    async def cancel(self, announcement_id: int, *, now: datetime) -> bool:
        """Cancel a scheduled event; True for the one caller that cancelled it."""
        cur = await self._conn.execute(
            "UPDATE announcements SET state = ?, updated_at = ? WHERE id = ? AND state = ?",
            (AnnouncementState.CANCELLED, to_db(now), announcement_id, AnnouncementState.SCHEDULED),
        )
        return cur.rowcount == 1

    async def get(self, announcement_id: int) -> Announcement | None:
        """One event, with how many are going."""
        cur = await self._conn.execute(f"{_WITH_GOING} WHERE a.id = ?", (announcement_id,))
        row = await cur.fetchone()
        return None if row is None else _announcement(row)

    async def upcoming(self, now: datetime, *, limit: int = 20) -> list[Announcement]:
        """Scheduled events that have not ended yet, soonest first."""
        cur = await self._conn.execute(
            f"{_WITH_GOING} WHERE a.state = ? AND COALESCE(a.ends_at, a.starts_at) > ?"
            " ORDER BY a.starts_at, a.id LIMIT ?",
            (AnnouncementState.SCHEDULED, to_db(now), limit),
        )
        return [_announcement(row) for row in await cur.fetchall()]

    async def toggle_rsvp(self, announcement_id: int, user_id: str, *, now: datetime) -> bool:
        """Put the person in, or take them out; True if they are going now."""
        cur = await self._conn.execute(
            "DELETE FROM rsvps WHERE announcement_id = ? AND user_id = ?", (announcement_id, user_id)
        )
        if cur.rowcount == 1:
            return False
        await self._conn.execute(
            "INSERT INTO rsvps (announcement_id, user_id, created_at) VALUES (?, ?, ?)",
            (announcement_id, user_id, to_db(now)),
        )
        return True

    async def attendees(self, announcement_id: int) -> list[str]:
        """Who is going, in the order they said so."""
        cur = await self._conn.execute(
            "SELECT user_id FROM rsvps WHERE announcement_id = ? ORDER BY created_at, user_id",
            (announcement_id,),
        )
        return [row["user_id"] for row in await cur.fetchall()]

    async def going_to(self, user_id: str, announcement_ids: list[int]) -> set[int]:
        """Which of these events the person is going to."""
        if not announcement_ids:
            return set()
        cur = await self._conn.execute(
            "SELECT announcement_id FROM rsvps WHERE user_id = ?"
            f" AND announcement_id IN ({placeholders(len(announcement_ids))})",
            (user_id, *announcement_ids),
        )
        return {row["announcement_id"] for row in await cur.fetchall()}

    async def attendance(self, start: datetime, end: datetime) -> dict[str, tuple[int, int]]:
        """Events that started in [start, end) and were not cancelled: kind → (held, going)."""
        cur = await self._conn.execute(
            f"SELECT e.kind AS kind, COUNT(*) AS held, SUM(e.going) AS going FROM ({_WITH_GOING}"
            " WHERE a.state = ? AND a.starts_at >= ? AND a.starts_at < ?) e GROUP BY e.kind",
            (AnnouncementState.SCHEDULED, to_db(start), to_db(end)),
        )
        return {row["kind"]: (int(row["held"]), int(row["going"])) for row in await cur.fetchall()}

    async def purge_rsvps(self, *, ended_before: datetime) -> int:
        """Forget who went to events that ended before ``ended_before``, keeping how many; returns
        how many names were forgotten."""
        ended = "COALESCE(ends_at, starts_at) <= ?"
        cur = await self._conn.execute(
            "UPDATE announcements SET purged_going = COALESCE(purged_going, 0)"
            " + (SELECT COUNT(*) FROM rsvps r WHERE r.announcement_id = announcements.id)"
            f" WHERE {ended} AND EXISTS (SELECT 1 FROM rsvps r WHERE r.announcement_id = announcements.id)",
            (to_db(ended_before),),
        )
        if cur.rowcount == 0:
            return 0
        cur = await self._conn.execute(
            f"DELETE FROM rsvps WHERE announcement_id IN (SELECT id FROM announcements WHERE {ended})",
            (to_db(ended_before),),
        )
        return cur.rowcount

    async def post_ref(self, announcement_id: int) -> MessageRef | None:
        """Where the event's announcement was posted, once it was."""
        cur = await self._conn.execute(
            "SELECT channel_id, message_ts FROM scheduled_messages WHERE announcement_id = ? AND kind = ?"
            " AND state = ? AND message_ts IS NOT NULL ORDER BY id LIMIT 1",
            (announcement_id, ScheduledKind.ANNOUNCEMENT, ScheduledState.SENT),
        )
        row = await cur.fetchone()
        return None if row is None else MessageRef(channel_id=row["channel_id"], ts=row["message_ts"])

    async def cancel_due(self, announcement_id: int, kinds: list[ScheduledKind]) -> int:
        """Cancel the event's messages of ``kinds`` that are still due."""
        if not kinds:
            return 0
        cur = await self._conn.execute(
            "UPDATE scheduled_messages SET state = ? WHERE announcement_id = ? AND state = ?"
            f" AND kind IN ({placeholders(len(kinds))})",
            (ScheduledState.CANCELLED, announcement_id, ScheduledState.DUE, *kinds),
        )
        return cur.rowcount


def _fields(fields: EventFields) -> tuple[Any, ...]:
    return (
        fields.title,
        fields.kind,
        to_db(fields.starts_at),
        to_db(fields.ends_at) if fields.ends_at else None,
        fields.place,
        fields.description,
    )


def _announcement(row: Mapping[str, Any]) -> Announcement:
    starts_at, created_at, updated_at = (from_db(row[c]) for c in ("starts_at", "created_at", "updated_at"))
    if starts_at is None or created_at is None or updated_at is None:
        raise InconsistentRecords("an announcement row without its times")
    return Announcement(
        id=row["id"],
        title=row["title"],
        kind=row["kind"],
        starts_at=starts_at,
        ends_at=from_db(row["ends_at"]),
        place=row["place"],
        description=row["description"],
        channel_id=row["channel_id"],
        state=row["state"],
        revision=row["revision"],
        edits=row["edits"],
        created_by=row["created_by"],
        created_at=created_at,
        updated_at=updated_at,
        going=int(row["going"]),
    )
