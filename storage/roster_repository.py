"""The roster of peer supporters and the persistent round-robin rotation."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from storage.models import (
    CURRENCY_TRAININGS,
    OfferState,
    RequestState,
    Supporter,
    Training,
    TrainingKind,
    TraitKind,
)
from storage.sql import Connection, InconsistentRecords, placeholders
from storage.timefmt import date_from_db, from_db, to_db

# Open load = requests held + offers still open: an open offer may become a held request.
_OPEN_LOAD = (
    "((SELECT COUNT(*) FROM peer_requests r WHERE r.assignee_id = s.user_id AND r.state = ?)"
    " + (SELECT COUNT(*) FROM offers o WHERE o.supporter_id = s.user_id AND o.state = ?))"
)
_AVAILABLE = "(s.away = 0 OR (s.away_until IS NOT NULL AND s.away_until <= ?))"


@dataclass(frozen=True)
class Match:
    """What a requester would prefer in a supporter; each part set must hold (tags: any of them).

    Compared without regard to case. A preference, not a rule: routing asks again without it.
    """

    role: str | None = None
    tags: frozenset[str] = frozenset()
    language: str | None = None


@dataclass(frozen=True)
class EligibilityQuery:
    """Who may be offered one request: the question :meth:`RosterRepository.eligible` answers.

    Built in one place, ``bot.peer_requests.routing``; the rotation order itself is the
    ``ORDER BY`` of :meth:`RosterRepository.eligible`.
    """

    request_id: int
    excluded_ids: frozenset[str]  # the requester and the people they asked not to see it
    today: date  # an away that ended before today no longer counts
    trained_after: date  # training completed on or before this date has lapsed
    capacity: int  # open load (held requests + open offers) must stay below this
    after_hours_only: bool  # outside service hours only after-hours supporters are asked
    # A hard rule: never a supporter of this unit, nor one whose unit is not recorded.
    outside_unit: str | None = None
    # Preferences: only supporters who match (ignored for ``only``: someone named is asked as named).
    match: Match | None = None


class RosterRepository:
    """Reads and writes of the supporters table."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def add(self, user_id: str, *, now: datetime) -> bool:
        """Put a supporter on the roster (untrained until a training is recorded); True if new."""
        cur = await self._conn.execute(
            "INSERT INTO supporters (user_id, added_at) VALUES (?, ?) ON CONFLICT (user_id) DO NOTHING",
            (user_id, to_db(now)),
        )
        return cur.rowcount == 1

    async def remove(self, user_id: str) -> bool:
        """Take a supporter off the roster (their trainings go with them); True if they were on it.

        Requests and offers keep their rows, so the program's anonymous statistics stand.
        """
        cur = await self._conn.execute("DELETE FROM supporters WHERE user_id = ?", (user_id,))
        return cur.rowcount == 1

    async def record_training(
        self,
        user_id: str,
        *,
        kind: TrainingKind,
        name: str,
        completed_on: date,
        recorded_by: str,
        now: datetime,
    ) -> bool:
        """Record a completed training; the supporter's current training date follows. False if not on it."""
        if await self.get(user_id) is None:
            return False
        await self._conn.execute(
            "INSERT INTO trainings (user_id, kind, name, completed_on, recorded_by, recorded_at)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (user_id, kind, name, completed_on.isoformat(), recorded_by, to_db(now)),
        )
        kinds = sorted(CURRENCY_TRAININGS)
        await self._conn.execute(
            "UPDATE supporters SET trained_on = (SELECT MAX(completed_on) FROM trainings t"
            f"  WHERE t.user_id = supporters.user_id AND t.kind IN ({placeholders(len(kinds))}))"
            " WHERE user_id = ?",
            (*kinds, user_id),
        )
        return True

    async def trainings(self, user_ids: Iterable[str] | None = None) -> list[Training]:
        """Trainings (of these supporters, or of everyone), oldest first."""
        sql = "SELECT * FROM trainings"
        params: list[object] = []
        if user_ids is not None:
            wanted = sorted(set(user_ids))
            if not wanted:
                return []
            sql += f" WHERE user_id IN ({placeholders(len(wanted))})"
            params.extend(wanted)
        cur = await self._conn.execute(sql + " ORDER BY completed_on, id", params)
        return [_training(row) for row in await cur.fetchall()]

    async def set_suspended(self, user_id: str, suspended: bool) -> bool:
        """Pause (or resume) offers to a supporter, by a coordinator; True if on the roster."""
        cur = await self._conn.execute(
            "UPDATE supporters SET suspended = ? WHERE user_id = ?", (int(suspended), user_id)
        )
        return cur.rowcount == 1

    async def set_unreachable(self, user_id: str, reason: str | None) -> bool:
        """Flag (or clear) that the bot cannot reach a supporter; True if the flag changed."""
        if reason is None:
            cur = await self._conn.execute(
                "UPDATE supporters SET unreachable = NULL WHERE user_id = ? AND unreachable IS NOT NULL",
                (user_id,),
            )
        else:
            cur = await self._conn.execute(
                "UPDATE supporters SET unreachable = ? WHERE user_id = ?"
                " AND (unreachable IS NULL OR unreachable <> ?)",
                (reason, user_id, reason),
            )
        return cur.rowcount == 1

    async def get(self, user_id: str) -> Supporter | None:
        """One supporter with their open load, if on the roster."""
        cur = await self._conn.execute(
            f"SELECT s.*, {_OPEN_LOAD} AS open_load FROM supporters s WHERE s.user_id = ?",
            (RequestState.ASSIGNED, OfferState.OPEN, user_id),
        )
        row = await cur.fetchone()
        return None if row is None else _supporter(row)

    async def all(self) -> list[Supporter]:
        """The whole roster with open loads, in rotation order."""
        cur = await self._conn.execute(
            f"SELECT s.*, {_OPEN_LOAD} AS open_load FROM supporters s"
            " ORDER BY s.rotation_seq, s.added_at, s.user_id",
            (RequestState.ASSIGNED, OfferState.OPEN),
        )
        return [_supporter(row) for row in await cur.fetchall()]

    async def eligible(
        self, query: EligibilityQuery, *, limit: int, only: str | None = None
    ) -> list[Supporter]:
        """The next supporters in the rotation who may be offered this request.

        Trained after ``trained_after`` (so not lapsed), not suspended, reachable,
        not away, under capacity, not excluded, and never offered this request
        before (so nobody who passed, let it expire or handed it back sees it
        again). Ordered by the rotation, so the index walk stops at ``limit``:
        the cost does not grow with the number of past requests. ``only`` narrows it to one
        supporter. ``outside_unit`` always holds; ``match`` narrows the rotation to those who match
        (but not ``only``: the requester named them, or a coordinator chose them).
        """
        excluded = sorted(query.excluded_ids)
        not_excluded = f" AND s.user_id NOT IN ({placeholders(len(excluded))})" if excluded else ""
        sql = (
            f"SELECT s.*, {_OPEN_LOAD} AS open_load FROM supporters s"
            " WHERE s.trained_on IS NOT NULL AND s.trained_on > ?"
            " AND s.suspended = 0 AND s.unreachable IS NULL"
            f" AND {_AVAILABLE}"
            " AND (? = 0 OR s.after_hours = 1)"
            f"{not_excluded}"
            " AND NOT EXISTS (SELECT 1 FROM offers o2"
            "  WHERE o2.request_id = ? AND o2.supporter_id = s.user_id)"
            f" AND {_OPEN_LOAD} < ?"
        )
        params: list[object] = [
            RequestState.ASSIGNED,
            OfferState.OPEN,
            query.trained_after.isoformat(),
            query.today.isoformat(),
            int(query.after_hours_only),
            *excluded,
            query.request_id,
            RequestState.ASSIGNED,
            OfferState.OPEN,
            query.capacity,
        ]
        if only is not None:
            sql += " AND s.user_id = ?"
            params.append(only)
        if query.outside_unit is not None:
            sql += " AND s.unit IS NOT NULL AND lower(s.unit) <> lower(?)"
            params.append(query.outside_unit)
        match = query.match if only is None else None
        if match is not None:
            sql, params = _matching(sql, params, match)
        sql += " ORDER BY s.rotation_seq, s.added_at, s.user_id LIMIT ?"
        params.append(limit)
        cur = await self._conn.execute(sql, params)
        return [_supporter(row) for row in await cur.fetchall()]

    async def take_turn(self, user_id: str) -> None:
        """Move a supporter to the back of the rotation."""
        cur = await self._conn.execute("UPDATE rotation SET seq = seq + 1 WHERE id = 1 RETURNING seq")
        row = await cur.fetchone()
        if row is None:
            raise InconsistentRecords("missing: row")
        await self._conn.execute(
            "UPDATE supporters SET rotation_seq = ? WHERE user_id = ?", (row["seq"], user_id)
        )

    async def set_away(self, user_id: str, *, until: date | None) -> bool:
        """Mark a supporter away (until a date, or until they say otherwise)."""
        cur = await self._conn.execute(
            "UPDATE supporters SET away = 1, away_until = ? WHERE user_id = ?",
            (until.isoformat() if until else None, user_id),
        )
        return cur.rowcount == 1

    async def set_available(self, user_id: str) -> bool:
        """Mark a supporter available again; clears their run of expired offers."""
        cur = await self._conn.execute(
            "UPDATE supporters SET away = 0, away_until = NULL, expired_streak = 0 WHERE user_id = ?",
            (user_id,),
        )
        return cur.rowcount == 1

    async def end_lapsed_aways(self, today: date) -> list[str]:
        """Make available everyone whose away-until date has come; returns who."""
        cur = await self._conn.execute(
            "UPDATE supporters SET away = 0, away_until = NULL"
            " WHERE away = 1 AND away_until IS NOT NULL AND away_until <= ? RETURNING user_id",
            (today.isoformat(),),
        )
        return [row["user_id"] for row in await cur.fetchall()]

    async def set_after_hours(self, user_id: str, enabled: bool) -> bool:
        """Opt a supporter in or out of offers outside service hours."""
        cur = await self._conn.execute(
            "UPDATE supporters SET after_hours = ? WHERE user_id = ?", (int(enabled), user_id)
        )
        return cur.rowcount == 1

    async def record_expiry(self, user_id: str) -> int:
        """Count one more offer in a row let expire; returns the run's length."""
        cur = await self._conn.execute(
            "UPDATE supporters SET expired_streak = expired_streak + 1 WHERE user_id = ?"
            " RETURNING expired_streak",
            (user_id,),
        )
        row = await cur.fetchone()
        return 0 if row is None else int(row["expired_streak"])

    async def reset_expiries(self, user_id: str) -> None:
        """An answered offer ends a run of expired ones."""
        await self._conn.execute("UPDATE supporters SET expired_streak = 0 WHERE user_id = ?", (user_id,))


