"""The program's statistics and logged contacts: the only place their SQL lives.

Everything here is counted: no query returns who asked for help.
"""

from __future__ import annotations

from datetime import date, datetime

import aiosqlite

from storage.models import AnnouncementState, Area, Referral, RequestState, Tally
from storage.timefmt import to_db


class StatsRepository:
    """Counts over requests, logged contacts and events."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def log_contact(
        self,
        *,
        supporter_id: str,
        area: Area,
        minutes: int,
        referral: Referral,
        happened_on: date,
        now: datetime,
    ) -> None:
        """Record a conversation a supporter had outside the bot (with nobody's name)."""
        await self._conn.execute(
            "INSERT INTO logged_contacts (supporter_id, area, minutes, referral, happened_on, logged_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (supporter_id, area, minutes, referral, happened_on.isoformat(), to_db(now)),
        )

    async def waiting(self) -> dict[RequestState, int]:
        """How many open requests are in each state (waiting, offered, escalated, held)."""
        cur = await self._conn.execute(
            "SELECT state, COUNT(*) AS n FROM peer_requests WHERE state IN (?, ?, ?, ?) GROUP BY state",
            (RequestState.PENDING, RequestState.OFFERED, RequestState.ESCALATED, RequestState.ASSIGNED),
        )
        return {RequestState(row["state"]): row["n"] for row in await cur.fetchall()}

    async def tally(self, *, since: datetime, until: datetime) -> Tally:
        """Counts from ``since`` to ``until`` (both included)."""
        start, end = to_db(since), to_db(until)
        cur = await self._conn.execute(
            "SELECT COUNT(*) AS n FROM peer_requests WHERE created_at >= ? AND created_at <= ?", (start, end)
        )
        requests = (await cur.fetchone())["n"]  # type: ignore[index]
        cur = await self._conn.execute(
            "SELECT COUNT(*) AS n, COALESCE(SUM(minutes), 0) AS minutes,"
            " COALESCE(SUM(referral IS NOT NULL AND referral != ?), 0) AS referrals"
            " FROM peer_requests WHERE state = ? AND closed_at >= ? AND closed_at <= ?",
            (Referral.NONE, RequestState.CLOSED, start, end),
        )
        closed = await cur.fetchone()
        cur = await self._conn.execute(
            "SELECT COUNT(*) AS n, COALESCE(SUM(minutes), 0) AS minutes,"
            " COALESCE(SUM(referral != ?), 0) AS referrals"
            " FROM logged_contacts WHERE happened_on >= ? AND happened_on <= ?",
            (Referral.NONE, since.date().isoformat(), until.date().isoformat()),
        )
        logged = await cur.fetchone()
        cur = await self._conn.execute(
            "SELECT area, SUM(n) AS n FROM ("
            " SELECT area, COUNT(*) AS n FROM peer_requests WHERE created_at >= ? AND created_at <= ?"
            " GROUP BY area UNION ALL"
            " SELECT area, COUNT(*) AS n FROM logged_contacts WHERE happened_on >= ? AND happened_on <= ?"
            " GROUP BY area) GROUP BY area",
            (start, end, since.date().isoformat(), until.date().isoformat()),
        )
        by_area = {Area(row["area"]): row["n"] for row in await cur.fetchall()}
        cur = await self._conn.execute(
            "SELECT COUNT(*) AS n,"
            " COALESCE(SUM((SELECT COUNT(*) FROM rsvps r WHERE r.announcement_id = a.id)), 0) AS rsvps"
            " FROM announcements a WHERE a.state = ? AND a.starts_at >= ? AND a.starts_at <= ?",
            (AnnouncementState.SCHEDULED, start, end),
        )
        events = await cur.fetchone()
        assert closed is not None and logged is not None and events is not None
        return Tally(
            requests=requests,
            closed=closed["n"],
            minutes=closed["minutes"] + logged["minutes"],
            referrals=closed["referrals"] + logged["referrals"],
            contacts=logged["n"],
            by_area=by_area,
            events=events["n"],
            rsvps=events["rsvps"],
        )
