"""A curious coordinator compares views on different days (issue 15, findings 2, 3 and 10).

Each test is the attack: two views a coordinator can get, before and after one person did
something, must be equal, or must not pin any count between 1 and K-1.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from slack_standin import Fault
from tests.conftest import sqlite_only
from tests.flows import COORDINATOR, add_supporters, ask
from tests.rig import Rig, has_button, text_of
from tests.test_checkins import CHECKIN_SETTINGS, checkins_to, deliver_after, open_incident
from tests.test_home import home, open_home
from tests.test_tracking import in_database

Q4_PUBLISHED = datetime(2027, 1, 2, 9, 0, tzinfo=UTC)
WALK_IN = {
    "contact_minutes": "45",
    "contact_areas": ["grief"],
    "contact_channel": "walk_in",
    "contact_referral": "counselor",
}


async def log_walk_in(rig: Rig, supporter: str, day: str) -> None:
    await rig.command(supporter, "log")
    await rig.settle()
    logged = await rig.submit(supporter, rig.last_view("peer_log_contact"), {"contact_date": day, **WALK_IN})
    assert logged.json["response_action"] == "update"


async def ask_stats(rig: Rig, period: str) -> str:
    """What a coordinator is answered, refused or not."""
    posts = len(rig.slack.response_url_posts)
    ack = await rig.command(COORDINATOR, f"stats {period}".strip())
    if "Gathering" not in ack.json["text"]:
        return str(ack.json["text"])
    await rig.settle()
    assert len(rig.slack.response_url_posts) == posts + 1
    return text_of(rig.slack.response_url_posts[-1]["blocks"])


async def test_one_walk_in_cannot_be_found_by_differencing_any_two_statistics(rig: Rig) -> None:
    await add_supporters(rig, "USUP1")
    # Day views of the running quarter, the ones the attack differenced, are not published at all.
    for period in ("1d", "30d", "2026-12", "2026-Q4"):
        before = await ask_stats(rig, period)
        assert "Grief" not in before, period
    assert "published on 2027-01-01" in await ask_stats(rig, "2026-Q4")

    await log_walk_in(rig, "USUP1", "2026-11-30")
    for period in ("1d", "30d", "2026-Q4", ""):
        assert "Grief" not in await ask_stats(rig, period) or period == ""
    assert await ask_stats(rig, "") == await ask_stats(rig, "2026-Q3"), "the default is the last closed one"

    rig.clock.set(Q4_PUBLISHED)
    published = await ask_stats(rig, "2026-Q4")
    areas = published.split("*Contacts by area of need*")[1].split("*Referrals")[0]
    assert "Grief or loss: fewer than 3" in areas
    # No zero beside the hidden one: every other area is hidden too, so nothing says "it was grief".
    assert ": 0" not in areas and areas.count("suppressed") == 5
    referrals = published.split("*Referrals to professional help*")[1].split("*How contacts")[0]
    assert ": 0" not in referrals and "Counselor or therapist: fewer than 3" in referrals
    # Nobody's hours, and no minutes that would say how long this one took.
    assert "USUP1" not in published and "0.8 h" not in published and "45" not in published

    # A contact logged now about a December day counts in the quarter it was logged: Q4 stays put.
    await log_walk_in(rig, "USUP1", "2026-12-15")
    assert await ask_stats(rig, "2026-Q4") == published
    # The year is made of the published quarters only: it tells nothing Q4 does not.
    year = await ask_stats(rig, "2026")
    assert "Grief or loss: suppressed" in year and ": 0" not in year.split("*Contacts by area")[1]


async def test_a_one_person_plan_shows_no_count_her_answer_or_stop_would_change(start_app) -> None:
    rig = await start_app(**CHECKIN_SETTINGS)
    rig.slack.add_users("UJANE")
    await open_incident(rig, incident_kind="bereavement", incident_name="Loss", incident_people=["UJANE"])
    await deliver_after(rig, timedelta(days=2))
    before = (await rig.command(COORDINATOR, "incident list")).json["text"]
    [checkin] = checkins_to(rig, "UJANE")
    await rig.click("UJANE", checkin, "checkin_stop")
    await rig.settle()
    after = (await rig.command(COORDINATOR, "incident list")).json["text"]
    assert before == after and "counts hidden" in after

    rig.clock.set(Q4_PUBLISHED)
    year_end = await ask_stats(rig, "2026-Q4")
    assert "Loss" not in year_end, "a plan with fewer than K people is left out of every check-in count"


async def test_the_coordinators_view_of_requests_does_not_move_when_someone_asks(rig: Rig) -> None:
    await open_home(rig, COORDINATOR)
    first = home(rig, COORDINATOR)
    rig.clock.set(datetime(2026, 11, 30, 10, 37, 12, tzinfo=UTC))
    await ask(rig, "UREQ1", urgency="asap")  # nobody on the roster: escalated at once
    await open_home(rig, COORDINATOR)
    assert home(rig, COORDINATOR) == first, "the Home told the minute someone asked"
    alert = next(m for m in rig.slack.dms(COORDINATOR) if "Waiting since" in text_of(m.blocks))
    shown = text_of(alert.blocks)
    assert "Mon 30 Nov, morning" in shown and "10:37" not in shown
    # Request numbers are sequential: two alerts showing them would count who asked in between.
    assert not any("#1" in text_of(m.blocks) for m in rig.slack.dms(COORDINATOR))


@sqlite_only
async def test_after_retention_nothing_ties_jane_to_the_incident_not_even_in_the_file(
    start_app, db_path: Path
) -> None:
    # Issue 15, finding 7: after a one-person incident and a purge, the file still held her
    # membership, her check-in rows with their states, the request's incident id, when she opened
    # her Home, and a volunteer's note.
    rig = await start_app(**CHECKIN_SETTINGS, peer_retention_days=30)
    await add_supporters(rig, "USUP1")
    rig.slack.add_users("UJANE")
    await open_home(rig, "UJANE")
    await rig.command("UVOLNOTE", "volunteer I lost my brother too")
    await rig.settle()
    [approve] = [m for m in rig.slack.dms(COORDINATOR) if has_button(m.blocks, "volunteer_approve")]
    await rig.click(COORDINATOR, approve, "volunteer_approve")
    await open_incident(rig, incident_kind="bereavement", incident_name="Loss", incident_people=["UJANE"])
    await deliver_after(rig, timedelta(days=2))  # a bereavement plan starts on day 2
    [checkin] = checkins_to(rig, "UJANE")
    await rig.click("UJANE", checkin, "checkin_talk")  # a request, tied to the incident
    await rig.settle()
    await rig.command("UJANE", "cancel")
    await rig.settle()
    await rig.command(COORDINATOR, "incident close 1")
    assert in_database(db_path, "UJANE") and in_database(db_path, "I lost my brother too")

    rig.clock.advance(timedelta(days=29))
    await rig.app.sweep()
    assert in_database(db_path, "UJANE"), "forgotten before the retention period"
    rig.clock.advance(timedelta(days=2))
    await rig.app.sweep()
    for secret in ("UJANE", "I lost my brother too"):
        assert not in_database(db_path, secret), secret
    assert rig.app.db is not None
    async with rig.app.db.read() as tx:
        for sql in (
            "SELECT COUNT(*) FROM incident_members",
            "SELECT COUNT(*) FROM scheduled_messages WHERE incident_id = 1",
            "SELECT COUNT(*) FROM peer_requests WHERE incident_id IS NOT NULL",
            "SELECT answered_ok + answered_talk + answered_stop FROM incidents",
            "SELECT COUNT(*) FROM checkin_step_answers",
        ):
            row = await (await tx.conn.execute(sql)).fetchone()
            assert row is not None and row[0] == 0, sql


@sqlite_only
async def test_a_large_plan_is_forgotten_too_but_its_published_counts_stay(start_app, db_path: Path) -> None:
    rig = await start_app(**CHECKIN_SETTINGS, peer_retention_days=30)
    people = ["UAAA1", "UAAA2", "UAAA3"]
    rig.slack.add_users(*people)
    await open_incident(rig, incident_people=people, incident_name="Courthouse")
    await deliver_after(rig, timedelta(days=1))
    for person in people:
        [checkin] = checkins_to(rig, person)
        await rig.click(person, checkin, "checkin_ok")
    await rig.command(COORDINATOR, "incident close 1")
    rig.clock.set(Q4_PUBLISHED)
    before = await ask_stats(rig, "2026-Q4")
    assert "Courthouse: 3 sent, 3 answered" in before
    await rig.app.sweep()  # a month after the close: past the retention period
    for person in people:
        assert not in_database(db_path, person), person
    assert await ask_stats(rig, "2026-Q4") == before
    async with rig.app.db.read() as tx:  # type: ignore[union-attr]
        cur = await tx.conn.execute("SELECT seq, answer, count FROM checkin_step_answers")
        assert [tuple(r) for r in await cur.fetchall()] == [(1, "ok", 3)], "the per-step counts went"


async def test_a_crafted_incident_with_thousands_of_people_is_refused_inline(start_app) -> None:
    # Issue 15, finding 8: unbounded lists in a payload (here the people of an incident).
    rig = await start_app(**CHECKIN_SETTINGS)
    crowd = [f"U{n:07d}" for n in range(33_000)]
    refused = await open_incident(rig, incident_people=crowd)
    assert "up to 100 people" in refused.json["errors"]["incident_people"]
    assert rig.app.db is not None
    async with rig.app.db.read() as tx:
        row = await (await tx.conn.execute("SELECT COUNT(*) FROM incidents")).fetchone()
    assert row is not None and row[0] == 0
    hint = rig.last_view("peer_incident")["blocks"]
    assert any("Up to 100 people" in str(block.get("hint")) for block in hint)


async def test_one_failing_sweep_part_never_stops_the_purge(
    start_app, caplog: pytest.LogCaptureFixture
) -> None:
    # Issue 15, finding 8: the purge ran after the routing sweep, so a sweep that raised (a bad
    # row, a database limit) stopped it for good. Here Slack's directory look-up fails on every
    # sweep, before the purge, and the purge still forgets what is past retention.
    rig = await start_app(peer_retention_days=0)
    await add_supporters(rig, "USUP1")
    await ask(rig, "UGONEREQ")
    await rig.command("UGONEREQ", "cancel")
    await rig.settle()
    rig.clock.advance(timedelta(hours=7))  # the bulk directory look-up is due again
    looked_up = len(rig.slack.calls_of("users.list"))
    rig.slack.inject("users.list", *[Fault(status=200, error="fatal_error", retry_after=None)] * 5)
    await rig.app.sweep()
    assert len(rig.slack.calls_of("users.list")) > looked_up
    assert "sweep: reachability failed: SlackApiError at" in caplog.text, "the part before the purge raised"
    assert rig.app.db is not None
    async with rig.app.db.read() as tx:
        unpurged = "SELECT COUNT(*) FROM peer_requests WHERE purged_at IS NULL"
        row = await (await tx.conn.execute(unpurged)).fetchone()
    assert row is not None and row[0] == 0, "the purge ran after the failing part"
