"""Repository contract: the same behaviour on SQLite and on PostgreSQL (TEST_DATABASE_URL)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from storage.announcement_repository import EventFields
from storage.db import Database, Tx
from storage.models import (
    Affected,
    AnnouncementKind,
    IncidentKind,
    MessageRef,
    OfferState,
    RequestState,
    ScheduledKind,
    ScheduledState,
    TrainingKind,
    VolunteerState,
)
from storage.schedule_repository import NewScheduled

NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


async def new_request(db: Database, requester: str = "UREQ1") -> int:
    async with db.transaction() as tx:
        request = await tx.requests.create(
            requester_id=requester,
            area="grief",
            urgency="this_week",
            contact="slack",
            preferred_supporter_id=None,
            note="n",
            excluded_ids=["UX", "UX"],
            now=NOW,
        )
    return request.id


async def new_incident(tx: Tx, member_ids: list[str]) -> int:
    """An incident (preparing) affecting ``member_ids``; its id."""
    return await tx.incidents.create_incident(
        kind=IncidentKind.CRITICAL_INCIDENT,
        name="Courthouse",
        occurred_on=NOW.date(),
        offsets=[60],
        channel_id=None,
        debrief_at=None,
        debrief_place=None,
        created_by="UCOORD1",
        member_ids=member_ids,
        now=NOW,
    )


async def test_transitions_follow_the_state_machine(db: Database) -> None:
    request_id = await new_request(db)
    async with db.transaction() as tx:
        assert not await tx.requests.transition(request_id, RequestState.CLOSED, now=NOW)
        assert await tx.requests.transition(request_id, RequestState.OFFERED, now=NOW)
        assert await tx.requests.transition(request_id, RequestState.CANCELLED, now=NOW)
        assert not await tx.requests.transition(request_id, RequestState.OFFERED, now=NOW)
        request = await tx.requests.get(request_id)
    assert request is not None and request.state == RequestState.CANCELLED
    assert request.excluded_ids == frozenset({"UX"})


async def test_racing_accepts_have_exactly_one_winner(db: Database) -> None:
    request_id = await new_request(db)
    async with db.transaction() as tx:
        await tx.requests.transition(request_id, RequestState.OFFERED, now=NOW)

    async def accept(supporter: str) -> bool:
        async with db.transaction() as tx:
            return await tx.requests.transition(
                request_id,
                RequestState.ASSIGNED,
                now=NOW,
                only_from=[RequestState.OFFERED],
                fields={"assignee_id": supporter, "assigned_at": NOW},
            )

    results = await asyncio.gather(*(accept(f"USUP{n}") for n in range(8)))
    assert sorted(results) == [False] * 7 + [True]


async def test_a_supporter_is_offered_a_request_at_most_once(db: Database) -> None:
    request_id = await new_request(db)
    async with db.transaction() as tx:
        await tx.requests.add_offer(request_id=request_id, supporter_id="USUP1", now=NOW, expires_at=NOW)
    with pytest.raises(Exception) as raised:
        async with db.transaction() as tx:
            await tx.requests.add_offer(request_id=request_id, supporter_id="USUP1", now=NOW, expires_at=NOW)
    assert "unique" in str(raised.value).lower()
    async with db.read() as tx:
        assert len(await tx.requests.offers_of(request_id)) == 1


async def test_offer_states_move_once(db: Database) -> None:
    request_id = await new_request(db)
    async with db.transaction() as tx:
        offer = await tx.requests.add_offer(
            request_id=request_id, supporter_id="USUP1", now=NOW, expires_at=NOW
        )
        assert await tx.requests.set_offer_state(offer.id, OfferState.PASSED, now=NOW)
        assert not await tx.requests.set_offer_state(offer.id, OfferState.EXPIRED, now=NOW)


async def test_the_sweep_finds_only_waiting_requests_with_no_offer_out(db: Database) -> None:
    # The sweep routes what this returns; a request whose offer is still out needs nothing.
    pending, out, lapsed, closed = [await new_request(db, f"UREQ{n}") for n in range(4)]
    async with db.transaction() as tx:
        for request_id in (out, lapsed, closed):
            await tx.requests.transition(request_id, RequestState.OFFERED, now=NOW)
            offer = await tx.requests.add_offer(
                request_id=request_id, supporter_id="USUP1", now=NOW, expires_at=NOW + timedelta(hours=1)
            )
            if request_id == lapsed:
                await tx.requests.set_offer_state(offer.id, OfferState.EXPIRED, now=NOW)
        await tx.requests.transition(closed, RequestState.CANCELLED, now=NOW)
        states = [RequestState.PENDING, RequestState.OFFERED, RequestState.ESCALATED]
        assert await tx.requests.ids_without_open_offer(states) == [pending, lapsed]


async def test_claims_of_scheduled_messages_have_one_winner_and_inserts_dedupe(db: Database) -> None:
    rows = [
        NewScheduled(kind=ScheduledKind.FOLLOW_UP, recipient_id="USUP1", due_at=NOW, request_id=None, seq=n)
        for n in range(250)
    ]
    async with db.transaction() as tx:
        incident = await new_incident(tx, ["UA"])
        checkins = [
            NewScheduled(
                kind=ScheduledKind.CHECKIN, recipient_id="UA", due_at=NOW, incident_id=incident, seq=n
            )
            for n in range(1, 4)
        ]
        assert await tx.schedule.schedule(checkins) == 3
        assert await tx.schedule.schedule(checkins) == 0  # the same check-ins again: nothing new
        assert await tx.schedule.schedule(rows) == 250
        due = await tx.schedule.due(NOW + timedelta(seconds=1), 1000)
        # Of some kinds only (a woken worker's notices), urgent first; of no kind, nothing.
        only = await tx.schedule.due(
            NOW + timedelta(seconds=1),
            1000,
            first=[ScheduledKind.CHECKIN],
            only=[ScheduledKind.CHECKIN, ScheduledKind.ANNOUNCEMENT],
        )
        none = await tx.schedule.due(NOW + timedelta(seconds=1), 1000, only=[])
    assert len(due) == 253
    assert [(m.kind, m.seq) for m in only] == [(ScheduledKind.CHECKIN, n) for n in range(1, 4)]
    assert none == []

    async def claim(message_id: int) -> bool:
        async with db.transaction() as tx:
            return await tx.schedule.claim(message_id, NOW)

    results = await asyncio.gather(*(claim(due[0].id) for _ in range(6)))
    assert results.count(True) == 1
    async with db.transaction() as tx:
        assert await tx.schedule.settle(due[0].id, ScheduledState.SENT, now=NOW, channel_id="D1", ts="1.1")
        sent = await tx.schedule.get(due[0].id)
    assert sent is not None and sent.state == ScheduledState.SENT and sent.sent_at == NOW


async def test_the_rotation_counter_only_moves_forward(db: Database) -> None:
    async with db.transaction() as tx:
        for user in ("USUP1", "USUP2"):
            await tx.roster.add(user, now=NOW)
            await tx.roster.record_training(
                user, kind=TrainingKind.BASIC, name="", completed_on=NOW.date(), recorded_by="UC", now=NOW
            )
        await tx.roster.take_turn("USUP1")
        await tx.roster.take_turn("USUP2")
        await tx.roster.take_turn("USUP1")
        roster = await tx.roster.all()
    assert [s.user_id for s in roster] == ["USUP2", "USUP1"]
    assert roster[1].rotation_seq > roster[0].rotation_seq


async def test_the_purge_forgets_who_asked_and_their_relayed_threads(db: Database) -> None:
    request_id = await new_request(db, requester="USECRET")
    async with db.transaction() as tx:
        await tx.relay.open(request_id=request_id, supporter_id="USUP1", label="Sam", now=NOW)
        await tx.requests.transition(request_id, RequestState.CANCELLED, now=NOW, fields={"closed_at": NOW})
        assert await tx.tracking.purge_requests(ended_before=NOW, now=NOW) == [request_id]
        request = await tx.requests.get(request_id)
        relayed = await (await tx.conn.execute("SELECT COUNT(*) AS n FROM relay_conversations")).fetchone()
        assert await tx.tracking.purge_requests(ended_before=NOW, now=NOW) == []  # once
    assert request is not None and request.requester_id is None and request.note is None
    assert request.excluded_ids == frozenset() and request.purged_at == NOW
    assert relayed is not None and relayed["n"] == 0


async def test_the_programs_tables_behave_the_same(db: Database) -> None:
    later = NOW + timedelta(days=1)
    async with db.transaction() as tx:
        # Training: the latest basic course or refresher is the supporter's training date.
        await tx.roster.add("USUP1", now=NOW)
        for kind, day in ((TrainingKind.BASIC, "2026-01-10"), (TrainingKind.REFRESHER, "2026-06-01")):
            done = datetime.fromisoformat(day).date()
            assert await tx.roster.record_training(
                "USUP1", kind=kind, name="", completed_on=done, recorded_by="UC", now=NOW
            )
        assert not await tx.roster.record_training(
            "UNOBODY", kind=TrainingKind.BASIC, name="", completed_on=NOW.date(), recorded_by="UC", now=NOW
        )
        assert len(await tx.roster.trainings(["USUP1"])) == 2 and await tx.roster.trainings([]) == []
        # Unreachable: True only when the flag changes.
        assert await tx.roster.set_unreachable("USUP1", "deactivated")
        assert not await tx.roster.set_unreachable("USUP1", "deactivated")
        assert await tx.roster.set_unreachable("USUP1", None)
        assert not await tx.roster.set_unreachable("USUP1", None)
        supporter = await tx.roster.get("USUP1")
        # One pending offer to volunteer per person (a partial unique index).
        first = await tx.roles.add_volunteer("UVOL", note=None, now=NOW)
        assert first is not None and await tx.roles.add_volunteer("UVOL", note="again", now=NOW) is None
        assert await tx.roles.decide_volunteer(first.id, VolunteerState.APPROVED, decided_by="UC", now=NOW)
        assert await tx.roles.add_volunteer("UVOL", note="later", now=later) is not None
        # A coordinator's copy is replaced, never doubled.
        await tx.roles.add_copy("volunteer", first.id, "UC", MessageRef(channel_id="D1", ts="1.1"))
        await tx.roles.add_copy("volunteer", first.id, "UC", MessageRef(channel_id="D1", ts="2.2"))
        assert await tx.roles.copies("volunteer", first.id) == [MessageRef(channel_id="D1", ts="2.2")]
        await tx.roles.home_opened("UA", now=NOW)
        await tx.roles.home_opened("UA", now=later)
        assert (
            await tx.roles.home_viewers(["UA", "UB"]) == {"UA"} and await tx.roles.home_viewers([]) == set()
        )
        # Events: RSVPs toggle, counts follow, due reminders are cancelled by kind.
        fields = EventFields(
            title="Lunch",
            kind=AnnouncementKind.SOCIAL,
            starts_at=later,
            ends_at=None,
            place="Hall",
            description=None,
        )
        event_id = await tx.announcements.create(fields, channel_id="CEV", created_by="UC", now=NOW)
        assert await tx.announcements.toggle_rsvp(event_id, "UA", now=NOW)
        assert await tx.announcements.going_to("UA", [event_id, event_id + 1]) == {event_id}
        assert await tx.announcements.going_to("UA", []) == set()
        reminder = NewScheduled(
            kind=ScheduledKind.EVENT_REMINDER,
            recipient_id="CEV",
            due_at=NOW,
            announcement_id=event_id,
            dedupe_key=f"event:{event_id}:r0:3600",
        )
        assert await tx.schedule.schedule([reminder]) == 1
        assert await tx.announcements.cancel_due(event_id, [ScheduledKind.EVENT_REMINDER]) == 1
        assert await tx.announcements.cancel_due(event_id, []) == 0
        event = await tx.announcements.get(event_id)
        concern_id = await tx.concerns.create(subject_id="USUBJ", raised_by=None, note=None, now=NOW)
        assert await tx.concerns.open_count(not_about="UC") == 1
        assert await tx.concerns.open_count(not_about="USUBJ") == 0
    assert supporter is not None and supporter.trained_on is not None
    assert supporter.trained_on.isoformat() == "2026-06-01" and supporter.unreachable is None
    assert event is not None and event.going == 1 and concern_id > 0


async def test_a_unit_of_work_that_fails_leaves_nothing_and_the_next_one_runs(db: Database) -> None:
    class Refused(Exception):
        pass

    kept = await new_request(db, "UKEPT")
    for _ in range(3):  # more than once: each time on a pooled connection given back after a failure
        with pytest.raises(Refused):
            async with db.transaction() as tx:
                await tx.requests.transition(kept, RequestState.OFFERED, now=NOW)
                await tx.requests.create(
                    requester_id="UGONE",
                    area="grief",
                    urgency="this_week",
                    contact="slack",
                    preferred_supporter_id=None,
                    note="n",
                    excluded_ids=[],
                    now=NOW,
                )
                raise Refused
    async with db.transaction() as tx:
        request = await tx.requests.get(kept)
        assert await tx.requests.open_for_requester("UGONE") is None
    assert request is not None and request.state == RequestState.PENDING


async def test_an_incidents_people_are_stored_once_each_however_many(db: Database) -> None:
    people = [f"U{n:05d}" for n in range(1_000)]  # more than one insert statement holds
    async with db.transaction() as tx:
        incident_id = await new_incident(tx, people[:600])
        # Prepared: each one's time zone and reach recorded, over the people already there too.
        await tx.incidents.add_members(
            incident_id,
            [Affected(user_id=u, tz="America/Chicago", skipped=u.endswith("7")) for u in people[400:]],
        )
        incident = await tx.incidents.get_incident(incident_id)
        members = await tx.incidents.members(incident_id)
        checked_in = await tx.incidents.to_check_in(incident_id)
    assert members == people
    assert incident is not None and incident.people == len(people)
    assert [p.user_id for p in checked_in] == [u for u in people if u < "U00400" or not u.endswith("7")]
    assert {p.tz for p in checked_in if p.user_id >= "U00400"} == {"America/Chicago"}
    assert {p.tz for p in checked_in if p.user_id < "U00400"} == {None}
