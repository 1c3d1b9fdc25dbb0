"""A small office in a known state, for the abuse and authorization tests.

Four roles, each a fixed person: an employee (who got a check-in after an incident), a peer
supporter who holds nothing, the *assigned* supporter (who holds one request and has an open
offer for another), and a coordinator. Three other people asked for a peer; one request is
escalated. Everything is built through the services, so only the action under test goes over
HTTP; :func:`snapshot` reads the whole database to prove that a refused action changed nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from bot.checkins import IncidentForm
from bot.peer_requests import RequestForm
from storage.db import Database
from storage.models import OfferState
from storage.sql import Connection
from tests.rig import Rig

EMPLOYEE = "UEMP"
SUPPORTER = "USUP"
ASSIGNED = "UASG"
COORDINATOR = "UCOORD1"
ROLES = {
    "employee": EMPLOYEE,
    "supporter": SUPPORTER,
    "assigned supporter": ASSIGNED,
    "coordinator": COORDINATOR,
}
# The people whose requests are in the world, and what only the holder may ever see.
REQUESTERS = ("UREQA", "UREQB", "UREQC")
NOTES = ("note-held-7f3a", "note-offered-9c2e", "note-escalated-4b1d")

WORLD_SETTINGS: dict[str, Any] = {
    "peer_checkin_offsets": "1d,3d",
    "peer_checkin_hours": "any",
    "peer_checkin_rate": 1000,
}


@dataclass(frozen=True)
class World:
    """The ids of what the world holds."""

    held_request: int  # UREQA's, held by the assigned supporter
    held_offer: int
    offered_request: int  # UREQB's, offered to the assigned supporter (open)
    open_offer: int
    escalated_request: int  # UREQC's: nobody eligible (the supporter is excluded)
    incident: int
    checkin: int  # the check-in sent to the employee


async def build_world(rig: Rig) -> World:
    """Bring the app to the world's state (service hours "any"; capacity 2)."""
    services = rig.app.services
    assert services is not None
    rig.slack.add_users(EMPLOYEE, COORDINATOR)
    incident = await services.checkins.register_incident(
        coordinator_id=COORDINATOR,
        form=IncidentForm(
            kind="critical_incident",
            name="Courthouse shooting",
            occurred_on="2026-11-29",
            user_ids=frozenset({EMPLOYEE}),
        ),
    )
    await services.checkins.prepare(incident_id=incident)
    rig.clock.advance(timedelta(days=1))
    await services.deliveries.deliver_due()
    await services.roster.add(
        coordinator_id=COORDINATOR, user_ids=[SUPPORTER, ASSIGNED], trained_on=date(2026, 1, 15)
    )
    await rig.settle()

    async def ask(requester: str, note: str, **form: Any) -> int:
        request = await services.requests.submit(
            requester_id=requester,
            form=RequestForm(area="trauma", urgency="this_week", contact="slack", note=note, **form),
        )
        await services.requests.start(request_id=request.id)
        await rig.settle()
        return request.id

    held = await ask(REQUESTERS[0], NOTES[0], preferred_supporter_id=ASSIGNED)
    [held_offer] = await offers_of(rig, held)
    await services.requests.accept(offer_id=held_offer, user_id=ASSIGNED)
    offered = await ask(REQUESTERS[1], NOTES[1], preferred_supporter_id=ASSIGNED)
    [open_offer] = await offers_of(rig, offered)
    escalated = await ask(REQUESTERS[2], NOTES[2], excluded_ids=frozenset({SUPPORTER}))
    await rig.settle()
    async with rig.app.db.read() as tx:  # type: ignore[union-attr]
        state = (await tx.requests.get(escalated)).state  # type: ignore[union-attr]
        checkins = await tx.conn.execute(
            "SELECT id FROM scheduled_messages WHERE recipient_id = ? AND state = 'sent'", (EMPLOYEE,)
        )
        [(checkin,)] = [tuple(row) for row in await checkins.fetchall()]
    assert state == "escalated", state
    return World(
        held_request=held,
        held_offer=held_offer,
        offered_request=offered,
        open_offer=open_offer,
        escalated_request=escalated,
        incident=incident,
        checkin=checkin,
    )


async def offers_of(rig: Rig, request_id: int, state: OfferState | None = None) -> list[int]:
    """Ids of a request's offers."""
    async with rig.app.db.read() as tx:  # type: ignore[union-attr]
        offers = await tx.requests.offers_of(request_id, None if state is None else [state])
    return [o.id for o in offers]


# Columns that change as a side effect of someone else's legitimate work (the rotation moving
# on when the acting user's own request is offered), never as a permission matter.
_INCIDENTAL = {"supporters": {"rotation_seq"}, "rotation": {"seq"}}


async def snapshot(db: Database, *, except_owned_by: str | None = None) -> dict[str, list[tuple]]:
    """Every row of every table; with ``except_owned_by``, minus what that person may change.

    A person may change their own request (and its offers and notices), their own roster entry,
    the contacts they logged, their own scheduled messages, and when they last opened their Home
    tab; nothing else.
    """
    tables_sql = (
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        " AND name != 'schema_migrations' ORDER BY name"
        if db.dialect == "sqlite"
        else "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()"
        " AND table_type = 'BASE TABLE' AND table_name != 'schema_migrations' ORDER BY table_name"
    )
    async with db.read() as tx:
        conn = tx.conn
        tables = [row["name"] for row in await (await conn.execute(tables_sql)).fetchall()]
        result: dict[str, list[tuple]] = {}
        for table in tables:
            cur = await conn.execute(f"SELECT * FROM {table}")  # noqa: S608 - names from the catalog
            rows = [dict(row) for row in await cur.fetchall()]
            if except_owned_by is not None:
                rows = [r for r in rows if not await _owned(conn, table, r, except_owned_by)]
            incidental = _INCIDENTAL.get(table, set())
            kept = [tuple(v for c, v in r.items() if c not in incidental) for r in rows]
            result[table] = sorted(kept, key=repr)
        return result


async def _owned(conn: Connection, table: str, row: dict[str, Any], user: str) -> bool:
    async def one(sql: str, params: tuple) -> Any:
        found = await (await conn.execute(sql, params)).fetchone()
        return None if found is None else found[0]

    async def own_request(request_id: Any) -> bool:
        return await one("SELECT requester_id FROM peer_requests WHERE id = ?", (request_id,)) == user

    match table:
        case "peer_requests":
            return row["requester_id"] == user
        case "offers" | "request_exclusions":
            return await own_request(row["request_id"])
        case "supporters" | "home_viewers":
            return row["user_id"] == user
        case "contacts":
            return row["supporter_id"] == user
        case "contact_areas":
            return await one("SELECT supporter_id FROM contacts WHERE id = ?", (row["contact_id"],)) == user
        case "scheduled_messages":
            return row["recipient_id"] == user or (
                row["request_id"] is not None and await own_request(row["request_id"])
            )
    return False
