"""Scheduled messages (check-ins, reminders, notices): the only place their SQL lives."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage.models import MessageRef, ScheduledKind, ScheduledMessage, ScheduledState
from storage.sql import Connection, InconsistentRecords, placeholders, rows_per_insert, value_rows
from storage.timefmt import from_db, to_db

_COLUMNS = 11
_CHUNK = rows_per_insert(_COLUMNS)


@dataclass(frozen=True)
class NewScheduled:
    """A message to schedule."""

    kind: ScheduledKind
    recipient_id: str
    due_at: datetime
    incident_id: int | None = None
    request_id: int | None = None
    seq: int = 0
    state: ScheduledState = ScheduledState.DUE
    reason: str | None = None
    dedupe_key: str | None = None  # scheduled at most once ever under this key
    announcement_id: int | None = None
    subject_id: str | None = None  # whom it is about, when not the recipient

    @property
    def key(self) -> str:
        """The key that makes scheduling idempotent: the given one, else kind, recipient, subject and seq.

        0002's UNIQUE (kind, recipient_id, incident_id, request_id, seq) never fired for a row with
        a NULL in it (NULLs are distinct), and every row has one (PostgreSQL no longer keeps it,
        0034): this key is what keeps a message scheduled once.
        """
        if self.dedupe_key is not None:
            return self.dedupe_key
        return (
            f"{self.kind}:{self.recipient_id}:{self.incident_id or '-'}:{self.request_id or '-'}:{self.seq}"
        )


class ScheduleRepository:
    """Reads and conditional writes of scheduled messages."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def progress(self, incident_id: int) -> dict[ScheduledState, int]:
        """How many of the incident's check-ins are in each state."""
        cur = await self._conn.execute(
            "SELECT state, COUNT(*) AS n FROM scheduled_messages WHERE incident_id = ? AND kind = ?"
            " GROUP BY state",
            (incident_id, ScheduledKind.CHECKIN),
        )
        return {ScheduledState(row["state"]): row["n"] for row in await cur.fetchall()}

    async def progress_by_step(self, incident_id: int) -> dict[int, dict[ScheduledState, int]]:
        """Per step of the plan (``seq``): how many of the incident's check-ins are in each state."""
        cur = await self._conn.execute(
            "SELECT seq, state, COUNT(*) AS n FROM scheduled_messages WHERE incident_id = ? AND kind = ?"
            " AND seq > 0 GROUP BY seq, state",
            (incident_id, ScheduledKind.CHECKIN),
        )
        steps: dict[int, dict[ScheduledState, int]] = {}
        for row in await cur.fetchall():
            steps.setdefault(int(row["seq"]), {})[ScheduledState(row["state"])] = int(row["n"])
        return steps

    async def not_yet_stored(self, incident_id: int, *, stored: int, steps: int) -> dict[int, int]:
        """Per step of the plan after its first ``stored`` (up to ``steps``): how many of its
        check-ins are still to be stored, one for each person checked in with who has none yet."""
        if stored >= steps:
            return {}
        cur = await self._conn.execute(
            "SELECT COUNT(*) AS n FROM incident_members"
            " WHERE incident_id = ? AND stopped = 0 AND skipped = 0",
            (incident_id,),
        )
        row = await cur.fetchone()
        people = 0 if row is None else int(row["n"])
        # Rows of a later step already there: people added to the incident get every step at once.
        cur = await self._conn.execute(
            "SELECT s.seq AS seq, COUNT(*) AS n FROM scheduled_messages s JOIN incident_members m"
            " ON m.incident_id = s.incident_id AND m.user_id = s.recipient_id"
            " WHERE s.incident_id = ? AND s.kind = ? AND s.seq > ? AND m.stopped = 0 AND m.skipped = 0"
            " GROUP BY s.seq",
            (incident_id, ScheduledKind.CHECKIN, stored),
        )
        there = {int(r["seq"]): int(r["n"]) for r in await cur.fetchall()}
        return {seq: max(people - there.get(seq, 0), 0) for seq in range(stored + 1, steps + 1)}

    # Scheduled messages

    async def schedule(self, rows: Iterable[NewScheduled]) -> int:
        """Insert scheduled messages (a repeated one is ignored); returns how many were new."""
        values = [
            (
                r.kind,
                r.recipient_id,
                r.incident_id,
                r.request_id,
                r.seq,
                to_db(r.due_at),
                r.state,
                r.reason,
                r.key,
                r.announcement_id,
                r.subject_id,
            )
            for r in rows
        ]
        inserted = 0
        # Multi-row inserts in chunks: one round trip per chunk, and RETURNING counts the new ones.
        for start in range(0, len(values), _CHUNK):
            chunk = values[start : start + _CHUNK]
            sql = (
                "INSERT INTO scheduled_messages (kind, recipient_id, incident_id, request_id, seq,"
                " due_at, state, reason, dedupe_key, announcement_id, subject_id) VALUES "
                + value_rows(len(chunk), _COLUMNS)
                + " ON CONFLICT DO NOTHING RETURNING id"
            )
            result = await self._conn.execute(sql, [v for row in chunk for v in row])
            inserted += len(await result.fetchall())
        return inserted

    async def due_for_request(self, request_id: int, kinds: Iterable[ScheduledKind]) -> list[int]:
        """Ids of a request's messages of ``kinds`` still due, oldest first."""
        wanted = sorted(kinds)
        cur = await self._conn.execute(
            "SELECT id FROM scheduled_messages WHERE request_id = ? AND state = ?"
            f" AND kind IN ({placeholders(len(wanted))}) ORDER BY id",
            (request_id, ScheduledState.DUE, *wanted),
        )
        return [row["id"] for row in await cur.fetchall()]

    async def due_with_keys(self, keys: Iterable[str]) -> list[int]:
        """Ids of the messages scheduled under these dedupe keys that are still due, oldest first."""
        wanted = sorted(set(keys))
        if not wanted:
            return []
        cur = await self._conn.execute(
            "SELECT id FROM scheduled_messages WHERE state = ?"
            f" AND dedupe_key IN ({placeholders(len(wanted))}) ORDER BY id",
            (ScheduledState.DUE, *wanted),
        )
        return [row["id"] for row in await cur.fetchall()]

    async def bring_forward(self, keys: Iterable[str], due_at: datetime) -> int:
        """Make the still-due messages under these dedupe keys due at ``due_at`` if later; how many moved."""
        wanted = sorted(set(keys))
        if not wanted:
            return 0
        cur = await self._conn.execute(
            f"UPDATE scheduled_messages SET due_at = ? WHERE state = ? AND due_at > ?"
            f" AND dedupe_key IN ({placeholders(len(wanted))})",
            (to_db(due_at), ScheduledState.DUE, to_db(due_at), *wanted),
        )
        return int(cur.rowcount)

    async def count_for_request(self, request_id: int, kind: ScheduledKind, recipient_id: str) -> int:
        """How many messages of ``kind`` a request has had for ``recipient_id`` (whatever their state)."""
        cur = await self._conn.execute(
            "SELECT COUNT(*) AS n FROM scheduled_messages"
            " WHERE request_id = ? AND kind = ? AND recipient_id = ?",
            (request_id, kind, recipient_id),
        )
        row = await cur.fetchone()
        return 0 if row is None else int(row["n"])

    async def sent_refs(self, recipient_id: str, kind: ScheduledKind) -> list[MessageRef]:
        """Where the messages of ``kind`` sent to ``recipient_id`` landed (the app's own records)."""
        cur = await self._conn.execute(
            "SELECT channel_id, message_ts FROM scheduled_messages WHERE recipient_id = ? AND kind = ?"
            " AND channel_id IS NOT NULL AND message_ts IS NOT NULL ORDER BY id",
            (recipient_id, kind),
        )
        return [MessageRef(channel_id=r["channel_id"], ts=r["message_ts"]) for r in await cur.fetchall()]

    async def get(self, message_id: int) -> ScheduledMessage | None:
        """One scheduled message."""
        cur = await self._conn.execute("SELECT * FROM scheduled_messages WHERE id = ?", (message_id,))
        row = await cur.fetchone()
        return None if row is None else _scheduled(row)

    async def due(
        self,
        now: datetime,
        limit: int,
        *,
        first: Iterable[ScheduledKind] = (),
        only: Iterable[ScheduledKind] | None = None,
    ) -> list[ScheduledMessage]:
        """Messages due by ``now`` (of the ``only`` kinds, if given): those of the ``first`` kinds
        (urgent), then earliest first."""
        urgent = [str(kind) for kind in first]
        rank = f"CASE WHEN kind IN ({placeholders(len(urgent))}) THEN 0 ELSE 1 END, " if urgent else ""
        kinds = None if only is None else sorted(str(kind) for kind in only)
        if kinds == []:
            return []
        among = "" if kinds is None else f" AND kind IN ({placeholders(len(kinds))})"
        cur = await self._conn.execute(
            f"SELECT * FROM scheduled_messages WHERE state = ? AND due_at <= ?{among}"
            f" ORDER BY {rank}due_at, id LIMIT ?",
            (ScheduledState.DUE, to_db(now), *(kinds or []), *urgent, limit),
        )
        return [_scheduled(row) for row in await cur.fetchall()]

    async def count_due(self, now: datetime) -> int:
        """How many messages are due by ``now`` and not yet claimed (the delivery queue's depth)."""
        cur = await self._conn.execute(
            "SELECT COUNT(*) AS n FROM scheduled_messages WHERE state = ? AND due_at <= ?",
            (ScheduledState.DUE, to_db(now)),
        )
        row = await cur.fetchone()
        return 0 if row is None else int(row["n"])

    async def next_due_at(self) -> datetime | None:
        """When the next message falls due, if any."""
        cur = await self._conn.execute(
            "SELECT MIN(due_at) AS next_due FROM scheduled_messages WHERE state = ?", (ScheduledState.DUE,)
        )
        row = await cur.fetchone()
        return None if row is None else from_db(row["next_due"])

    async def claim(self, message_id: int, now: datetime) -> bool:
        """Claim a due message for sending; True for exactly one claimant."""
        cur = await self._conn.execute(
            "UPDATE scheduled_messages SET state = ?, claimed_at = ?, attempts = attempts + 1"
            " WHERE id = ? AND state = ?",
            (ScheduledState.SENDING, to_db(now), message_id, ScheduledState.DUE),
        )
        return cur.rowcount == 1

    async def settle(
        self,
        message_id: int,
        target: ScheduledState,
        *,
        now: datetime,
        channel_id: str | None = None,
        ts: str | None = None,
        reason: str | None = None,
        due_at: datetime | None = None,
    ) -> bool:
        """Finish a claimed send: sent (with where), given up (with why), or back to due (retry)."""
        cur = await self._conn.execute(
            "UPDATE scheduled_messages SET state = ?, sent_at = COALESCE(?, sent_at),"
            " channel_id = COALESCE(?, channel_id), message_ts = COALESCE(?, message_ts),"
            " reason = COALESCE(?, reason), due_at = COALESCE(?, due_at), claimed_at = NULL"
            " WHERE id = ? AND state = ?",
            (
                target,
                to_db(now) if target == ScheduledState.SENT else None,
                channel_id,
                ts,
                reason,
                to_db(due_at) if due_at else None,
                message_id,
                ScheduledState.SENDING,
            ),
        )
        return cur.rowcount == 1

    async def transition(
        self,
        message_id: int,
        target: ScheduledState,
        *,
        only_from: Iterable[ScheduledState],
        now: datetime | None = None,
    ) -> bool:
        """Conditionally move one message; True if it moved. An answer records when (``now``)."""
        sources = sorted(only_from)
        answered_at = to_db(now) if now is not None and target == ScheduledState.ANSWERED else None
        cur = await self._conn.execute(
            "UPDATE scheduled_messages SET state = ?, answered_at = COALESCE(?, answered_at)"
            f" WHERE id = ? AND state IN ({', '.join('?' for _ in sources)})",
            (target, answered_at, message_id, *sources),
        )
        return cur.rowcount == 1

    async def miss_older_than(self, cutoff: datetime, *, except_kinds: Iterable[ScheduledKind] = ()) -> int:
        """Mark as missed every due message that fell due before ``cutoff``, but those of ``except_kinds``."""
        kept = sorted(set(except_kinds))
        not_kept = f" AND kind NOT IN ({placeholders(len(kept))})" if kept else ""
        cur = await self._conn.execute(
            "UPDATE scheduled_messages SET state = ?, reason = 'later than the grace period'"
            f" WHERE state = ? AND due_at < ?{not_kept}",
            (ScheduledState.MISSED, ScheduledState.DUE, to_db(cutoff), *kept),
        )
        return cur.rowcount

    async def abandon_stale_claims(self, claimed_before: datetime) -> int:
        """Claims whose holder died mid-send: never resent (so never twice), marked unconfirmed."""
        cur = await self._conn.execute(
            "UPDATE scheduled_messages SET state = ?, reason = 'process stopped while sending'"
            " WHERE state = ? AND claimed_at < ?",
            (ScheduledState.UNCONFIRMED, ScheduledState.SENDING, to_db(claimed_before)),
        )
        return cur.rowcount

    async def cancel_due(
        self, *, incident_id: int, recipient_id: str | None = None, after_seq: int | None = None
    ) -> int:
        """Cancel what is still due for an incident (or for one person in it, or its check-ins past
        step ``after_seq`` of the plan)."""
        sql = "UPDATE scheduled_messages SET state = ? WHERE incident_id = ? AND state = ?"
        params: list[Any] = [ScheduledState.CANCELLED, incident_id, ScheduledState.DUE]
        if recipient_id is not None:
            sql += " AND recipient_id = ?"
            params.append(recipient_id)
        if after_seq is not None:
            sql += " AND kind = ? AND seq > ?"
            params += [ScheduledKind.CHECKIN, after_seq]
        cur = await self._conn.execute(sql, params)
        return cur.rowcount


def _scheduled(row: Mapping[str, Any]) -> ScheduledMessage:
    due_at = from_db(row["due_at"])
    if due_at is None:
        raise InconsistentRecords("missing: due_at")
    return ScheduledMessage(
        id=row["id"],
        kind=row["kind"],
        recipient_id=row["recipient_id"],
        incident_id=row["incident_id"],
        request_id=row["request_id"],
        seq=row["seq"],
        due_at=due_at,
        state=row["state"],
        attempts=row["attempts"],
        claimed_at=from_db(row["claimed_at"]),
        sent_at=from_db(row["sent_at"]),
        channel_id=row["channel_id"],
        message_ts=row["message_ts"],
        reason=row["reason"],
        dedupe_key=row["dedupe_key"],
        announcement_id=row["announcement_id"],
        subject_id=row["subject_id"],
    )