def _matching(sql: str, params: list[object], match: Match) -> tuple[str, list[object]]:
    """The eligibility query narrowed to supporters who match every preference set."""
    if match.role is not None:
        sql += " AND lower(s.role) = lower(?)"
        params.append(match.role)
    if match.tags:
        tags = sorted(match.tags)
        sql += (
            " AND EXISTS (SELECT 1 FROM supporter_traits t WHERE t.user_id = s.user_id AND t.kind = ?"
            f"  AND lower(t.value) IN ({', '.join('lower(?)' for _ in tags)}))"
        )
        params += [TraitKind.TAG, *tags]
    if match.language is not None:
        sql += (
            " AND EXISTS (SELECT 1 FROM supporter_traits t WHERE t.user_id = s.user_id AND t.kind = ?"
            "  AND lower(t.value) = lower(?))"
        )
        params += [TraitKind.LANGUAGE, match.language]
    return sql, params


def _supporter(row: Mapping[str, Any]) -> Supporter:
    added_at = from_db(row["added_at"])
    if added_at is None:
        raise InconsistentRecords("missing: added_at")
    return Supporter(
        user_id=row["user_id"],
        trained_on=date_from_db(row["trained_on"]),
        away=bool(row["away"]),
        away_until=date_from_db(row["away_until"]),
        after_hours=bool(row["after_hours"]),
        expired_streak=row["expired_streak"],
        rotation_seq=row["rotation_seq"],
        added_at=added_at,
        open_load=row["open_load"],
        suspended=bool(row["suspended"]),
        unreachable=row["unreachable"],
        role=row["role"],
        unit=row["unit"],
        location=row["location"],
        about=row["about"],
    )


def _training(row: Mapping[str, Any]) -> Training:
    completed_on = date_from_db(row["completed_on"])
    recorded_at = from_db(row["recorded_at"])
    if completed_on is None or recorded_at is None:
        raise InconsistentRecords("missing: completed_on or recorded_at")
    return Training(
        id=row["id"],
        user_id=row["user_id"],
        kind=row["kind"],
        name=row["name"],
        completed_on=completed_on,
        recorded_by=row["recorded_by"],
        recorded_at=recorded_at,
    )
