"""Issue 18, part 3: a coordinator sees how an incident's follow-up reaches people, step by step,
suppressed as the statistics are; a plan too small for statistics shows its plan only."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from datetime import timedelta
from typing import Any

import pytest

from slack_standin import Fault
from tests.flows import COORDINATOR
from tests.rig import Rig, text_of
from tests.test_checkins import CHECKIN_SETTINGS, checkins_to, deliver_after, open_incident

NINE = [f"UFOL{n}" for n in range(1, 10)]


async def follow_up_view(rig: Rig, text: str = "incident 1") -> str:
    """``/peer incident N``: the view it opened, as text."""
    opened = len(rig.slack.calls_of("views.open"))
    response = await rig.command(COORDINATOR, text)
    await rig.settle()
    calls = rig.slack.calls_of("views.open")
    assert len(calls) == opened + 1, response.text
    view: dict[str, Any] = calls[-1].params["view"]
    if isinstance(view, str):
        view = json.loads(view)
    blocks = view["blocks"]
    counts = next((n for n, b in enumerate(blocks) if b["type"] == "divider"), len(blocks))
    return text_of(blocks[:counts])  # what it shows, not the inputs below


def step_line(shown: str, seq: int) -> str:
    start = shown.index(f"*Check-in {seq}*")
    end = shown.find("*Check-in", start + 1)
    return shown[start : end if end > 0 else start + 400]


async def answer(rig: Rig, people: list[str], action: str) -> None:
    for person in people:
        await rig.click(person, checkins_to(rig, person)[-1], action)
    await rig.settle()


async def test_the_follow_up_view_counts_each_step_and_suppresses_small_numbers(start_app) -> None:
    rig = await start_app(**CHECKIN_SETTINGS, peer_min_count=3)
    rig.slack.add_users(*NINE)
    await open_incident(rig, incident_people=NINE)

    before = await follow_up_view(rig)
    assert "9 people, a plan of 2 check-ins (1d,3d)" in before
    assert "still due 9" in step_line(before, 1) and "sent 0" in step_line(before, 1)

    await deliver_after(rig, timedelta(days=1))
    await answer(rig, NINE[:4], "checkin_ok")
    await answer(rig, NINE[4:7], "checkin_stop")  # their second check-in is cancelled
    shown = await follow_up_view(rig)
    first = step_line(shown, 1)
    # Two did not answer: fewer than 3. Hiding stop (3) would not protect it: step 2 goes to the six
    # who did not stop, so its "still due 6" gives the stops away. Okay is hidden instead.
    assert "sent 9 · okay suppressed, talk to a peer 0, stop 3, not answered fewer than 3" in first
    assert "still due" not in first
    # Step 2 is not stored yet: still due for the six who did not stop, counted as stored rows were.
    assert "still due 6" in step_line(shown, 2)
    # The curious insider subtracts across the two lines: 9 people, 6 still due, so 3 stopped;
    # what is left of step 1 is okay + not answered = 9 - 0 - 3 = 6, never the two apart.
    stopped = 9 - int(re.search(r"still due (\d+)", step_line(shown, 2)).group(1))  # type: ignore[union-attr]
    assert f"stop {stopped}" in first
    assert not re.search(r"okay \d", first) and not re.search(r"not answered \d", first)

    await deliver_after(rig, timedelta(days=2))
    await answer(rig, NINE[:3], "checkin_ok")
    shown = await follow_up_view(rig)
    assert step_line(shown, 1).startswith(first.strip()), "a later answer moved an earlier step"
    assert "sent 6 · okay 3, talk to a peer 0, stop 0, not answered 3" in step_line(shown, 2)
    assert not any(user in shown for user in NINE), "the view names someone"

    async with rig.app.db.read() as tx:  # type: ignore[union-attr]
        cur = await tx.conn.execute(
            "SELECT seq, answer, count FROM checkin_step_answers ORDER BY seq, answer"
        )
        assert [tuple(r) for r in await cur.fetchall()] == [(1, "ok", 4), (1, "stop", 3), (2, "ok", 3)]


async def test_a_small_plan_shows_its_plan_only(start_app) -> None:
    rig = await start_app(**CHECKIN_SETTINGS, peer_min_count=3)
    rig.slack.add_users("USOLO", "UDUO")
    await open_incident(
        rig,
        incident_kind="bereavement",
        incident_name="Loss in the family",
        incident_people=["USOLO", "UDUO"],
        incident_plan="1d,3d",
    )
    await deliver_after(rig, timedelta(days=1))
    await answer(rig, ["USOLO"], "checkin_talk")
    shown = await follow_up_view(rig)
    assert "2 people" in shown and "*Check-in 1* (1d, " in shown and "*Check-in 2* (3d, " in shown
    assert "Counts are hidden for a plan with fewer than 3 people" in shown
    for word in ("sent", "okay", "talk to a peer", "not answered", "due", "USOLO", "UDUO"):
        assert word not in shown, word


async def test_an_unknown_incident_or_a_closed_one(start_app) -> None:
    rig = await start_app(**CHECKIN_SETTINGS, peer_min_count=3)
    rig.slack.add_users(*NINE)
    response = await rig.command(COORDINATOR, "incident 7")
    assert "no open incident with that number" in response.json["text"]
    await open_incident(rig, incident_people=NINE)
    await deliver_after(rig, timedelta(days=1))
    await rig.command(COORDINATOR, "incident close 1")
    shown = await follow_up_view(rig, "incident #1")
    assert ": closed, 9 people" in shown and "sent 9" in step_line(shown, 1)
    assert "still due" not in step_line(shown, 2)


async def change(rig: Rig, values: dict[str, Any], incident: int = 1) -> Any:
    """Open ``/peer incident N`` and submit its changes."""
    await follow_up_view(rig, f"incident {incident}")
    submitted = await rig.submit(COORDINATOR, rig.last_view("peer_incident_follow_up"), values)
    await rig.settle()
    return submitted


async def checkin_rows(rig: Rig, where: str = "") -> list[tuple]:
    async with rig.app.db.read() as tx:  # type: ignore[union-attr]
        cur = await tx.conn.execute(
            "SELECT recipient_id, seq, state FROM scheduled_messages WHERE kind = 'checkin'"
            f" {where} ORDER BY recipient_id, seq"
        )
        return [tuple(r) for r in await cur.fetchall()]


THREE = ["UAFF1", "UAFF2", "UAFF3"]


async def test_adding_people_schedules_exactly_their_checkins_counted_from_then(start_app) -> None:
    rig = await start_app(**CHECKIN_SETTINGS, peer_min_count=3)
    rig.slack.add_users(*THREE, "UNEW1", "UNEW2")
    await open_incident(rig)
    await deliver_after(rig, timedelta(days=2))
    before = await checkin_rows(rig)

    submitted = await change(rig, {"incident_add_people": ["UNEW1", "UNEW2", "UAFF1"]})
    assert submitted.status == 200 and submitted.text == ""
    added = sorted(set(await checkin_rows(rig)) - set(before))
    assert added == [("UNEW1", 1, "due"), ("UNEW1", 2, "due"), ("UNEW2", 1, "due"), ("UNEW2", 2, "due")]
    await change(rig, {"incident_add_people": ["UNEW1"]})  # again: nothing more
    assert len(await checkin_rows(rig)) == len(before) + 4

    await deliver_after(rig, timedelta(hours=23))
    assert not checkins_to(rig, "UNEW1"), "sent before a day had passed since they were added"
    await deliver_after(rig, timedelta(hours=1))
    assert len(checkins_to(rig, "UNEW1")) == 1 and len(checkins_to(rig, "UAFF1")) == 2
    await deliver_after(rig, timedelta(days=2))
    assert len(checkins_to(rig, "UNEW2")) == 2 and len(checkins_to(rig, "UAFF1")) == 2
    assert "5 people" in await follow_up_view(rig)


async def test_adding_too_many_people_is_refused_inline(start_app) -> None:
    rig = await start_app(**CHECKIN_SETTINGS, peer_min_count=3)
    rig.slack.add_users(*THREE)
    await open_incident(rig)
    before = await checkin_rows(rig)
    crowd = [f"UCROWD{n:03d}" for n in range(101)]
    submitted = await change(rig, {"incident_add_people": crowd})
    assert "Choose up to 100 people" in submitted.json["errors"]["incident_add_people"]
    assert await checkin_rows(rig) == before


async def audit_details(rig: Rig, action: str) -> list[str]:
    async with rig.app.db.read() as tx:  # type: ignore[union-attr]
        cur = await tx.conn.execute("SELECT detail FROM audit_log WHERE action = ? ORDER BY id", (action,))
        return [r["detail"] for r in await cur.fetchall()]


async def test_extending_the_plan_adds_one_checkin_each_but_not_for_who_said_stop(start_app) -> None:
    rig = await start_app(**CHECKIN_SETTINGS, peer_min_count=3)
    rig.slack.add_users(*THREE)
    await open_incident(rig)
    await deliver_after(rig, timedelta(days=1))
    await answer(rig, ["UAFF3"], "checkin_stop")
    before = await checkin_rows(rig)

    await change(rig, {"incident_change_plan": "1d,3d,7d"})
    # Nothing stored yet: step 3, like step 2, is stored an hour before its time.
    assert await checkin_rows(rig) == before
    assert "a plan of 3 check-ins (1d,3d,1w)" in await follow_up_view(rig)
    async with rig.app.db.read() as tx:  # type: ignore[union-attr]
        assert await tx.schedule.not_yet_stored(1, stored=1, steps=3) == {2: 2, 3: 2}
    await deliver_after(rig, timedelta(days=2))
    await deliver_after(rig, timedelta(days=4, minutes=-30))
    added = sorted(set(await checkin_rows(rig)) - set(before))
    assert added == [("UAFF1", 2, "sent"), ("UAFF1", 3, "due"), ("UAFF2", 2, "sent"), ("UAFF2", 3, "due")]
    await deliver_after(rig, timedelta(minutes=30))
    assert [len(checkins_to(rig, u)) for u in THREE] == [3, 3, 1]


async def test_a_step_added_for_a_crowd_is_stored_once_each_in_paced_chunks(
    start_app, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.checkins")
    rig = await start_app(**CHECKIN_SETTINGS, peer_min_count=3)
    crowd = [f"UCROWD{n:03d}" for n in range(200)]
    rig.slack.add_users(*crowd)
    rig.slack.add_channel("CCROWD", *crowd)
    await open_incident(rig, incident_people=[], incident_channel="CCROWD")
    for days in (1, 2, 2):  # day 1, day 3: both steps went out; day 5
        await deliver_after(rig, timedelta(days=days))
    before = await checkin_rows(rig)
    assert len(before) == 400

    # A step whose time has passed (4 days after, on day 5): the coordinator just added it, so it
    # is stored at once and goes out now, not marked missed.
    submitted = await change(rig, {"incident_change_plan": "1d,3d,4d"})
    assert submitted.status == 200 and submitted.text == ""
    added = sorted(set(await checkin_rows(rig)) - set(before))
    assert added == [(u, 3, "due") for u in sorted(crowd)]
    # 200 rows at 150 a transaction: two chunks, with a rest between them (bot.bulk).
    [stored] = [r.getMessage() for r in caplog.records if "check-ins added" in r.getMessage()]
    paused = re.search(r"200 check-ins added \(2 chunks, paused ([\d.]+) s\)", stored)
    assert paused is not None and float(paused.group(1)) > 0, stored
    await change(rig, {"incident_change_plan": "1d,3d,4d"})  # again: nothing more
    await rig.app.deliver_due()
    await rig.settle()
    assert len(await checkin_rows(rig)) == len(before) + 200
    assert [len(checkins_to(rig, u)) for u in crowd] == [3] * 200


async def test_shortening_the_plan_cancels_exactly_the_steps_removed(start_app) -> None:
    rig = await start_app(**CHECKIN_SETTINGS, peer_min_count=3)
    rig.slack.add_users(*THREE)
    await open_incident(rig, incident_plan="1d,3d,7d")
    await deliver_after(rig, timedelta(days=1))
    await deliver_after(rig, timedelta(days=2, minutes=-30))  # step 2 stored, not yet due
    assert await checkin_rows(rig, "AND state = 'due'") == [(u, 2, "due") for u in THREE]

    await change(rig, {"incident_change_plan": "1d"})
    # Step 2's rows cancelled; step 3's, never stored, never will be: six check-ins in all.
    assert await checkin_rows(rig, "AND state = 'cancelled'") == [(u, 2, "cancelled") for u in THREE]
    assert await checkin_rows(rig, "AND state = 'sent'") == [(u, 1, "sent") for u in THREE]
    assert await audit_details(rig, "incident changed") == [
        "#1: 0 people added, a plan of 3 -> 1 check-ins, 6 cancelled"
    ]
    for _ in range(7):
        await deliver_after(rig, timedelta(days=1))
    assert [len(checkins_to(rig, u)) for u in THREE] == [1, 1, 1]
    assert not await checkin_rows(rig, "AND seq = 3")


async def test_a_plan_changes_only_at_its_end_and_not_what_already_went_out(start_app) -> None:
    rig = await start_app(**CHECKIN_SETTINGS, peer_min_count=3)
    rig.slack.add_users(*THREE)
    await open_incident(rig)
    await deliver_after(rig, timedelta(days=3))
    before = await checkin_rows(rig)
    moved = await change(rig, {"incident_change_plan": "2d,3d"})
    assert "Add check-ins after the last one" in moved.json["errors"]["incident_change_plan"]
    gone = await change(rig, {"incident_change_plan": "1d"})
    assert "Check-in 2 is already due or sent" in gone.json["errors"]["incident_change_plan"]
    unreadable = await change(rig, {"incident_change_plan": "soon"})
    assert "Couldn't read the plan" in unreadable.json["errors"]["incident_change_plan"]
    assert await checkin_rows(rig) == before

    await change(rig, {})  # nothing changed: nothing scheduled
    assert await checkin_rows(rig) == before
    await rig.command(COORDINATOR, "incident close 1")
    closed = await follow_up_view(rig)
    assert "Add people" not in closed
    crafted = await rig.submit(
        COORDINATOR, rig.last_view("peer_incident_follow_up"), {"incident_add_people": ["UNEW1"]}
    )
    assert "no open incident" in crafted.json["errors"]["incident_change_plan"]
    assert await checkin_rows(rig) == before


async def test_checkin_wording_changes_across_the_plan_per_kind(start_app) -> None:
    rig = await start_app(**CHECKIN_SETTINGS, peer_min_count=3)
    rig.slack.add_users(*THREE, "UGRIEF")
    await open_incident(rig, incident_plan="1d,14d")
    await open_incident(
        rig,
        incident_kind="bereavement",
        incident_name="Loss",
        incident_people=["UGRIEF"],
        incident_plan="1d,14d",
    )
    await deliver_after(rig, timedelta(days=1))
    [first] = checkins_to(rig, "UAFF1")
    assert "What helps: routine, rest" in text_of(first.blocks)
    assert "anniversaries" not in text_of(first.blocks)
    [grief] = checkins_to(rig, "UGRIEF")
    assert "Early grief can be tiring" in text_of(grief.blocks)
    await rig.click("UAFF1", first, "checkin_ok")
    await rig.settle()
    assert "What helps: routine, rest" in text_of(rig.slack.message(first.channel, first.ts).blocks)

    for _ in range(13):
        await deliver_after(rig, timedelta(days=1))
    later = text_of(checkins_to(rig, "UAFF1")[-1].blocks)
    assert "come back around anniversaries, court dates and verdicts" in later and "What helps" not in later
    assert "birthdays and holidays" in text_of(checkins_to(rig, "UGRIEF")[-1].blocks)


async def test_coordinators_edit_the_wording_per_incident_with_inline_errors(start_app) -> None:
    rig = await start_app(**CHECKIN_SETTINGS, peer_min_count=3)
    rig.slack.add_users(*THREE, "UOTHER")
    await open_incident(rig, incident_plan="1d,14d")
    await open_incident(rig, incident_name="Another", incident_people=["UOTHER"], incident_plan="1d,14d")

    too_long = await change(rig, {"incident_wording_early": "x" * 501, "incident_wording_later": "fine"})
    assert (
        "Please keep it to 500 characters (it has 501)" in too_long.json["errors"]["incident_wording_early"]
    )
    view = rig.last_view("peer_incident_follow_up")
    assert "What helps: routine, rest" in json.dumps(view["blocks"]), "the modal shows the usual wording"

    ours = {
        "incident_wording_early": "Our EAP line is open <!channel> all week.",
        "incident_wording_later": "",
    }
    assert (await change(rig, ours)).text == ""
    await deliver_after(rig, timedelta(days=1))
    shown = text_of(checkins_to(rig, "UAFF1")[0].blocks)
    assert "Our EAP line is open &lt;!channel&gt; all week." in shown and "What helps" not in shown
    assert "What helps: routine, rest" in text_of(checkins_to(rig, "UOTHER")[0].blocks), "another incident"
    for _ in range(13):
        await deliver_after(rig, timedelta(days=1))
    assert "court dates and verdicts" in text_of(checkins_to(rig, "UAFF1")[-1].blocks), "emptied: the usual"
    async with rig.app.db.read() as tx:  # type: ignore[union-attr]
        cur = await tx.conn.execute("SELECT detail FROM audit_log WHERE action = 'incident changed'")
        [(detail,)] = [tuple(r) for r in await cur.fetchall()]
    assert "wording changed" in detail and "EAP" not in detail


async def test_someone_who_stops_while_a_step_is_being_stored_gets_none_of_it(start_app) -> None:
    rig = await start_app(**CHECKIN_SETTINGS, peer_min_count=3)
    rig.slack.add_users(*THREE)
    await open_incident(rig, incident_plan="1d")
    await deliver_after(rig, timedelta(days=1))
    rig.clock.advance(timedelta(days=1))
    # A step whose time has come is added: its rows are made after everyone is looked up (slowly,
    # here), and UAFF1 asks to stop in the meantime, after the list of whom to check in with was read.
    await follow_up_view(rig)
    rig.slack.inject("users.list", Fault.slow(0.5))
    submitted = await rig.submit(
        COORDINATOR, rig.last_view("peer_incident_follow_up"), {"incident_change_plan": "1d,2d"}
    )
    assert submitted.status == 200
    await asyncio.sleep(0.2)
    await rig.click("UAFF1", checkins_to(rig, "UAFF1")[-1], "checkin_stop")
    await rig.settle()
    assert await checkin_rows(rig, "AND seq = 2") == [("UAFF2", 2, "due"), ("UAFF3", 2, "due")]
    await deliver_after(rig, timedelta(minutes=1))
    assert [len(checkins_to(rig, u)) for u in THREE] == [1, 2, 2]


async def test_a_step_removed_while_it_is_being_stored_is_not_stored(start_app) -> None:
    rig = await start_app(**CHECKIN_SETTINGS, peer_min_count=3)
    rig.slack.add_users(*THREE)
    await open_incident(rig, incident_plan="1d")
    await deliver_after(rig, timedelta(days=1))
    rig.clock.advance(timedelta(hours=23, minutes=30))
    # A step half an hour from now is added (stored at once: it is within the hour), and taken
    # back out while its rows are being made (everyone looked up, slowly, here).
    await follow_up_view(rig)
    view = rig.last_view("peer_incident_follow_up")
    rig.slack.inject("users.list", Fault.slow(0.5))
    added = await rig.submit(COORDINATOR, view, {"incident_change_plan": "1d,2d"})
    assert added.status == 200 and added.text == ""
    await asyncio.sleep(0.2)
    removed = await rig.submit(COORDINATOR, view, {"incident_change_plan": "1d"})
    assert removed.status == 200 and removed.text == ""
    await rig.settle()
    assert not await checkin_rows(rig, "AND seq = 2 AND state = 'due'")
    await deliver_after(rig, timedelta(days=2))
    assert [len(checkins_to(rig, u)) for u in THREE] == [1, 1, 1]
