"""Peer requests and their offers: the only place their SQL lives."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage.models import (
    OPEN_REQUEST_STATES,
    MessageRef,
    Offer,
    OfferState,
    PeerRequest,
    RequestState,
    sources_of,
)
from storage.sql import Connection, InconsistentRecords
from storage.timefmt import from_db, to_db


@dataclass(frozen=True)
class OpenCounts:
    """Requests open at one instant, by where they stood."""

    waiting: int  # pending or being offered
    escalated: int
    held: int


class RequestRepository:
    """Reads and conditional writes of requests and offers on one connection."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def create(
        self,
        *,
        requester_id: str,
        area: str,
        urgency: str,
        contact: str,
        preferred_supporter_id: str | None,
        note: str | None,
        excluded_ids: Iterable[str],
        now: datetime,
        incident_id: int | None = None,
        anonymous: bool = False,
        avoid_unit: str | None = None,
        match_role: str | None = None,
        match_tags: Sequence[str] = (),
        match_language: str | None = None,
    ) -> PeerRequest:
        """Store a new request in the pending state."""
        cur = await self._conn.execute(
            "INSERT INTO peer_requests (requester_id, area, urgency, contact,"
            " preferred_supporter_id, note, state, created_at, updated_at, incident_id, anonymous,"
            " avoid_unit, match_role, match_tags, match_language)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (
                requester_id,
                area,
                urgency,
                contact,
                preferred_supporter_id,
                note,
                RequestState.PENDING,
                to_db(now),
                to_db(now),
                incident_id,
                int(anonymous),
                avoid_unit,
                match_role,
                "\n".join(match_tags) or None,
                match_language,
            ),
        )
        row = await cur.fetchone()
        if row is None:
            raise InconsistentRecords("missing: row")
        request_id = int(row["id"])
        await self._conn.executemany(
            "INSERT INTO request_exclusions (request_id, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
            [(request_id, uid) for uid in excluded_ids],
        )
        request = await self.get(request_id)
        if request is None:
            raise InconsistentRecords("missing: request")
        return request

    async def get(self, request_id: int) -> PeerRequest | None:
        """The request with this id, if any."""
        cur = await self._conn.execute("SELECT * FROM peer_requests WHERE id = ?", (request_id,))
        row = await cur.fetchone()
        if row is None:
            return None
        cur = await self._conn.execute(
            "SELECT user_id FROM request_exclusions WHERE request_id = ?", (request_id,)
        )
        excluded = frozenset(r["user_id"] for r in await cur.fetchall())
        return _request(row, excluded)

    async def open_for_requester(self, requester_id: str) -> PeerRequest | None:
        """The requester's open request, if they have one."""
        cur = await self._conn.execute(
            "SELECT id FROM peer_requests WHERE requester_id = ? AND state IN (?, ?, ?, ?)"
            " ORDER BY id DESC LIMIT 1",
            (requester_id, *sorted(OPEN_REQUEST_STATES)),
        )
        row = await cur.fetchone()
        return None if row is None else await self.get(row["id"])

    async def transition(
        self,
        request_id: int,
        target: RequestState,
        *,
        now: datetime,
        only_from: Iterable[RequestState] | None = None,
        assignee_id: str | None = None,
        fields: dict[str, Any] | None = None,
    ) -> bool:
        """Move a request to ``target`` if its current state allows it; True if it moved.

        The move is one conditional UPDATE: it succeeds for exactly one caller
        even when several race. ``only_from`` narrows the allowed sources and
        ``assignee_id`` requires the request to be held by that supporter.
        """
        allowed = sources_of(target)
        if only_from is not None:
            allowed = allowed & frozenset(only_from)
        if not allowed:
            return False
        extra = {k: to_db(v) if isinstance(v, datetime) else v for k, v in (fields or {}).items()}
        sets = {"state": str(target), "updated_at": to_db(now), **extra}
        assignments = ", ".join(f"{column} = ?" for column in sets)
        where = f"id = ? AND state IN ({', '.join('?' for _ in allowed)})"
        params: list[Any] = [*sets.values(), request_id, *sorted(allowed)]
        if assignee_id is not None:
            where += " AND assignee_id = ?"
            params.append(assignee_id)
        cur = await self._conn.execute(
            f"UPDATE peer_requests SET {assignments} WHERE {where}",
            params,
        )
        return cur.rowcount == 1

    async def reveal(self, request_id: int, *, now: datetime) -> bool:
        """Record that an anonymous request's requester shared their name; True the first time only."""
        cur = await self._conn.execute(
            "UPDATE peer_requests SET revealed_at = ?, updated_at = ?"
            " WHERE id = ? AND anonymous = 1 AND revealed_at IS NULL",
            (to_db(now), to_db(now), request_id),
        )
        return cur.rowcount == 1

    async def ids_without_open_offer(self, states: Iterable[RequestState]) -> list[int]:
        """Ids of requests in any of ``states`` with no open offer out, oldest first."""
        wanted = sorted(states)
        cur = await self._conn.execute(
            f"SELECT id FROM peer_requests r WHERE state IN ({', '.join('?' for _ in wanted)})"
            " AND NOT EXISTS (SELECT 1 FROM offers o WHERE o.request_id = r.id AND o.state = ?)"
            " ORDER BY id",
            [*wanted, OfferState.OPEN],
        )
        return [row["id"] for row in await cur.fetchall()]

    async def count_by_state(self) -> dict[RequestState, int]:
        """How many stored requests are in each state (counts only; for the operator's metrics)."""
        cur = await self._conn.execute("SELECT state, COUNT(*) AS n FROM peer_requests GROUP BY state")
        counts = dict.fromkeys(RequestState, 0)
        for row in await cur.fetchall():
            counts[RequestState(row["state"])] = int(row["n"])
        return counts

    async def count_open_offers(self) -> int:
        """How many offers wait for an answer now."""
        cur = await self._conn.execute("SELECT COUNT(*) AS n FROM offers WHERE state = ?", (OfferState.OPEN,))
        row = await cur.fetchone()
        return 0 if row is None else int(row["n"])

    async def open_as_of(self, instant: datetime) -> OpenCounts:
        """How many requests were waiting, escalated or held at ``instant``, read from their times
        (counts only, never who). A view built on a fixed past instant does not move the second a
        request is made."""
        t = to_db(instant)
        held = "(assigned_at IS NOT NULL AND assigned_at < ? AND state IN (?, ?))"
        cur = await self._conn.execute(
            f"SELECT COALESCE(SUM(CASE WHEN {held} THEN 1 ELSE 0 END), 0) AS held,"
            f" COALESCE(SUM(CASE WHEN NOT {held} AND escalated_at IS NOT NULL AND escalated_at < ?"
            " THEN 1 ELSE 0 END), 0) AS escalated,"
            f" COALESCE(SUM(CASE WHEN NOT {held} AND (escalated_at IS NULL OR escalated_at >= ?)"
            " THEN 1 ELSE 0 END), 0) AS waiting"
            " FROM peer_requests WHERE created_at < ? AND (closed_at IS NULL OR closed_at >= ?)",
            (
                *(t, RequestState.ASSIGNED, RequestState.CLOSED),
                *(t, RequestState.ASSIGNED, RequestState.CLOSED, t),
                *(t, RequestState.ASSIGNED, RequestState.CLOSED, t),
                t,
                t,
            ),
        )
        row = await cur.fetchone()
        if row is None:
            return OpenCounts(0, 0, 0)
        return OpenCounts(waiting=int(row["waiting"]), escalated=int(row["escalated"]), held=int(row["held"]))

    async def held_as_of(self, instant: datetime) -> dict[str, int]:
        """How many requests each supporter held at ``instant``, read from their times (the same
        reading as :meth:`open_as_of`): a request accepted since does not move it."""
        t = to_db(instant)
        cur = await self._conn.execute(
            "SELECT assignee_id, COUNT(*) AS held FROM peer_requests"
            " WHERE assignee_id IS NOT NULL AND assigned_at IS NOT NULL AND assigned_at < ?"
            " AND state IN (?, ?) AND (closed_at IS NULL OR closed_at >= ?)"
            " GROUP BY assignee_id",
            (t, RequestState.ASSIGNED, RequestState.CLOSED, t),
        )
        return {row["assignee_id"]: int(row["held"]) for row in await cur.fetchall()}

    async def assigned_to(self, supporter_id: str) -> list[int]:
        """Ids of the requests a supporter holds."""
        cur = await self._conn.execute(
            "SELECT id FROM peer_requests WHERE assignee_id = ? AND state = ? ORDER BY id",
            (supporter_id, RequestState.ASSIGNED),
        )
        return [row["id"] for row in await cur.fetchall()]

    # Offers

    async def add_offer(
        self, *, request_id: int, supporter_id: str, now: datetime, expires_at: datetime
    ) -> Offer:
        """Record an open offer (before its DM is sent, so a crash cannot lose it)."""
        # The supporter's role as it is now, for the statistics of the quarter the offer is made in.
        cur = await self._conn.execute(
            "INSERT INTO offers (request_id, supporter_id, state, offered_at, expires_at, supporter_role)"
            " VALUES (?, ?, ?, ?, ?, (SELECT role FROM supporters WHERE user_id = ?)) RETURNING id",
            (request_id, supporter_id, OfferState.OPEN, to_db(now), to_db(expires_at), supporter_id),
        )
        row = await cur.fetchone()
        if row is None:
            raise InconsistentRecords("missing: row")
        offer = await self.get_offer(int(row["id"]))
        if offer is None:
            raise InconsistentRecords("missing: offer")
        return offer

    async def get_offer(self, offer_id: int) -> Offer | None:
        """The offer with this id, if any."""
        cur = await self._conn.execute("SELECT * FROM offers WHERE id = ?", (offer_id,))
        row = await cur.fetchone()
        return None if row is None else _offer(row)

    async def offers_of(self, request_id: int, states: Iterable[OfferState] | None = None) -> list[Offer]:
        """The offers of one request, optionally only those in ``states``."""
        sql = "SELECT * FROM offers WHERE request_id = ?"
        params: list[Any] = [request_id]
        if states is not None:
            wanted = sorted(states)
            sql += f" AND state IN ({', '.join('?' for _ in wanted)})"
            params.extend(wanted)
        cur = await self._conn.execute(sql + " ORDER BY id", params)
        return [_offer(row) for row in await cur.fetchall()]

    async def open_offers_of_supporter(self, supporter_id: str) -> list[Offer]:
        """A supporter's open offers."""
        cur = await self._conn.execute(
            "SELECT * FROM offers WHERE supporter_id = ? AND state = ? ORDER BY id",
            (supporter_id, OfferState.OPEN),
        )
        return [_offer(row) for row in await cur.fetchall()]

    async def set_offer_state(
        self,
        offer_id: int,
        target: OfferState,
        *,
        now: datetime,
        only_from: Iterable[OfferState] = (OfferState.OPEN,),
    ) -> bool:
        """Conditionally move an offer; True for the one caller that moved it."""
        sources = sorted(only_from)
        accepted_at = to_db(now) if target == OfferState.ACCEPTED else None
        cur = await self._conn.execute(
            "UPDATE offers SET state = ?, answered_at = ?, accepted_at = COALESCE(?, accepted_at)"
            f" WHERE id = ? AND state IN ({', '.join('?' for _ in sources)})",
            (target, to_db(now), accepted_at, offer_id, *sources),
        )
        return cur.rowcount == 1

    async def set_offer_message(self, offer_id: int, channel_id: str, ts: str) -> None:
        """Remember where the offer's DM landed (the offer's first known copy, and a copy)."""
        await self._conn.execute(
            "UPDATE offers SET channel_id = ?, message_ts = ? WHERE id = ? AND message_ts IS NULL",
            (channel_id, ts, offer_id),
        )
        await self.add_offer_copy(offer_id, MessageRef(channel_id=channel_id, ts=ts))

    async def add_offer_copy(self, offer_id: int, ref: MessageRef) -> None:
        """Remember one more copy of the offer's DM (posted by the app, found in its DM)."""
        await self._conn.execute(
            "INSERT INTO offer_copies (offer_id, channel_id, message_ts) VALUES (?, ?, ?)"
            " ON CONFLICT DO NOTHING",
            (offer_id, ref.channel_id, ref.ts),
        )

    async def offer_copies(self, offer_id: int) -> list[MessageRef]:
        """Every recorded copy of the offer's DM, oldest first."""
        cur = await self._conn.execute(
            "SELECT channel_id, message_ts FROM offer_copies WHERE offer_id = ? ORDER BY message_ts",
            (offer_id,),
        )
        return [MessageRef(channel_id=r["channel_id"], ts=r["message_ts"]) for r in await cur.fetchall()]

    async def claim_offer_send(self, offer_id: int, now: datetime, *, stale_before: datetime | None) -> bool:
        """Claim an open, undelivered offer for sending; False if it was delivered or answered, or
        another sender claimed it after ``stale_before`` (``None``: take it whoever holds it)."""
        sql = "UPDATE offers SET send_claimed_at = ? WHERE id = ? AND state = ? AND message_ts IS NULL"
        params: list[object] = [to_db(now), offer_id, OfferState.OPEN]
        if stale_before is not None:
            sql += " AND (send_claimed_at IS NULL OR send_claimed_at < ?)"
            params.append(to_db(stale_before))
        cur = await self._conn.execute(sql, params)
        return cur.rowcount == 1

    async def release_offer_send(self, offer_id: int) -> None:
        """The send failed: the next sweep, on any instance, may send it again at once."""
        await self._conn.execute("UPDATE offers SET send_claimed_at = NULL WHERE id = ?", (offer_id,))

    async def due_offers(self, now: datetime) -> list[Offer]:
        """Open offers whose deadline has passed."""
        cur = await self._conn.execute(
            "SELECT * FROM offers WHERE state = ? AND expires_at <= ? ORDER BY expires_at, id",
            (OfferState.OPEN, to_db(now)),
        )
        return [_offer(row) for row in await cur.fetchall()]

    async def set_release_at(self, offer_id: int, at: datetime) -> None:
        """When an accepted offer's request goes back to the rotation unless its holder reaches out."""
        await self._conn.execute("UPDATE offers SET release_at = ? WHERE id = ?", (to_db(at), offer_id))

    async def mark_reached_out(self, offer_id: int, now: datetime) -> bool:
        """The holder says they reached out; True the first time, while they still hold it."""
        cur = await self._conn.execute(
            "UPDATE offers SET reached_out_at = ? WHERE id = ? AND state = ? AND reached_out_at IS NULL",
            (to_db(now), offer_id, OfferState.ACCEPTED),
        )
        return cur.rowcount == 1

    async def mark_resources_shared(self, offer_id: int, now: datetime) -> bool:
        """The holder shared entries of the resource directory; True while they still hold it."""
        cur = await self._conn.execute(
            "UPDATE offers SET resources_shared_at = ? WHERE id = ? AND state = ?",
            (to_db(now), offer_id, OfferState.ACCEPTED),
        )
        return cur.rowcount == 1

    async def resources_shared(self, offer_id: int) -> bool:
        """Whether the holder of this offer shared entries of the resource directory."""
        cur = await self._conn.execute("SELECT resources_shared_at FROM offers WHERE id = ?", (offer_id,))
        row = await cur.fetchone()
        return row is not None and row["resources_shared_at"] is not None

    async def lapsed_holds(self, now: datetime) -> list[Offer]:
        """Accepted offers whose holder has not said they reached out by their release time."""
        cur = await self._conn.execute(
            "SELECT * FROM offers WHERE state = ? AND reached_out_at IS NULL AND release_at <= ?"
            " ORDER BY release_at, id",
            (OfferState.ACCEPTED, to_db(now)),
        )
        return [_offer(row) for row in await cur.fetchall()]

    async def exclude(self, request_id: int, user_id: str) -> None:
        """Never offer this request to ``user_id`` again (the requester asked for someone else)."""
        await self._conn.execute(
            "INSERT INTO request_exclusions (request_id, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
            (request_id, user_id),
        )

    async def add_alerts(self, request_id: int, refs: Iterable[MessageRef]) -> None:
        """Remember where coordinators' alerts about a waiting request landed."""
        await self._conn.executemany(
            "INSERT INTO escalation_alerts (request_id, channel_id, message_ts) VALUES (?, ?, ?)"
            " ON CONFLICT DO NOTHING",
            [(request_id, r.channel_id, r.ts) for r in refs],
        )

    async def has_alerts(self, request_id: int) -> bool:
        """Whether coordinators hold an alert about this request not yet redrawn as resolved."""
        cur = await self._conn.execute(
            "SELECT 1 FROM escalation_alerts WHERE request_id = ? LIMIT 1", (request_id,)
        )
        return await cur.fetchone() is not None

    async def take_alerts(self, request_id: int) -> list[MessageRef]:
        """The alerts about a request, forgotten as they are returned (each is redrawn once)."""
        cur = await self._conn.execute(
            "DELETE FROM escalation_alerts WHERE request_id = ? RETURNING channel_id, message_ts",
            (request_id,),
        )
        return [MessageRef(channel_id=r["channel_id"], ts=r["message_ts"]) for r in await cur.fetchall()]

    async def unsent_open_offers(self) -> list[Offer]:
        """Open offers whose DM was never recorded as sent (a crash between the two)."""
        cur = await self._conn.execute(
            "SELECT * FROM offers WHERE state = ? AND message_ts IS NULL ORDER BY id",
            (OfferState.OPEN,),
        )
        return [_offer(row) for row in await cur.fetchall()]

    async def answered_offers_since(self, since: datetime) -> list[Offer]:
        """Offers answered (or otherwise settled) since ``since`` whose DM can be redrawn."""
        cur = await self._conn.execute(
            "SELECT * FROM offers WHERE state != ? AND answered_at >= ? AND message_ts IS NOT NULL"
            " ORDER BY id",
            (OfferState.OPEN, to_db(since)),
        )
        return [_offer(row) for row in await cur.fetchall()]


