"""Contacts, the audit log, statistics queries and the retention purge: their SQL lives here."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from storage.models import (
    REQUEST_NOTICES,
    Area,
    AuditEntry,
    ContactChannel,
    OfferState,
    Referral,
    RequestState,
    ScheduledKind,
)
from storage.sql import Connection, InconsistentRecords, placeholders
from storage.timefmt import from_db, to_db


@dataclass(frozen=True)
class RequestCounts:
    """Requests made in a period, by what became of them."""

    made: int
    accepted: int
    escalated: int
    cancelled: int


@dataclass(frozen=True)
class ContactGroup:
    """Contacts sharing a referral, a channel and a supporter, in a period."""

    referral: str
    channel: str
    supporter_id: str
    count: int
    minutes: int


@dataclass(frozen=True)
class IncidentCheckins:
    """Check-ins of one incident in a period."""

    incident_id: int
    name: str
    sent: int
    answered: int
    kind: str = ""


@dataclass(frozen=True)
class UrgencyCounts:
    """Requests of one urgency: made in a period, and accepted in it (each by its own time)."""

    made: int
    accepted: int
    accept_seconds: tuple[float, ...]


class TrackingRepository:
    """Anonymous tracking: contacts, audit entries, aggregates, and the purge."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def add_contact(
        self,
        *,
        occurred_on: date,
        minutes: int,
        channel: ContactChannel,
        referral: Referral,
        supporter_id: str,
        areas: Iterable[Area],
        incident_id: int | None,
        now: datetime,
    ) -> int:
        """Record an anonymous contact; returns its id."""
        cur = await self._conn.execute(
            "INSERT INTO contacts (occurred_on, minutes, channel, referral, supporter_id, incident_id,"
            " recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (occurred_on.isoformat(), minutes, channel, referral, supporter_id, incident_id, to_db(now)),
        )
        row = await cur.fetchone()
        if row is None:
            raise InconsistentRecords("missing: row")
        contact_id = int(row["id"])
        await self._conn.executemany(
            "INSERT INTO contact_areas (contact_id, area, occurred_on, recorded_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT DO NOTHING",
            [(contact_id, str(area), occurred_on.isoformat(), to_db(now)) for area in areas],
        )
        return contact_id

    async def audit(self, *, actor_id: str, action: str, detail: str, now: datetime) -> None:
        """Record a coordinator action."""
        await self._conn.execute(
            "INSERT INTO audit_log (at, actor_id, action, detail) VALUES (?, ?, ?, ?)",
            (to_db(now), actor_id, action, detail),
        )

    async def audit_entries(self, limit: int) -> list[AuditEntry]:
        """The latest audit entries, newest first."""
        cur = await self._conn.execute("SELECT * FROM audit_log ORDER BY id DESC LIMIT ?", (limit,))
        return [
            AuditEntry(
                id=row["id"],
                at=from_db(row["at"]),
                actor_id=row["actor_id"],
                action=row["action"],
                detail=row["detail"],
            )
            for row in await cur.fetchall()
        ]

    # Aggregates (never rows about people)

    async def request_counts(self, start: datetime, end: datetime) -> RequestCounts:
        """Requests in [start, end), each count by the time of its own event: made when created,
        accepted when accepted, escalated when escalated, cancelled when cancelled. A closed period's
        counts never change afterwards."""
        cur = await self._conn.execute(
            "SELECT"
            " COALESCE(SUM(CASE WHEN created_at >= ? AND created_at < ? THEN 1 ELSE 0 END), 0) AS made,"
            " COALESCE(SUM(CASE WHEN assigned_at >= ? AND assigned_at < ? THEN 1 ELSE 0 END), 0)"
            " AS accepted,"
            " COALESCE(SUM(CASE WHEN escalated_at >= ? AND escalated_at < ? THEN 1 ELSE 0 END), 0)"
            " AS escalated,"
            " COALESCE(SUM(CASE WHEN state = ? AND closed_at >= ? AND closed_at < ? THEN 1 ELSE 0 END), 0)"
            " AS cancelled"
            " FROM peer_requests WHERE created_at < ?",
            (*_span(start, end) * 3, RequestState.CANCELLED, *_span(start, end), to_db(end)),
        )
        row = await cur.fetchone()
        if row is None:
            raise InconsistentRecords("missing: row")
        return RequestCounts(
            made=row["made"], accepted=row["accepted"], escalated=row["escalated"], cancelled=row["cancelled"]
        )

    async def offers_by_role(
        self, start: datetime, end: datetime, *, roles: Iterable[str]
    ) -> dict[str, tuple[int, int]]:
        """Per supporter role (as it was when offered): offers made in [start, end), and offers
        accepted in [start, end), each by its own time. Every one of ``roles`` is a key; an offer
        whose supporter had no role, or one not in ``roles``, counts under ''."""
        s, e = _span(start, end)
        cur = await self._conn.execute(
            "SELECT COALESCE(supporter_role, '') AS k,"
            " COALESCE(SUM(CASE WHEN offered_at >= ? AND offered_at < ? THEN 1 ELSE 0 END), 0) AS offered,"
            " COALESCE(SUM(CASE WHEN accepted_at >= ? AND accepted_at < ? THEN 1 ELSE 0 END), 0)"
            " AS accepted"
            " FROM offers"
            " WHERE (offered_at >= ? AND offered_at < ?) OR (accepted_at >= ? AND accepted_at < ?)"
            " GROUP BY COALESCE(supporter_role, '')",
            (s, e, s, e, s, e, s, e),
        )
        counts = {role: (0, 0) for role in (*roles, "")}
        for row in await cur.fetchall():
            key = row["k"] if row["k"] in counts else ""
            offered, accepted = counts[key]
            counts[key] = (offered + int(row["offered"]), accepted + int(row["accepted"]))
        return counts

    async def accept_seconds(self, start: datetime, end: datetime) -> list[float]:
        """Seconds from request to first acceptance, for requests accepted in [start, end)."""
        cur = await self._conn.execute(
            "SELECT created_at, assigned_at FROM peer_requests WHERE assigned_at >= ? AND assigned_at < ?",
            _span(start, end),
        )
        return [
            (from_db(r["assigned_at"]) - from_db(r["created_at"])).total_seconds()  # type: ignore[operator]
            for r in await cur.fetchall()
        ]

    async def contact_groups(self, start: datetime, end: datetime) -> list[ContactGroup]:
        """Contacts recorded in [start, end), counted per referral, channel and supporter.

        By when they were recorded, not the day they say they happened: a contact logged late
        counts in the quarter it was logged, so a published quarter never changes. One
        index-only pass; every breakdown of the report is summed from these groups.
        """
        cur = await self._conn.execute(
            "SELECT referral, channel, supporter_id, COUNT(*) AS n, SUM(minutes) AS m FROM contacts"
            " WHERE recorded_at >= ? AND recorded_at < ? GROUP BY referral, channel, supporter_id",
            _span(start, end),
        )
        return [
            ContactGroup(
                referral=r["referral"],
                channel=r["channel"],
                supporter_id=r["supporter_id"],
                count=r["n"],
                minutes=r["m"],
            )
            for r in await cur.fetchall()
        ]

    async def contacts_by_area(self, start: datetime, end: datetime) -> dict[str, int]:
        """Contacts recorded in [start, end) per area of need (a contact about two areas counts in both)."""
        cur = await self._conn.execute(
            "SELECT area AS k, COUNT(*) AS n FROM contact_areas"
            " WHERE recorded_at >= ? AND recorded_at < ? GROUP BY area",
            _span(start, end),
        )
        return {row["k"]: row["n"] for row in await cur.fetchall()}

    async def count_talk_answer(self, quarter: date, answer: str) -> None:
        """One more answer to "Did talking help?" in the quarter starting on ``quarter`` (a count only)."""
        await self._conn.execute(
            "INSERT INTO talk_answers (quarter, answer, count) VALUES (?, ?, 1)"
            " ON CONFLICT (quarter, answer) DO UPDATE SET count = talk_answers.count + 1",
            (quarter.isoformat(), answer),
        )

    async def talk_answers(self, quarter: date) -> dict[str, int]:
        """The answers to "Did talking help?" given in the quarter starting on ``quarter``."""
        cur = await self._conn.execute(
            "SELECT answer, count FROM talk_answers WHERE quarter = ?", (quarter.isoformat(),)
        )
        return {row["answer"]: int(row["count"]) for row in await cur.fetchall()}

    async def supporter_minutes(self, supporter_id: str, start: datetime, end: datetime) -> int:
        """Minutes one supporter recorded in [start, end) (shown to that supporter only)."""
        cur = await self._conn.execute(
            "SELECT COALESCE(SUM(minutes), 0) AS m FROM contacts"
            " WHERE supporter_id = ? AND recorded_at >= ? AND recorded_at < ?",
            (supporter_id, *_span(start, end)),
        )
        row = await cur.fetchone()
        return int(row["m"]) if row is not None else 0

    async def checkins_by_incident(
        self, start: datetime, end: datetime, *, min_people: int
    ) -> list[IncidentCheckins]:
        """Per incident with at least ``min_people`` people: check-ins sent in [start, end), and
        check-ins answered in [start, end) (each by its own time, so a closed quarter never moves).
        Smaller plans are left out: one person's answer would show."""
        s, e = _span(start, end)
        cur = await self._conn.execute(
            "SELECT i.id AS id, i.name AS name, i.kind AS kind,"
            " COALESCE(SUM(CASE WHEN m.sent_at >= ? AND m.sent_at < ? THEN 1 ELSE 0 END), 0) AS sent,"
            " COALESCE(SUM(CASE WHEN m.answered_at >= ? AND m.answered_at < ? THEN 1 ELSE 0 END), 0)"
            " AS answered"
            " FROM scheduled_messages m JOIN incidents i ON i.id = m.incident_id"
            " WHERE m.kind = ? AND i.people >= ?"
            " AND ((m.sent_at >= ? AND m.sent_at < ?) OR (m.answered_at >= ? AND m.answered_at < ?))"
            " GROUP BY i.id, i.name, i.kind ORDER BY i.id",
            (s, e, s, e, ScheduledKind.CHECKIN, min_people, s, e, s, e),
        )
        return [
            IncidentCheckins(
                incident_id=r["id"], name=r["name"], sent=r["sent"], answered=r["answered"], kind=r["kind"]
            )
            for r in await cur.fetchall()
        ]

    async def requests_by_urgency(self, start: datetime, end: datetime) -> dict[str, UrgencyCounts]:
        """Per urgency: requests made in [start, end) and requests accepted in it, with the seconds
        each accepted one waited (each count by the time of its own event)."""
        s, e = _span(start, end)
        cur = await self._conn.execute(
            "SELECT urgency, created_at, assigned_at FROM peer_requests"
            " WHERE (created_at >= ? AND created_at < ?) OR (assigned_at >= ? AND assigned_at < ?)",
            (s, e, s, e),
        )
        made: dict[str, int] = {}
        waits: dict[str, list[float]] = {}
        for r in await cur.fetchall():
            created, assigned = from_db(r["created_at"]), from_db(r["assigned_at"])
            if created is None:
                raise InconsistentRecords("missing: created_at")
            if start <= created < end:
                made[r["urgency"]] = made.get(r["urgency"], 0) + 1
            if assigned is not None and start <= assigned < end:
                waits.setdefault(r["urgency"], []).append((assigned - created).total_seconds())
        return {
            u: UrgencyCounts(
                made=made.get(u, 0), accepted=len(waits.get(u, [])), accept_seconds=tuple(waits.get(u, []))
            )
            for u in sorted(set(made) | set(waits))
        }

    async def frozen_figures(self, quarter: str) -> dict[str, int]:
        """Figures of a closed quarter frozen earlier (empty if none yet)."""
        cur = await self._conn.execute(
            "SELECT name, value FROM quarter_figures WHERE quarter = ?", (quarter,)
        )
        return {r["name"]: int(r["value"]) for r in await cur.fetchall()}

    async def freeze_figures(self, quarter: str, figures: dict[str, int], *, now: datetime) -> None:
        """Freeze a closed quarter's figures; those frozen before stay as they were."""
        await self._conn.executemany(
            "INSERT INTO quarter_figures (quarter, name, value, recorded_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (quarter, name) DO NOTHING",
            [(quarter, name, value, to_db(now)) for name, value in sorted(figures.items())],
        )

    # Retention

    async def purge_requests(self, *, ended_before: datetime, now: datetime) -> list[int]:
        """Remove the identifying parts of requests closed or cancelled before ``ended_before``.

        Requester, note, preferred supporter, what they asked for in a supporter (their unit, role,
        experience, language), exclusions, the DM message references (every copy) and any
        relayed conversation's thread locations go;
        what is left (area, urgency, times, states) feeds the statistics and names nobody.
        """
        cur = await self._conn.execute(
            "SELECT id FROM peer_requests WHERE state IN (?, ?) AND purged_at IS NULL AND closed_at <= ?",
            (RequestState.CLOSED, RequestState.CANCELLED, to_db(ended_before)),
        )
        ids = [row["id"] for row in await cur.fetchall()]
        kinds = sorted(REQUEST_NOTICES)
        for request_id in ids:
            await self._conn.execute(
                "UPDATE peer_requests SET requester_id = NULL, note = NULL, preferred_supporter_id = NULL,"
                " incident_id = NULL, avoid_unit = NULL, match_role = NULL, match_tags = NULL,"
                " match_language = NULL, purged_at = ? WHERE id = ?",
                (to_db(now), request_id),
            )
            await self._conn.execute("DELETE FROM request_exclusions WHERE request_id = ?", (request_id,))
            # Its notices were addressed to the requester or are about the request (to its holder,
            # to coordinators): they go too.
            await self._conn.execute(
                "DELETE FROM scheduled_messages WHERE request_id = ?"
                f" AND kind IN ({placeholders(len(kinds))})",
                (request_id, *kinds),
            )
            # A relayed conversation's thread locations name both people's DMs (its links cascade).
            await self._conn.execute("DELETE FROM relay_conversations WHERE request_id = ?", (request_id,))
            await self._conn.execute(
                "UPDATE offers SET channel_id = NULL, message_ts = NULL WHERE request_id = ? AND state != ?",
                (request_id, OfferState.OPEN),
            )
            # Every copy of its offer DMs (each was redrawn without the name before this).
            await self._conn.execute(
                "DELETE FROM offer_copies WHERE offer_id IN"
                " (SELECT id FROM offers WHERE request_id = ? AND state != ?)",
                (request_id, OfferState.OPEN),
            )
        return ids

    async def purge_people(self, *, before: datetime) -> tuple[int, int]:
        """Forget who opened their Home before ``before`` (the refresh list; they are added again when
        they next open it) and the notes of volunteers decided before it. Returns both counts."""
        viewers = await self._conn.execute("DELETE FROM home_viewers WHERE opened_at < ?", (to_db(before),))
        notes = await self._conn.execute(
            "UPDATE volunteers SET note = NULL WHERE note IS NOT NULL AND decided_at IS NOT NULL"
            " AND decided_at < ?",
            (to_db(before),),
        )
        return viewers.rowcount, notes.rowcount


def _span(start: datetime, end: datetime) -> tuple[str, str]:
    return to_db(start), to_db(end)
