"""A small office in a known state, for the abuse and authorization tests.

Five roles, each a fixed person: an employee (who got a check-in after an incident), a peer
supporter who holds nothing, the *assigned* supporter (who holds one request, holds an anonymous
one relayed through the bot, has an open offer for a third, and got the program's care
check-in after closing a heavy one), a coordinator, and an administrator (statistics and
reports only). Other people asked for a peer; one
request is escalated. The program around the requests is there too: a concern about a
colleague, an announced event, and an offer to volunteer waiting for review. Everything is built
through the services, so only the action under test goes over HTTP; :func:`snapshot` reads the
whole database to prove that a refused action changed nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from bot.announcements import EventForm
from bot.checkins import IncidentForm
from bot.concerns import ConcernForm
from bot.oncall import ShiftForm
from bot.peer_requests import RequestForm
from bot.resources import ResourceForm
from bot.workspaces import Office
from storage.db import Database
from storage.models import OfferState, Referral
from storage.sql import Connection
from tests.rig import Rig

EMPLOYEE = "UEMP"
SUPPORTER = "USUP"
ASSIGNED = "UASG"
COORDINATOR = "UCOORD1"
# Sees statistics, exports and the quarterly report, and nothing else (PEER_ADMINISTRATORS).
ADMINISTRATOR = "UADMIN"
ROLES = {
    "employee": EMPLOYEE,
    "supporter": SUPPORTER,
    "assigned supporter": ASSIGNED,
    "coordinator": COORDINATOR,
    "administrator": ADMINISTRATOR,
}
# The people whose requests are in the world, and what only the holder may ever see: the held,
# offered and escalated requests, the anonymous one (relayed) and the heavy one (closed).
REQUESTERS = ("UREQA", "UREQB", "UREQC", "UREQD", "UREQE")
NOTES = ("note-held-7f3a", "note-offered-9c2e", "note-escalated-4b1d", "note-relayed-2d8e", "note-heavy-5a6c")
ANONYMOUS_REQUESTER = REQUESTERS[3]
# The colleague someone is worried about (a concern), and someone who offered to volunteer.
CONCERN_SUBJECT = "UCOLL"
CONCERN_NOTE = "concern-note-3e9b"
VOLUNTEER = "UVOL"
# A coordinator added in Slack (the others come from PEER_COORDINATORS), so one can be removed.
ADDED_COORDINATOR = "UCOORD3"
# An administrator added in Slack (the other comes from PEER_ADMINISTRATORS), so one can be removed.
ADDED_ADMINISTRATOR = "UADMIN2"
EVENT_CHANNEL = "CEVENTS"

WORLD_SETTINGS: dict[str, Any] = {
    "peer_administrators": ADMINISTRATOR,
    # The administrator is also one of the deployment's association administrators (statistics
    # across offices): a role of the deployment, named with the workspace (T111, the stand-in's).
    "peer_association_administrators": f"T111:{ADMINISTRATOR}",
    "peer_checkin_offsets": "1d,3d",
    "peer_checkin_hours": "any",
    "peer_checkin_rate": 1000,
    # The assigned supporter holds two requests and is offered a third.
    "peer_supporter_capacity": 3,
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
    relayed_request: int  # the anonymous requester's, held by the assigned supporter
    conversation: int  # its relayed conversation
    care_checkin: int  # the program's check-in on the assigned supporter, after a heavy close
    concern: int  # about CONCERN_SUBJECT, raised without a name, not yet acted on
    event: int  # an upcoming lunch-and-learn, announced in EVENT_CHANNEL
    volunteer: int  # VOLUNTEER's offer, waiting for a coordinator
    resource: int  # an entry of the office's resource directory
    oncall: int  # a shift of the on-call rota
    talk_question: int  # "Did talking help?", asked of the heavy request's requester after its close


async def build_world(rig: Rig, office: Office | None = None) -> World:
    """Bring the app (or one ``office`` of a deployment of many) to the world's state (service
    hours "any"; capacity 3)."""
    services = rig.app.services if office is None else office.services
    db = rig.app.db if office is None else office.db
    assert services is not None and db is not None
    rig.slack.add_users(EMPLOYEE, COORDINATOR)
    rig.slack.add_channel(EVENT_CHANNEL, COORDINATOR, EMPLOYEE, SUPPORTER, ASSIGNED)
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

    async def held_by_assigned(requester: str, note: str, **form: Any) -> tuple[int, int]:
        request = await ask(requester, note, preferred_supporter_id=ASSIGNED, **form)
        [offer] = await offers_of(rig, request, db=db)
        async with db.read() as tx:
            [copy] = await tx.requests.offer_copies(offer)
        await services.requests.accept(offer_id=offer, user_id=ASSIGNED, clicked=copy)
        await rig.settle()
        return request, offer

    # A heavy request, closed: the program checks in on the supporter a day later (with the
    # employee's first check-in).
    heavy, _ = await held_by_assigned(REQUESTERS[4], NOTES[4])
    await services.requests.close(request_id=heavy, user_id=ASSIGNED, minutes=45, referral=Referral.EAP)
    await services.care.heavy(request_id=heavy, supporter_id=ASSIGNED)
    rig.clock.advance(timedelta(days=1))
    await services.deliveries.deliver_due()
    await rig.settle()

    relayed, _ = await held_by_assigned(ANONYMOUS_REQUESTER, NOTES[3], anonymous=True)
    held, held_offer = await held_by_assigned(REQUESTERS[0], NOTES[0])
    offered = await ask(REQUESTERS[1], NOTES[1], preferred_supporter_id=ASSIGNED)
    [open_offer] = await offers_of(rig, offered, db=db)
    escalated = await ask(REQUESTERS[2], NOTES[2], excluded_ids=frozenset({SUPPORTER}))

    concern = await services.concerns.raise_concern(
        raiser_id=SUPPORTER, form=ConcernForm(subject_id=CONCERN_SUBJECT, note=CONCERN_NOTE, contact_me=False)
    )
    await services.concerns.alert(concern_id=concern)
    await services.concerns.thank(raiser_id=SUPPORTER)
    event = await services.announcements.announce(
        coordinator_id=COORDINATOR,
        form=EventForm(
            title="Lunch and learn: what the EAP offers",
            kind="lunch_and_learn",
            day="2026-12-10",
            start="12:00",
            end="13:00",
            place="Room 4B",
            channel_id=EVENT_CHANNEL,
        ),
    )
    await services.announcements.publish()
    volunteer = await services.volunteers.volunteer(user_id=VOLUNTEER, note=None)
    await services.volunteers.ask_coordinators(volunteer_id=volunteer.id)
    await services.roles.add_coordinators(coordinator_id=COORDINATOR, user_ids=[ADDED_COORDINATOR])
    await services.roles.add_administrators(coordinator_id=COORDINATOR, user_ids=[ADDED_ADMINISTRATOR])
    resource = await services.directory.save(
        coordinator_id=COORDINATOR,
        resource_id=None,
        form=ResourceForm(name="Dr. Rivera", purpose="Trauma therapy", phone="555-0100", topics=("trauma",)),
    )
    shift = await services.oncall.add(
        coordinator_id=COORDINATOR,
        form=ShiftForm(user_id=ADDED_COORDINATOR, days="Sat,Sun", hours="08:00-20:00"),
    )
    await rig.settle()

    async with db.read() as tx:
        state = (await tx.requests.get(escalated)).state  # type: ignore[union-attr]

        async def one(sql: str, *params: Any) -> int:
            rows = [tuple(r) for r in await (await tx.conn.execute(sql, params)).fetchall()]
            assert len(rows) == 1, (sql, rows)
            return rows[0][0]

        checkin = await one(
            "SELECT id FROM scheduled_messages WHERE recipient_id = ? AND state = 'sent'", EMPLOYEE
        )
        care_checkin = await one(
            "SELECT id FROM scheduled_messages WHERE recipient_id = ? AND kind = 'care_checkin'"
            " AND state = 'sent'",
            ASSIGNED,
        )
        conversation = await one("SELECT id FROM relay_conversations WHERE request_id = ?", relayed)
        talk_question = await one(
            "SELECT id FROM scheduled_messages WHERE kind = 'talk_question' AND state = 'sent'"
        )
    assert state == "escalated", state
    return World(
        held_request=held,
        held_offer=held_offer,
        offered_request=offered,
        open_offer=open_offer,
        escalated_request=escalated,
        incident=incident,
        checkin=checkin,
        relayed_request=relayed,
        conversation=conversation,
        care_checkin=care_checkin,
        concern=concern,
        event=event,
        volunteer=volunteer.id,
        resource=resource,
        oncall=shift.id,
        talk_question=talk_question,
    )


async def offers_of(
    rig: Rig, request_id: int, state: OfferState | None = None, *, db: Database | None = None
) -> list[int]:
    """Ids of a request's offers (in ``db``, by default the app's)."""
    async with (db or rig.app.db).read() as tx:  # type: ignore[union-attr]
        offers = await tx.requests.offers_of(request_id, None if state is None else [state])
    return [o.id for o in offers]


# Columns that change as a side effect of someone else's legitimate work (the rotation moving
# on when the acting user's own request is offered), never as a permission matter.
_INCIDENTAL = {"supporters": {"rotation_seq"}, "rotation": {"seq"}}


async def snapshot(db: Database, *, except_owned_by: str | None = None) -> dict[str, list[tuple]]:
    """Every row of every table; with ``except_owned_by``, minus what that person may change.

    A person may change their own request (and its offers and notices), their own roster entry,
    the contacts they logged, their own scheduled messages, their own RSVPs, and when they last
    opened their Home tab; nothing else.
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
            cur = await conn.execute(f"SELECT * FROM {table}")
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
        case "rsvps":
            return row["user_id"] == user
        case "scheduled_messages":
            return row["recipient_id"] == user or (
                row["request_id"] is not None and await own_request(row["request_id"])
            )
    return False