def _request(row: Mapping[str, Any], excluded: frozenset[str]) -> PeerRequest:
    return PeerRequest(
        id=row["id"],
        requester_id=row["requester_id"],
        area=row["area"],
        urgency=row["urgency"],
        contact=row["contact"],
        preferred_supporter_id=row["preferred_supporter_id"],
        note=row["note"],
        state=row["state"],
        assignee_id=row["assignee_id"],
        created_at=from_db(row["created_at"]),
        updated_at=from_db(row["updated_at"]),
        assigned_at=from_db(row["assigned_at"]),
        closed_at=from_db(row["closed_at"]),
        minutes=row["minutes"],
        referral=row["referral"],
        excluded_ids=excluded,
        incident_id=row["incident_id"],
        escalated_at=from_db(row["escalated_at"]),
        purged_at=from_db(row["purged_at"]),
        anonymous=bool(row["anonymous"]),
        revealed_at=from_db(row["revealed_at"]),
        avoid_unit=row["avoid_unit"],
        match_role=row["match_role"],
        match_tags=tuple((row["match_tags"] or "").split("\n")) if row["match_tags"] else (),
        match_language=row["match_language"],
    )


def _offer(row: Mapping[str, Any]) -> Offer:
    return Offer(
        id=row["id"],
        request_id=row["request_id"],
        supporter_id=row["supporter_id"],
        state=row["state"],
        offered_at=from_db(row["offered_at"]),
        expires_at=from_db(row["expires_at"]),
        answered_at=from_db(row["answered_at"]),
        channel_id=row["channel_id"],
        message_ts=row["message_ts"],
        reached_out_at=from_db(row["reached_out_at"]),
        release_at=from_db(row["release_at"]),
    )
