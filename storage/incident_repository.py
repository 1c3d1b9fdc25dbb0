"""Incidents and their affected staff: the only place their SQL lives.

Their check-ins are scheduled messages (:mod:`storage.schedule_repository`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from storage.models import Affected, CheckinAnswer, Incident, IncidentKind, IncidentState
from storage.sql import Connection, InconsistentRecords, rows_per_insert, value_rows
from storage.timefmt import date_from_db, from_db, to_db

_MEMBERS_PER_INSERT = rows_per_insert(4)
_ANSWER_COLUMNS = {
    CheckinAnswer.OK: "answered_ok",
    CheckinAnswer.TALK: "answered_talk",
    CheckinAnswer.STOP: "answered_stop",
}


class IncidentRepository:
    """Reads and conditional writes of incidents and who they affect."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def create_incident(
        self,
        *,
        kind: IncidentKind,
        name: str,
        occurred_on: date,
        offsets: Sequence[int],
        channel_id: str | None,
        debrief_at: datetime | None,
        debrief_place: str | None,
        created_by: str,
        member_ids: Iterable[str],
        now: datetime,
    ) -> int:
        """Store an incident (preparing) with the people picked so far; returns its id."""
        cur = await self._conn.execute(
            "INSERT INTO incidents (kind, name, occurred_on, state, offsets, channel_id, debrief_at,"
            " debrief_place, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (
                kind,
                name,
                occurred_on.isoformat(),
                IncidentState.PREPARING,
                json.dumps(list(offsets)),
                channel_id,
                to_db(debrief_at) if debrief_at else None,
                debrief_place,
                created_by,
                to_db(now),
            ),
        )
        row = await cur.fetchone()
        if row is None:
            raise InconsistentRecords("missing: row")
        incident_id = int(row["id"])
        await self.add_members(incident_id, [Affected(user_id=u) for u in member_ids])
        return incident_id

    async def add_members(self, incident_id: int, people: Iterable[Affected]) -> None:
        """Add affected people, or record their time zone and reach (idempotent)."""
        people = list(people)
        # Multi-row inserts: a 2,000-person incident is 9 statements, not 2,000 executions, which
        # kept a database core busy in one burst while other offices' requests waited for it.
        for start in range(0, len(people), _MEMBERS_PER_INSERT):
            chunk = people[start : start + _MEMBERS_PER_INSERT]
            await self._conn.execute(
                "INSERT INTO incident_members (incident_id, user_id, tz, skipped) VALUES"
                f" {value_rows(len(chunk), 4)} ON CONFLICT (incident_id, user_id)"
                " DO UPDATE SET tz = excluded.tz, skipped = excluded.skipped",
                [v for p in chunk for v in (incident_id, p.user_id, p.tz, int(p.skipped))],
            )
        await self._conn.execute(
            "UPDATE incidents SET people = (SELECT COUNT(*) FROM incident_members WHERE incident_id = ?)"
            " WHERE id = ?",
            (incident_id, incident_id),
        )

    async def members(self, incident_id: int) -> list[str]:
        """The affected people of an incident."""
        cur = await self._conn.execute(
            "SELECT user_id FROM incident_members WHERE incident_id = ? ORDER BY user_id", (incident_id,)
        )
        return [row["user_id"] for row in await cur.fetchall()]

    async def to_check_in(self, incident_id: int) -> list[Affected]:
        """Whom a step of the plan goes to: the people who could be reached and did not ask to stop."""
        cur = await self._conn.execute(
            "SELECT user_id, tz FROM incident_members WHERE incident_id = ? AND stopped = 0 AND skipped = 0"
            " ORDER BY user_id",
            (incident_id,),
        )
        return [Affected(user_id=row["user_id"], tz=row["tz"]) for row in await cur.fetchall()]

    async def stopped(self, incident_id: int) -> set[str]:
        """The affected people who asked to stop the incident's check-ins."""
        cur = await self._conn.execute(
            "SELECT user_id FROM incident_members WHERE incident_id = ? AND stopped = 1", (incident_id,)
        )
        return {row["user_id"] for row in await cur.fetchall()}

    async def stop_checkins(self, incident_id: int, user_id: str) -> None:
        """Remember that someone asked for no more of this incident's check-ins."""
        await self._conn.execute(
            "UPDATE incident_members SET stopped = 1 WHERE incident_id = ? AND user_id = ?",
            (incident_id, user_id),
        )

    async def set_wording(self, incident_id: int, *, early: str | None, later: str | None) -> None:
        """The incident's own check-in wording (None: its kind's)."""
        await self._conn.execute(
            "UPDATE incidents SET wording_early = ?, wording_later = ? WHERE id = ?",
            (early, later, incident_id),
        )

    async def set_offsets(
        self, incident_id: int, offsets: Sequence[int], *, steps_stored: int, only_from: IncidentState
    ) -> bool:
        """Replace the incident's plan (and how many of its steps are stored), if it is in
        ``only_from``; True if it was."""
        cur = await self._conn.execute(
            "UPDATE incidents SET offsets = ?, steps_stored = ? WHERE id = ? AND state = ?",
            (json.dumps(list(offsets)), steps_stored, incident_id, only_from),
        )
        return cur.rowcount == 1

    async def set_steps_stored(self, incident_id: int, steps: int) -> bool:
        """Record that the plan's first ``steps`` steps are stored; True if that is news (a count
        only ever grows here, so two instances storing the same step record it once)."""
        cur = await self._conn.execute(
            "UPDATE incidents SET steps_stored = ? WHERE id = ? AND steps_stored < ?",
            (steps, incident_id, steps),
        )
        return cur.rowcount == 1

    async def get_incident(self, incident_id: int) -> Incident | None:
        """One incident."""
        cur = await self._conn.execute("SELECT * FROM incidents WHERE id = ?", (incident_id,))
        row = await cur.fetchone()
        return None if row is None else _incident(row)

    async def incidents_in(self, states: Iterable[IncidentState]) -> list[Incident]:
        """Incidents in any of ``states``, oldest first."""
        wanted = sorted(states)
        cur = await self._conn.execute(
            f"SELECT * FROM incidents WHERE state IN ({', '.join('?' for _ in wanted)}) ORDER BY id",
            wanted,
        )
        return [_incident(row) for row in await cur.fetchall()]

    async def set_incident_state(
        self, incident_id: int, target: IncidentState, *, only_from: IncidentState, now: datetime
    ) -> bool:
        """Conditionally move an incident; True if it moved."""
        closed_at = to_db(now) if target == IncidentState.CLOSED else None
        cur = await self._conn.execute(
            "UPDATE incidents SET state = ?, closed_at = COALESCE(?, closed_at) WHERE id = ? AND state = ?",
            (target, closed_at, incident_id, only_from),
        )
        return cur.rowcount == 1

    async def count_answer(self, incident_id: int, answer: CheckinAnswer, *, seq: int) -> None:
        """Add one answer to the incident's counts, in total and for step ``seq`` of its plan
        (who answered is not kept)."""
        column = _ANSWER_COLUMNS[answer]
        await self._conn.execute(
            f"UPDATE incidents SET {column} = {column} + 1 WHERE id = ?",
            (incident_id,),
        )
        await self._conn.execute(
            "INSERT INTO checkin_step_answers (incident_id, seq, answer, count) VALUES (?, ?, ?, 1)"
            " ON CONFLICT (incident_id, seq, answer) DO UPDATE SET count = checkin_step_answers.count + 1",
            (incident_id, seq, answer),
        )

    async def step_answers(self, incident_id: int) -> dict[int, dict[CheckinAnswer, int]]:
        """Per step of the plan (its ``seq``): how many check-ins got each answer."""
        cur = await self._conn.execute(
            "SELECT seq, answer, count FROM checkin_step_answers WHERE incident_id = ?", (incident_id,)
        )
        steps: dict[int, dict[CheckinAnswer, int]] = {}
        for row in await cur.fetchall():
            steps.setdefault(int(row["seq"]), {})[CheckinAnswer(row["answer"])] = int(row["count"])
        return steps

    async def people(self, incident_id: int) -> int:
        """How many people the incident was prepared for (kept after its members are forgotten)."""
        cur = await self._conn.execute("SELECT people FROM incidents WHERE id = ?", (incident_id,))
        row = await cur.fetchone()
        return 0 if row is None else int(row["people"])

    async def ended_before(self, cutoff: datetime) -> list[Incident]:
        """Incidents not yet forgotten whose follow-up ended before ``cutoff``: closed then, or whose
        plan's last check-in fell due then."""
        cur = await self._conn.execute("SELECT * FROM incidents WHERE purged_at IS NULL ORDER BY id")
        ended = []
        for incident in (_incident(row) for row in await cur.fetchall()):
            last_step = incident.created_at + timedelta(seconds=max(incident.offsets, default=0))
            done = incident.closed_at if incident.state == IncidentState.CLOSED else last_step
            if done is not None and done < cutoff:
                ended.append(incident)
        return ended

    async def forget_people(self, incident_id: int, *, keep_counts: bool, now: datetime) -> None:
        """Forget who an incident touched: its members, whom each check-in went to and where, and the
        requests it led to. With ``keep_counts`` (a plan large enough for statistics) the check-in
        rows stay, addressed to nobody, so published counts do not move; otherwise they go, with the
        incident's answer counts."""
        await self._conn.execute("DELETE FROM incident_members WHERE incident_id = ?", (incident_id,))
        if keep_counts:
            await self._conn.execute(
                "UPDATE scheduled_messages SET recipient_id = 'forgotten-' || CAST(id AS TEXT),"
                " channel_id = NULL, message_ts = NULL, subject_id = NULL, reason = NULL, dedupe_key = NULL"
                " WHERE incident_id = ?",
                (incident_id,),
            )
        else:
            await self._conn.execute("DELETE FROM scheduled_messages WHERE incident_id = ?", (incident_id,))
            await self._conn.execute(
                "UPDATE incidents SET answered_ok = 0, answered_talk = 0, answered_stop = 0 WHERE id = ?",
                (incident_id,),
            )
            await self._conn.execute("DELETE FROM checkin_step_answers WHERE incident_id = ?", (incident_id,))
        await self._conn.execute(
            "UPDATE peer_requests SET incident_id = NULL WHERE incident_id = ?", (incident_id,)
        )
        await self._conn.execute("UPDATE incidents SET purged_at = ? WHERE id = ?", (to_db(now), incident_id))


def _incident(row: Mapping[str, Any]) -> Incident:
    occurred_on = date_from_db(row["occurred_on"])
    created_at = from_db(row["created_at"])
    if occurred_on is None or created_at is None:
        raise InconsistentRecords("missing: occurred_on or created_at")
    return Incident(
        id=row["id"],
        kind=row["kind"],
        name=row["name"],
        occurred_on=occurred_on,
        state=row["state"],
        offsets=tuple(json.loads(row["offsets"])),
        channel_id=row["channel_id"],
        debrief_at=from_db(row["debrief_at"]),
        debrief_place=row["debrief_place"],
        created_by=row["created_by"],
        created_at=created_at,
        closed_at=from_db(row["closed_at"]),
        answered_ok=row["answered_ok"],
        answered_talk=row["answered_talk"],
        answered_stop=row["answered_stop"],
        people=row["people"],
        steps_stored=row["steps_stored"],
        wording_early=row["wording_early"],
        wording_later=row["wording_later"],
    )
