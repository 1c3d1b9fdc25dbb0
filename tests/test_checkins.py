"""Follow-up check-ins after an incident: scheduled, delivered once, answered as counts only."""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import datetime, timedelta
from typing import Any

import pytest

from bot.checkins import IncidentForm
from slack_standin import Fault
from storage.models import Affected, IncidentState, ScheduledKind, ScheduledState
from storage.schedule_repository import NewScheduled
from storage.timefmt import from_db
from tests.flows import COORDINATOR, accept, add_supporters, ask
from tests.rig import Rig, has_button, text_of

AFFECTED = ["UAFF1", "UAFF2", "UAFF3"]
CHECKIN_SETTINGS = {"peer_checkin_offsets": "1d,3d", "peer_checkin_hours": "any", "peer_checkin_rate": 1000}


async def open_incident(rig: Rig, **values: Any) -> Any:
    """The coordinator types /peer incident and submits the modal."""
    opened = len(rig.slack.calls_of("views.open"))
    response = await rig.command(COORDINATOR, "incident")
    assert response.status == 200
    await rig.settle()
    assert len(rig.slack.calls_of("views.open")) == opened + 1, response.text
    form = {
        "incident_kind": "critical_incident",
        "incident_name": "Courthouse shooting, Dec 2",
        "incident_date": "2026-11-29",
        "incident_people": AFFECTED,
        **values,
    }
    submitted = await rig.submit(COORDINATOR, rig.last_view("peer_incident"), form)
    await rig.settle()
    return submitted


def checkins_to(rig: Rig, user: str) -> list:
    return [m for m in rig.slack.dms(user) if has_button(m.blocks, "checkin_ok") or m.history]


async def leave_half_done(
    rig: Rig, incident_id: int, *, seq: int, due_at: datetime, person: bool = False
) -> None:
    """What a process that died after its first chunk of a step leaves: UAFF1's check-in of step
    ``seq`` stored (and, at preparation, UAFF1 recorded), the rest not."""
    async with rig.app.db.transaction() as tx:  # type: ignore[union-attr]
        row = NewScheduled(
            kind=ScheduledKind.CHECKIN, recipient_id="UAFF1", due_at=due_at, incident_id=incident_id, seq=seq
        )
        await tx.schedule.schedule([row])
        if person:
            await tx.incidents.add_members(incident_id, [Affected(user_id="UAFF1", tz="America/New_York")])


async def deliver_after(rig: Rig, delta: timedelta) -> None:
    rig.clock.advance(delta)
    await rig.app.deliver_due()
    await rig.settle()


async def test_every_affected_person_gets_each_checkin_exactly_once(start_app) -> None:
    rig = await start_app(**CHECKIN_SETTINGS)
    rig.slack.add_users(*AFFECTED, COORDINATOR)
    rig.slack.add_users("UGONE", deleted=True)
    submitted = await open_incident(rig, incident_people=[*AFFECTED, "UGONE"])
    assert submitted.status == 200 and submitted.text == ""

    summary = text_of(rig.slack.dms(COORDINATOR)[-1].blocks)
    assert "6 check-ins scheduled for 3 people" in summary and "1 could not be reached" in summary

    await deliver_after(rig, timedelta(hours=23))
    assert all(not checkins_to(rig, u) for u in AFFECTED), "sent before it was due"
    await deliver_after(rig, timedelta(hours=1))
    await rig.app.deliver_due()  # a second run finds nothing more to send
    for user in AFFECTED:
        [checkin] = checkins_to(rig, user)
        assert "Courthouse shooting, Dec 2" in text_of(checkin.blocks)
        assert "988" in text_of(checkin.blocks)
    assert not rig.slack.dms("UGONE")

    await deliver_after(rig, timedelta(days=2))
    for user in AFFECTED:
        assert len(checkins_to(rig, user)) == 2
    # The lock screen never names the incident.
    assert {c.params["text"] for c in rig.slack.calls_of("chat.postMessage")} == {
        "You have a new peer support message"
    }


async def test_people_are_looked_up_in_bulk_not_one_by_one_and_stored_in_paced_chunks(
    start_app, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.checkins")
    rig = await start_app(**CHECKIN_SETTINGS)
    many = [f"UMANY{n:04d}" for n in range(450)]
    rig.slack.add_users(*many)
    rig.slack.channels["CUNIT"] = many
    await open_incident(rig, incident_people=[], incident_channel="CUNIT")
    assert not rig.slack.calls_of("users.info")
    assert len(rig.slack.calls_of("users.list")) == 3  # 450 people, 200 a page
    assert len(rig.slack.calls_of("conversations.members")) == 3
    assert "900 check-ins scheduled for 450 people" in text_of(rig.slack.dms(COORDINATOR)[-1].blocks)
    # Each person's first check-in now (450 rows, 150 a transaction, with a rest between each:
    # bot.bulk); the second step's 450 are stored shortly before it comes due.
    [stored] = [r.getMessage() for r in caplog.records if "check-ins planned" in r.getMessage()]
    chunks, paused = re.search(r"\((\d+) chunks, paused ([\d.]+) s\)", stored).groups()  # type: ignore[union-attr]
    assert int(chunks) == 3 and float(paused) > 0, stored
    async with rig.app.db.read() as tx:  # type: ignore[union-attr]
        assert await tx.schedule.progress(1) == {ScheduledState.DUE: 450}
        assert await tx.schedule.not_yet_stored(1, stored=1, steps=2) == {2: 450}


async def test_apps_in_the_channel_are_not_people_who_could_not_be_reached(start_app) -> None:
    rig = await start_app(**CHECKIN_SETTINGS)
    rig.slack.add_users(*AFFECTED)
    rig.slack.add_users("UOTHERAPP", is_bot=True)
    rig.slack.add_users("UGONE", deleted=True)
    rig.slack.add_channel("CUNIT", *AFFECTED, "UOTHERAPP", "USLACKBOT", "UGONE")  # and this app
    await open_incident(rig, incident_people=[], incident_channel="CUNIT")
    summary = text_of(rig.slack.dms(COORDINATOR)[-1].blocks)
    assert "6 check-ins scheduled for 3 people" in summary and "1 could not be reached" in summary
    await deliver_after(rig, timedelta(days=1))
    sent_to = {c.channel for c in rig.slack.calls_of("chat.postMessage")}
    assert sent_to >= set(AFFECTED) and not sent_to & {
        "UOTHERAPP",
        "USLACKBOT",
        rig.slack.bot_user_id,
        "UGONE",
    }


async def test_answers_update_in_place_and_are_counted_once(start_app) -> None:
    rig = await start_app(**CHECKIN_SETTINGS)
    rig.slack.add_users(*AFFECTED)
    await open_incident(rig)
    await deliver_after(rig, timedelta(days=1))
    [checkin] = checkins_to(rig, "UAFF1")

    await rig.click("UAFF1", checkin, "checkin_ok")
    await rig.click("UAFF1", checkin, "checkin_ok", as_first_shown=True)
    await rig.settle()
    redrawn = rig.slack.message(checkin.channel, checkin.ts)
    assert "Thank you for letting us know" in text_of(redrawn.blocks)
    assert not has_button(redrawn.blocks, "checkin_ok")
    assert "already answered" in rig.slack.calls_of("chat.postEphemeral")[-1].params["text"]
    [progress] = await rig.app.services.checkins.incidents(coordinator_id=COORDINATOR)
    assert progress.incident.answered_ok == 1 and progress.answered == 1


async def test_talk_to_a_peer_creates_a_routed_request_linked_to_the_incident(start_app) -> None:
    rig = await start_app(**CHECKIN_SETTINGS)
    rig.slack.add_users(*AFFECTED)
    await add_supporters(rig, "USUP1")
    await open_incident(rig)
    await deliver_after(rig, timedelta(days=1))
    [checkin] = checkins_to(rig, "UAFF2")

    await rig.click("UAFF2", checkin, "checkin_talk")
    await rig.settle()

    assert "A peer supporter will reach out" in text_of(rig.slack.message(checkin.channel, checkin.ts).blocks)
    held = await accept(rig, "USUP1")
    assert "<@UAFF2>" in text_of(held.blocks) and "Case or trauma exposure" in text_of(held.blocks)
    status = await rig.app.services.requests.status(requester_id="UAFF2")
    assert status is not None
    async with rig.app.db.read() as tx:  # type: ignore[union-attr]
        request = await tx.requests.get(status.request_id)
    assert request is not None and request.incident_id == 1


async def test_stop_ends_only_that_persons_series(start_app) -> None:
    rig = await start_app(**CHECKIN_SETTINGS)
    rig.slack.add_users(*AFFECTED)
    await open_incident(rig)
    await deliver_after(rig, timedelta(days=1))
    [checkin] = checkins_to(rig, "UAFF3")
    await rig.click("UAFF3", checkin, "checkin_stop")
    await rig.settle()
    assert "won't send more check-ins" in text_of(rig.slack.message(checkin.channel, checkin.ts).blocks)

    await deliver_after(rig, timedelta(days=3))
    assert len(checkins_to(rig, "UAFF3")) == 1
    assert len(checkins_to(rig, "UAFF1")) == 2 and len(checkins_to(rig, "UAFF2")) == 2


async def test_incident_list_shows_counts_and_close_cancels_what_is_due(start_app) -> None:
    rig = await start_app(**CHECKIN_SETTINGS)
    rig.slack.add_users(*AFFECTED, "USOLO")
    await open_incident(rig)
    await open_incident(
        rig,
        incident_kind="bereavement",
        incident_name="Loss in the family",
        incident_people=["USOLO"],
        incident_plan="1d",
    )
    await deliver_after(rig, timedelta(days=1))
    [checkin] = checkins_to(rig, "UAFF1")
    await rig.click("UAFF1", checkin, "checkin_ok")
    [solo] = checkins_to(rig, "USOLO")
    await rig.click("USOLO", solo, "checkin_talk")
    await rig.settle()

    listing = (await rig.command(COORDINATOR, "incident list")).json["text"]
    line = next(x for x in listing.splitlines() if "Courthouse" in x)
    assert "3 people" in line and "sent 3, due 3, answered fewer than 3" in line
    solo_line = next(x for x in listing.splitlines() if "Loss in the family" in x)
    # A one-person plan shows its plan only: no count her answer, stop or silence would change.
    assert "a plan of 1 check-ins" in solo_line and "counts hidden (fewer than 3 people)" in solo_line
    assert "answered" not in solo_line and "due" not in solo_line

    closed = (await rig.command(COORDINATOR, "incident close 1")).json["text"]
    assert "3 check-ins still due were cancelled" in closed
    await deliver_after(rig, timedelta(days=5))
    assert len(checkins_to(rig, "UAFF2")) == 1
    assert "Courthouse" not in (await rig.command(COORDINATOR, "incident list")).json["text"]


async def test_bereavement_for_one_person_reads_personally(start_app) -> None:
    rig = await start_app(**CHECKIN_SETTINGS)
    rig.slack.add_users("USOLO")
    await open_incident(
        rig, incident_kind="bereavement", incident_name="your father's passing", incident_people=["USOLO"]
    )
    await deliver_after(rig, timedelta(days=2))
    [checkin] = checkins_to(rig, "USOLO")
    text = text_of(checkin.blocks)
    assert "no right way to grieve" in text and "everyone affected" not in text


async def test_the_default_plan_depends_on_the_kind(start_app) -> None:
    rig = await start_app(peer_checkin_hours="any")
    rig.slack.add_users(*AFFECTED)
    await open_incident(rig)
    assert "18 check-ins scheduled for 3 people" in text_of(rig.slack.dms(COORDINATOR)[-1].blocks)
    await open_incident(rig, incident_kind="illness", incident_name="Injury on duty")
    assert "15 check-ins scheduled for 3 people" in text_of(rig.slack.dms(COORDINATOR)[-1].blocks)


async def test_debrief_invitations_go_out_at_once(start_app) -> None:
    rig = await start_app(**CHECKIN_SETTINGS)
    rig.slack.add_users(*AFFECTED)
    await open_incident(rig, debrief_date="2026-12-03", debrief_time="12:30", debrief_place="Room 4B")
    await rig.app.deliver_due()
    await rig.settle()
    for user in AFFECTED:
        [invite] = rig.slack.dms(user)
        assert "Group debrief" in text_of(invite.blocks) and "Room 4B" in text_of(invite.blocks)
        assert "Thu 3 Dec, 12:30" in text_of(invite.blocks)


async def test_bad_incident_input_gets_inline_errors_and_changes_nothing(start_app) -> None:
    rig = await start_app(**CHECKIN_SETTINGS)
    cases = [
        ({"incident_people": []}, "incident_people", "Choose the people affected"),
        ({"incident_plan": "1d,banana"}, "incident_plan", "Couldn't read the plan"),
        ({"incident_plan": "3d,1d"}, "incident_plan", "must increase"),
        ({"incident_date": "2027-01-01"}, "incident_date", "in the future"),
        ({"incident_name": ""}, "incident_name", "give it a name"),
        ({"debrief_date": "2026-12-03"}, "debrief_date", "date, time and place"),
        (
            {"debrief_date": "2026-11-01", "debrief_time": "10:00", "debrief_place": "Room 1"},
            "debrief_date",
            "must be in the future",
        ),
    ]
    for values, block, message in cases:
        response = await open_incident(rig, **values)
        assert response.json["response_action"] == "errors", values
        assert message in response.json["errors"][block], (values, response.json)
    assert not await rig.app.services.checkins.incidents(coordinator_id=COORDINATOR)
    assert not rig.slack.calls_of("users.list")


async def test_only_coordinators_can_log_incidents(rig: Rig) -> None:
    response = await rig.command("USOMEONE", "incident")
    assert "only program coordinators" in response.json["text"]
    response = await rig.command("USOMEONE", "incident list")
    assert "only program coordinators" in response.json["text"]
    assert not rig.slack.calls_of("views.open")


async def test_checkins_land_inside_working_hours_in_the_recipients_time_zone(start_app) -> None:
    # Logged Monday 10:00 UTC; +1d is Tuesday 02:00 in Los Angeles, so it waits for 09:00 there.
    rig = await start_app(peer_checkin_offsets="1d", peer_checkin_hours="09:00-17:00", peer_checkin_rate=1000)
    rig.slack.add_users("UWEST", tz="America/Los_Angeles")
    rig.slack.add_users("UEAST", tz="Europe/Berlin")
    await open_incident(rig, incident_people=["UWEST", "UEAST"])
    await deliver_after(rig, timedelta(days=1))
    assert len(checkins_to(rig, "UEAST")) == 1  # 11:00 in Berlin: inside the window
    assert not checkins_to(rig, "UWEST")
    await deliver_after(rig, timedelta(hours=6, minutes=59))  # 08:59 in Los Angeles
    assert not checkins_to(rig, "UWEST")
    await deliver_after(rig, timedelta(minutes=1))
    assert len(checkins_to(rig, "UWEST")) == 1


async def test_a_checkin_due_while_down_is_sent_once_within_grace_and_missed_beyond(start_app) -> None:
    rig = await start_app(peer_checkin_offsets="1d,3d", peer_checkin_hours="any", peer_checkin_grace="1d")
    rig.slack.add_users("UAFF1")
    await open_incident(rig, incident_people=["UAFF1"])
    await rig.app.stop()

    rig.clock.advance(timedelta(days=1, hours=20))  # first is 20 h late: within the grace
    rig = await start_app(peer_checkin_offsets="1d,3d", peer_checkin_hours="any", peer_checkin_grace="1d")
    assert len(checkins_to(rig, "UAFF1")) == 1
    await rig.app.stop()

    rig.clock.advance(timedelta(days=3))  # second is 1 d 20 h late: beyond the grace
    rig = await start_app(peer_checkin_offsets="1d,3d", peer_checkin_hours="any", peer_checkin_grace="1d")
    assert len(checkins_to(rig, "UAFF1")) == 1
    [progress] = await rig.app.services.checkins.incidents(coordinator_id=COORDINATOR)
    assert progress.counts.get("missed") == 1


async def test_rate_limits_and_server_errors_delay_but_never_drop_or_double(start_app) -> None:
    rig = await start_app(**CHECKIN_SETTINGS)
    rig.slack.add_users(*AFFECTED)
    await open_incident(rig)
    rig.slack.inject(
        "chat.postMessage",
        Fault(status=429, error="ratelimited", retry_after=1),
        Fault(status=500, error="internal_error", retry_after=None),
        Fault(status=429, error="ratelimited", retry_after=1),
    )
    await deliver_after(rig, timedelta(days=1))
    # One check-in used up the client's retries and waits for its next attempt; none was lost.
    await deliver_after(rig, timedelta(minutes=2))
    for user in AFFECTED:
        assert len(checkins_to(rig, user)) == 1
    assert len(rig.slack.calls_of("chat.postMessage")) == len(AFFECTED) + 3 + 1  # + summary


async def test_slack_down_for_a_while_retries_later_without_loss(start_app) -> None:
    rig = await start_app(**CHECKIN_SETTINGS)
    rig.slack.add_users("UAFF1")
    await open_incident(rig, incident_people=["UAFF1"])
    rig.slack.inject(
        "chat.postMessage", *[Fault(status=503, error="service_unavailable", retry_after=None)] * 3
    )
    await deliver_after(rig, timedelta(days=1))
    assert not checkins_to(rig, "UAFF1")
    await deliver_after(rig, timedelta(minutes=5))
    assert len(checkins_to(rig, "UAFF1")) == 1


async def test_a_supporter_can_ask_to_be_reminded_to_check_back_in(start_app) -> None:
    rig = await start_app(**CHECKIN_SETTINGS)
    await add_supporters(rig, "USUP1")
    await ask(rig, "UREQ1")
    held = await accept(rig, "USUP1")
    await rig.click("USUP1", held, "request_close")
    await rig.settle()
    view = rig.last_view("peer_request_close")
    bad = await rig.submit("USUP1", view, {"minutes": "20", "referral": "none", "follow_up_days": "soon"})
    assert "whole days" in bad.json["errors"]["follow_up_days"]
    ok = await rig.submit("USUP1", view, {"minutes": "20", "referral": "none", "follow_up_days": "7"})
    assert ok.text == ""
    await rig.settle()
    before = len(rig.slack.dms("USUP1"))
    await deliver_after(rig, timedelta(days=6))
    assert len(rig.slack.dms("USUP1")) == before
    await deliver_after(rig, timedelta(days=1))
    reminder = rig.slack.dms("USUP1")[-1]
    assert "check back in with <@UREQ1>" in text_of(reminder.blocks)


async def test_preparing_an_incident_twice_at_once_schedules_each_checkin_once(start_app) -> None:
    # Two instances starting together both finish an incident left preparing.
    rig = await start_app(**CHECKIN_SETTINGS)
    rig.slack.add_users(*AFFECTED)
    form = IncidentForm(
        kind="critical_incident",
        name="Courthouse shooting",
        occurred_on="2026-11-29",
        user_ids=frozenset(AFFECTED),
    )
    checkins = rig.app.services.checkins
    incident_id = await checkins.register_incident(coordinator_id=COORDINATOR, form=form)
    await asyncio.gather(checkins.prepare(incident_id=incident_id), checkins.prepare(incident_id=incident_id))
    await deliver_after(rig, timedelta(days=1))
    for user in AFFECTED:
        assert len(checkins_to(rig, user)) == 1


async def test_a_preparation_that_died_after_its_first_chunk_is_finished_once_by_the_next(start_app) -> None:
    # Each chunk of first check-ins records its people with it, before the incident is claimed: a
    # preparer that dies between chunks leaves rows and people that the next one must not repeat.
    rig = await start_app(**CHECKIN_SETTINGS)
    rig.slack.add_users("UAFF1", "UAFF2")
    rig.slack.add_users("UAFF3", tz="Europe/Berlin")
    rig.slack.add_users("UGONE", deleted=True)
    form = IncidentForm(
        kind="critical_incident",
        name="Courthouse shooting",
        occurred_on="2026-11-29",
        user_ids=frozenset([*AFFECTED, "UGONE"]),
    )
    checkins = rig.app.services.checkins
    incident_id = await checkins.register_incident(coordinator_id=COORDINATOR, form=form)
    [incident] = await checkins.incidents(coordinator_id=COORDINATOR)
    await leave_half_done(
        rig, incident_id, seq=1, due_at=incident.incident.created_at + timedelta(days=1), person=True
    )

    rig.clock.advance(timedelta(minutes=3))
    await rig.app.sweep()  # what a restart does with an incident left preparing
    await rig.settle()
    summaries = [m for m in rig.slack.dms(COORDINATOR) if "is set up" in text_of(m.blocks)]
    assert len(summaries) == 1
    assert "6 check-ins scheduled for 3 people" in text_of(summaries[0].blocks)
    async with rig.app.db.read() as tx:  # type: ignore[union-attr]
        people = await tx.incidents.to_check_in(incident_id)
        listed = await tx.incidents.members(incident_id)
    assert [(p.user_id, p.tz) for p in people] == [
        ("UAFF1", "America/New_York"),
        ("UAFF2", "America/New_York"),
        ("UAFF3", "Europe/Berlin"),
    ]
    assert listed == [*AFFECTED, "UGONE"]  # each once; the deactivated one kept, as skipped
    await deliver_after(rig, timedelta(days=1))
    assert all(len(checkins_to(rig, user)) == 1 for user in AFFECTED)
    await deliver_after(rig, timedelta(days=2))  # the second step reaches everyone, once
    assert all(len(checkins_to(rig, user)) == 2 for user in AFFECTED)


async def test_an_incident_whose_lookups_failed_is_prepared_by_a_later_sweep(start_app) -> None:
    rig = await start_app(**CHECKIN_SETTINGS)
    rig.slack.add_users(*AFFECTED)
    rig.slack.inject("users.list", *[Fault(status=503, error="service_unavailable", retry_after=None)] * 3)
    submitted = await open_incident(rig)
    assert submitted.text == ""
    summaries = [m for m in rig.slack.dms(COORDINATOR) if "is set up" in text_of(m.blocks)]
    assert not summaries, "prepared although Slack refused the lookups"
    [progress] = await rig.app.services.checkins.incidents(coordinator_id=COORDINATOR)
    assert progress.incident.state == "preparing"

    rig.clock.advance(timedelta(minutes=3))
    await rig.app.sweep()
    await rig.settle()
    assert "6 check-ins scheduled for 3 people" in text_of(rig.slack.dms(COORDINATOR)[-1].blocks)
    await deliver_after(rig, timedelta(days=1))
    assert all(len(checkins_to(rig, u)) == 1 for u in AFFECTED)


async def test_a_long_directory_outage_is_retried_less_and_less_often(start_app) -> None:
    rig = await start_app(**CHECKIN_SETTINGS)
    rig.slack.add_users(*AFFECTED)
    # An error Slack answers at once (a 5xx would also be retried by the client, in real time).
    outage = Fault(status=200, error="fatal_error", retry_after=None)
    rig.slack.inject("users.list", *[outage] * 1000)
    await open_incident(rig)
    attempts = [len(rig.slack.calls_of("users.list"))]  # each attempt: one call and the client's retries

    for _ in range(60):  # an hour of sweeps, one a minute
        rig.clock.advance(timedelta(minutes=1))
        await rig.app.sweep()
        attempts.append(len(rig.slack.calls_of("users.list")))
    per_attempt = attempts[0]
    tried_at = [minute for minute in range(1, 61) if attempts[minute] > attempts[minute - 1]]
    # After 2 minutes, then 4, 8, 16 and 32 minutes after each failure: not every minute.
    assert tried_at == [2, 6, 14, 30], tried_at
    assert attempts[-1] == per_attempt * 5

    rig.slack.faults["users.list"].clear()  # Slack is back
    rig.clock.advance(timedelta(hours=1))
    await rig.app.sweep()
    await rig.settle()
    assert "6 check-ins scheduled for 3 people" in text_of(rig.slack.dms(COORDINATOR)[-1].blocks)


async def checkin_dues(rig: Rig, seq: int) -> dict[str, Any]:
    """Who has a stored check-in of step ``seq``, and when it is due."""
    async with rig.app.db.read() as tx:  # type: ignore[union-attr]
        cur = await tx.conn.execute(
            "SELECT recipient_id, due_at FROM scheduled_messages WHERE kind = 'checkin' AND seq = ?", (seq,)
        )
        return {r["recipient_id"]: from_db(r["due_at"]) for r in await cur.fetchall()}


async def test_a_later_step_is_stored_an_hour_before_its_time_in_each_persons_zone(start_app) -> None:
    # Logged Monday 10:00 UTC. The second step, +3d, is Thursday 10:00 UTC: 11:00 in Berlin (inside
    # the window) and 02:00 in Los Angeles, where it waits for 09:00 (17:00 UTC).
    rig = await start_app(
        peer_checkin_offsets="1d,3d", peer_checkin_hours="09:00-17:00", peer_checkin_rate=1000
    )
    rig.slack.add_users("UWEST", tz="America/Los_Angeles")
    rig.slack.add_users("UEAST", tz="Europe/Berlin")
    await open_incident(rig, incident_people=["UWEST", "UEAST"])
    [incident] = await rig.app.services.checkins.open_incidents(coordinator_id=COORDINATOR)
    assert incident.created_at.hour == 10
    assert set(await checkin_dues(rig, 1)) == {"UWEST", "UEAST"} and not await checkin_dues(rig, 2)
    [shown] = await rig.app.services.checkins.incidents(coordinator_id=COORDINATOR)
    assert shown.due == 4  # the steps to come count as still due

    await deliver_after(rig, timedelta(days=1, hours=7))
    await deliver_after(rig, timedelta(days=1, hours=17 - 1, minutes=-1))  # 61 minutes before step 2
    assert not await checkin_dues(rig, 2)
    lookups = len(rig.slack.calls_of("users.list")) + len(rig.slack.calls_of("users.info"))
    await deliver_after(rig, timedelta(minutes=2))
    step_two = incident.created_at + timedelta(days=3)
    assert await checkin_dues(rig, 2) == {"UEAST": step_two, "UWEST": step_two.replace(hour=17)}
    # Each one's zone was kept when the incident was prepared: nobody is looked up again.
    assert len(rig.slack.calls_of("users.list")) + len(rig.slack.calls_of("users.info")) == lookups
    await deliver_after(rig, timedelta(hours=1))
    assert len(checkins_to(rig, "UEAST")) == 2 and len(checkins_to(rig, "UWEST")) == 1
    await deliver_after(rig, timedelta(hours=7))
    assert len(checkins_to(rig, "UWEST")) == 2


async def test_two_instances_store_a_step_once_and_send_it_once(start_app) -> None:
    rig = await start_app(**CHECKIN_SETTINGS)
    rig.slack.add_users(*AFFECTED)
    await open_incident(rig)
    await deliver_after(rig, timedelta(days=1))
    two = await start_app(**CHECKIN_SETTINGS)
    rig.clock.advance(timedelta(days=2))
    await asyncio.gather(rig.app.deliver_due(), two.app.deliver_due(), rig.app.deliver_due())
    await rig.settle()
    await two.settle()
    assert sorted(await checkin_dues(rig, 2)) == AFFECTED
    assert all(len(checkins_to(rig, user)) == 2 for user in AFFECTED)
    async with rig.app.db.read() as tx:  # type: ignore[union-attr]
        [incident] = await tx.incidents.incidents_in([IncidentState.OPEN])
    assert incident.steps_stored == 2


async def test_closing_before_a_step_is_stored_means_it_never_is(start_app) -> None:
    rig = await start_app(**CHECKIN_SETTINGS)
    rig.slack.add_users(*AFFECTED)
    await open_incident(rig)
    await deliver_after(rig, timedelta(days=1))
    closed = (await rig.command(COORDINATOR, "incident close 1")).json["text"]
    assert "3 check-ins still due were cancelled" in closed  # step 2's, not yet stored
    await deliver_after(rig, timedelta(days=3))
    assert not await checkin_dues(rig, 2)
    assert all(len(checkins_to(rig, user)) == 1 for user in AFFECTED)


async def test_a_step_left_half_stored_by_a_process_that_died_is_finished_once_at_restart(start_app) -> None:
    rig = await start_app(**CHECKIN_SETTINGS)
    rig.slack.add_users(*AFFECTED)
    await open_incident(rig)
    await deliver_after(rig, timedelta(days=1))
    [incident] = await rig.app.services.checkins.open_incidents(coordinator_id=COORDINATOR)
    # What a run that died between two chunks of step 2 leaves: some of its rows, the step not counted.
    await leave_half_done(rig, incident.id, seq=2, due_at=incident.created_at + timedelta(days=3))
    await rig.app.stop()
    rig.clock.advance(timedelta(days=2))
    rig = await start_app(**CHECKIN_SETTINGS)  # the start stores the rest of the step and sends it
    assert sorted(await checkin_dues(rig, 2)) == AFFECTED
    assert all(len(checkins_to(rig, user)) == 2 for user in AFFECTED)
    [stored] = await rig.app.services.checkins.open_incidents(coordinator_id=COORDINATOR)
    assert stored.steps_stored == 2
