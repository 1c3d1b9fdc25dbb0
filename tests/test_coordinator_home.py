"""Issue 18, part 2: a coordinator runs the roster from the Home without typing a user id.

The roster as a table (role, unit, availability, a load band as of the start of the day, training
with its expiry), modals that add a supporter, record a training, suspend or resume, review
volunteers and change the coordinator and administrator roles (each calling the service the typed
command calls, audited, with bad input answered at its field and nothing stored), and a button per
open incident to its follow-up view, where it can be closed early.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bot.roster import LoadBand, RosterEntry
from bot.training import TrainingState
from handlers.roster import modals
from storage.models import Supporter, Volunteer, VolunteerState
from tests.conftest import START
from tests.flows import COORDINATOR, accept, add_supporters, ask
from tests.rig import Response, Rig, find_button, has_button, text_of
from tests.test_checkins import CHECKIN_SETTINGS, checkins_to, deliver_after, open_incident
from tests.test_home import home, home_blocks, last_notice, open_home
from tests.test_roster_lifecycle import reviews, volunteer
from tests.world import snapshot

ADMINISTRATOR = "UADMIN"


def roster_text(rig: Rig, user: str = COORDINATOR) -> str:
    """The Home's roster table (its title, rows and note), as text."""
    blocks = home_blocks(rig, user)
    start = next(n for n, b in enumerate(blocks) if b.get("block_id") == "roster_table")
    end = next(n for n, b in enumerate(blocks) if b.get("block_id") == "roster_actions")
    return text_of(blocks[start:end])


def row(shown: str, user: str) -> str:
    """The table's row of ``user``."""
    start = shown.index(f"<@{user}>")
    end = min(i for i in (shown.find("\\n", start), shown.find('"', start)) if i > 0)
    return shown[start:end]


async def open_modal(rig: Rig, action: str, user: str = COORDINATOR) -> dict[str, Any]:
    """Click a roster button on the coordinator's Home; the modal it opened."""
    opened = len(rig.slack.calls_of("views.open"))
    await rig.home_click(user, action, home_of=COORDINATOR)
    await rig.settle()
    calls = rig.slack.calls_of("views.open")
    assert len(calls) == opened + 1, action
    view_id = rig.slack.view_by_trigger[calls[-1].params["trigger_id"]]
    return rig.slack.views[view_id]


async def audit_rows(rig: Rig) -> list[tuple[str, str, str]]:
    async with rig.app.db.read() as tx:  # type: ignore[union-attr]
        cur = await tx.conn.execute("SELECT actor_id, action, detail FROM audit_log ORDER BY id")
        return [tuple(r) for r in await cur.fetchall()]


async def refused_inline(
    rig: Rig, view: dict[str, Any], values: dict[str, Any], field: str, says: str
) -> None:
    """Submitting ``values`` is answered at ``field`` with ``says``, and nothing in the database moves."""
    before = await snapshot(rig.app.db)  # type: ignore[arg-type]
    answer = await rig.submit(COORDINATOR, view, values)
    await rig.settle()
    assert answer.json["response_action"] == "errors", answer.text
    assert says in answer.json["errors"][field], answer.json
    assert await snapshot(rig.app.db) == before, "a refused submission changed the database"  # type: ignore[arg-type]


def done(answer: Response) -> str:
    """A submission that worked is answered with a short notice in place of the modal."""
    assert answer.json["response_action"] == "update", answer.text
    return text_of(answer.json["view"]["blocks"])


async def test_the_home_shows_the_roster_as_a_table(start_app) -> None:
    rig = await start_app(peer_checkin_rate=1000)
    await add_supporters(rig, "USUP1", "USUP2")
    await add_supporters(rig, "UOLD", trained="2025-06-01")  # lapsed
    await add_supporters(rig, "UDUE", trained="2025-12-20")  # refresher due within 30 days
    await add_supporters(rig, "UNEW", trained=None)
    await rig.command(COORDINATOR, "roster role <@USUP1|s> Attorney")
    await rig.command(COORDINATOR, "roster unit <@USUP1|s> Homicide unit")
    await rig.command(COORDINATOR, "roster suspend <@USUP2|s>")
    await rig.command("UDUE", "away until 2026-12-10")
    await ask(rig, "UREQ1")
    await accept(rig, "USUP1")
    rig.clock.advance(timedelta(days=1))  # the load counts from the start of the day

    await open_home(rig, COORDINATOR)
    shown = roster_text(rig)
    assert "*The roster (5)*: role · unit · availability · load · training" in shown
    assert (
        row(shown, "USUP1")
        == "<@USUP1> · Attorney · Homicide unit · available · load 1–2 · current to 2027-01-15"
    )
    assert (
        row(shown, "USUP2") == "<@USUP2> · no role · no unit · suspended · load none · current to 2027-01-15"
    )
    assert row(shown, "UOLD") == "<@UOLD> · no role · no unit · available · load none · *lapsed 2026-06-01*"
    assert (
        row(shown, "UDUE")
        == "<@UDUE> · no role · no unit · away until 2026-12-10 · load none · refresher due 2026-12-20"
    )
    assert row(shown, "UNEW") == "<@UNEW> · no role · no unit · available · load none · in training"
    assert "never live" in shown and "UREQ1" not in text_of(home_blocks(rig, COORDINATOR))
    assert not has_button(home_blocks(rig, COORDINATOR), "home_roster_all"), "five rows need no Show all"
    for action in (
        "home_roster_add",
        "home_roster_training",
        "home_roster_suspend",
        "home_roster_volunteers",
    ):
        assert has_button(home_blocks(rig, COORDINATOR), action), action


async def test_a_long_roster_shows_fifteen_rows_and_says_how_many_more(rig: Rig) -> None:
    people = [f"UMANY{n:02d}" for n in range(1, 18)]
    await add_supporters(rig, *people)
    await open_home(rig, COORDINATOR)
    shown = roster_text(rig)
    assert sum(f"<@{p}>" in shown for p in people) == 15
    assert "Showing 15 of 17: *Show all 17* lists the 2 more." in shown
    assert has_button(home_blocks(rig, COORDINATOR), "home_roster_all")
    everyone = text_of((await open_modal(rig, "home_roster_all"))["blocks"])
    assert all(f"<@{p}> · no role" in everyone for p in people)


async def test_two_looks_on_the_same_day_around_an_accept_show_nothing_that_changed(start_app) -> None:
    """The attack: a coordinator looks at the Home (and ``/peer roster``), a colleague asks, a supporter
    accepts, the coordinator looks again. Nothing they see may have moved."""
    rig = await start_app(peer_checkin_rate=1000, peer_supporter_capacity=5)
    await add_supporters(rig, "USUP1", "USUP2")
    for n in range(1, 3):  # USUP1 already holds two from yesterday: "1–2"
        await ask(rig, f"UOLDREQ{n}", preferred="USUP1")
        await accept(rig, "USUP1")
    rig.clock.advance(timedelta(days=1))
    await open_home(rig, COORDINATOR)
    before_home = home(rig, COORDINATOR)
    before_roster = (await rig.command(COORDINATOR, "roster")).json["text"]
    assert "load 1–2" in row(roster_text(rig), "USUP1")

    await ask(rig, "UREQ1", preferred="USUP1")  # a third: "3+" if it were live
    await accept(rig, "USUP1")
    await ask(rig, "UREQ2", preferred="USUP2")  # from none to "1–2" if it were live
    await accept(rig, "USUP2")
    rig.clock.advance(timedelta(hours=6))
    assert home(rig, COORDINATOR) == before_home, "the redrawn Home moved"
    assert await open_home(rig, COORDINATOR) == before_home, "the reopened Home moved"
    assert (await rig.command(COORDINATOR, "roster")).json["text"] == before_roster

    rig.clock.advance(timedelta(days=1))  # the next day it shows, as the request counts do
    await open_home(rig, COORDINATOR)
    assert "load 3+" in row(roster_text(rig), "USUP1") and "load 1–2" in row(roster_text(rig), "USUP2")


async def test_add_a_supporter_from_the_home(rig: Rig) -> None:
    await add_supporters(rig, "USUP1")
    await open_home(rig, COORDINATOR)
    view = await open_modal(rig, "home_roster_add")
    assert view["callback_id"] == "peer_roster_add"
    person, date = "roster_person", "roster_trained_on"
    await refused_inline(rig, view, {person: "UNEW1", date: "2026-12-01"}, date, "can't be in the future")
    await refused_inline(rig, view, {person: "UNEW1", date: "2016-11-01"}, date, "more than ten years ago")
    await refused_inline(rig, view, {person: "USUP1", date: None}, person, "Already on the roster")
    await refused_inline(rig, view, {person: None, date: None}, person, "Choose a person")

    notice = done(await rig.submit(COORDINATOR, view, {person: "UNEW1", date: "2026-11-02"}))
    assert "Added <@UNEW1>, trained 2026-11-02" in notice
    await rig.settle()
    assert (COORDINATOR, "roster add", "<@UNEW1> trained 2026-11-02") in await audit_rows(rig)
    assert "<@UNEW1> · no role · no unit · available · load none · current to 2027-11-02" in roster_text(rig)
    # Without a date: on the roster, in training (what `/peer roster add @user` does).
    view = await open_modal(rig, "home_roster_add")  # the notice replaced the one submitted
    done(await rig.submit(COORDINATOR, view, {person: "UNEW2", date: None}))
    await rig.settle()
    assert "<@UNEW2> · no role · no unit · available · load none · in training" in roster_text(rig)


async def test_record_a_training_from_the_home(rig: Rig) -> None:
    await add_supporters(rig, "USUP1", trained="2025-06-01")  # lapsed
    await open_home(rig, COORDINATOR)
    view = await open_modal(rig, "home_roster_training")
    fields = {
        "roster_person": "USUP1",
        "roster_training_kind": "refresher",
        "roster_trained_on": "2026-11-20",
    }
    date = "roster_trained_on"
    await refused_inline(rig, view, {**fields, date: "2026-12-01"}, date, "can't be in the future")
    await refused_inline(rig, view, {**fields, date: "1926-11-20"}, date, "more than ten years ago")
    await refused_inline(
        rig, view, {**fields, "roster_person": "UNOBODY"}, "roster_person", "aren't on the roster"
    )
    await refused_inline(
        rig, view, {**fields, "roster_training_kind": "advanced"}, "roster_training_name", "Name the advanced"
    )

    assert "Recorded a refresher on 2026-11-20 for <@USUP1>" in done(
        await rig.submit(COORDINATOR, view, fields)
    )
    await rig.settle()
    assert (COORDINATOR, "training recorded", "<@USUP1> refresher completed 2026-11-20") in await audit_rows(
        rig
    )
    assert "current to 2027-11-20" in row(roster_text(rig), "USUP1"), "the Home was not redrawn"
    advanced = {**fields, "roster_training_kind": "advanced", "roster_training_name": "CISM group crisis"}
    done(await rig.submit(COORDINATOR, await open_modal(rig, "home_roster_training"), advanced))
    assert (COORDINATOR, "training recorded", "<@USUP1> advanced CISM group crisis completed 2026-11-20") in (
        await audit_rows(rig)
    )


async def test_suspend_and_resume_from_the_home(rig: Rig) -> None:
    await add_supporters(rig, "USUP1")
    await open_home(rig, COORDINATOR)
    await open_home(rig, "USUP1")
    view = await open_modal(rig, "home_roster_suspend")
    await refused_inline(
        rig,
        view,
        {"roster_person": "UNOBODY", "roster_pause": "suspend"},
        "roster_person",
        "aren't on the roster",
    )
    await refused_inline(
        rig, view, {"roster_person": "USUP1", "roster_pause": "resume"}, "roster_pause", "Not suspended"
    )

    done(await rig.submit(COORDINATOR, view, {"roster_person": "USUP1", "roster_pause": "suspend"}))
    await rig.settle()
    assert "· suspended ·" in row(roster_text(rig), "USUP1")
    assert "paused* by a coordinator" in home(rig, "USUP1"), "the supporter's Home was not redrawn"
    await ask(rig, "UREQ1")
    assert not rig.open_offers_to("USUP1"), "a suspended supporter got an offer"
    view = await open_modal(rig, "home_roster_suspend")
    await refused_inline(
        rig, view, {"roster_person": "USUP1", "roster_pause": "suspend"}, "roster_pause", "Already suspended"
    )
    done(await rig.submit(COORDINATOR, view, {"roster_person": "USUP1", "roster_pause": "resume"}))
    await rig.settle()
    assert "· available ·" in row(roster_text(rig), "USUP1")
    assert len(rig.open_offers_to("USUP1")) == 1, "the waiting request was not tried again"
    audit = await audit_rows(rig)
    assert (COORDINATOR, "supporter suspended", "<@USUP1>") in audit
    assert (COORDINATOR, "supporter resumed", "<@USUP1>") in audit

    # Retire: off the roster (as `/peer roster remove`); the offer they held moves on.
    await add_supporters(rig, "USUP2")
    view = await open_modal(rig, "home_roster_suspend")
    retired = done(await rig.submit(COORDINATOR, view, {"roster_person": "USUP1", "roster_pause": "retire"}))
    assert "Retired <@USUP1>" in retired
    await rig.settle()
    assert "<@USUP1>" not in roster_text(rig) and "<@USUP2>" in roster_text(rig)
    assert (COORDINATOR, "roster remove", "<@USUP1>") in await audit_rows(rig)
    assert len(rig.open_offers_to("USUP2")) == 1, "the retired supporter's offer did not move on"
    view = await open_modal(rig, "home_roster_suspend")
    await refused_inline(
        rig,
        view,
        {"roster_person": "USUP1", "roster_pause": "retire"},
        "roster_person",
        "aren't on the roster",
    )


async def test_role_and_unit_from_the_home(rig: Rig) -> None:
    await add_supporters(rig, "USUP1")
    await open_home(rig, COORDINATOR)
    view = await open_modal(rig, "home_roster_profile")
    person, role, unit = "roster_person", "roster_supporter_role", "roster_supporter_unit"
    assert [o["value"] for o in find_button_options(view, role)][:2] == ["Attorney", "Victim advocate"]
    await refused_inline(
        rig, view, {person: "USUP1", role: None, unit: None}, role, "Choose a role, or type a unit"
    )
    await refused_inline(rig, view, {person: "USUP1", role: "Judge", unit: "Appeals"}, role, "roles listed")
    await refused_inline(
        rig, view, {person: "USUP1", role: "Attorney", unit: "x" * 61}, unit, "1 to 60 characters"
    )
    await refused_inline(
        rig, view, {person: "UNOBODY", role: "Attorney", unit: None}, person, "aren't on the roster"
    )

    done(await rig.submit(COORDINATOR, view, {person: "USUP1", role: "Attorney", unit: "Appeals unit"}))
    await rig.settle()
    assert row(roster_text(rig), "USUP1").startswith("<@USUP1> · Attorney · Appeals unit · available")
    audit = await audit_rows(rig)
    assert (COORDINATOR, "role set", "<@USUP1>: Attorney") in audit
    assert (COORDINATOR, "unit set", "<@USUP1>: Appeals unit") in audit
    # The same again changes nothing and writes no second audit row.
    done(
        await rig.submit(
            COORDINATOR,
            await open_modal(rig, "home_roster_profile"),
            {person: "USUP1", role: "Attorney", unit: "Appeals unit"},
        )
    )
    assert len(await audit_rows(rig)) == len(audit)


async def test_review_volunteers_from_the_home(rig: Rig) -> None:
    await volunteer(rig, "UVOL1", "I was on the crisis team.")
    await volunteer(rig, "UVOL2")
    await open_home(rig, COORDINATOR)
    assert has_button(home_blocks(rig, COORDINATOR), "home_roster_volunteers")
    assert "Review volunteers (2)" in text_of(home_blocks(rig, COORDINATOR))
    view = await open_modal(rig, "home_roster_volunteers")
    assert "<@UVOL1>" in text_of(view["blocks"]) and "crisis team" not in text_of(view["blocks"])
    ids = [o["value"] for o in find_button_options(view, "roster_volunteer")]

    # Another coordinator decides UVOL2 from the review DM first: this one is told at the field.
    [review] = [m for m in reviews(rig, "UCOORD2") if "<@UVOL2>" in text_of(m.blocks)]
    await rig.click("UCOORD2", review, "volunteer_decline")
    await rig.settle()
    decide = {"roster_volunteer": ids[1], "roster_volunteer_decision": "approve"}
    await refused_inline(rig, view, decide, "roster_volunteer", "already decided")
    await refused_inline(
        rig, view, {"roster_volunteer": ids[0]}, "roster_volunteer_decision", "approve or decline"
    )

    notice = done(await rig.submit(COORDINATOR, view, {**decide, "roster_volunteer": ids[0]}))
    assert "Approving <@UVOL1>" in notice
    await rig.settle()
    assert (COORDINATOR, "volunteer approved", "<@UVOL1>") in await audit_rows(rig)
    assert "you're on the peer support roster" in text_of(rig.slack.dms("UVOL1")[-1].blocks)
    [mine] = [m for m in reviews(rig, COORDINATOR) if "<@UVOL1>" in text_of(m.blocks)]
    assert "Approved by <@UCOORD1>" in text_of(rig.slack.message(mine.channel, mine.ts).blocks)
    assert "<@UVOL1> · no role · no unit · available · load none · in training" in roster_text(rig)
    assert "Review volunteers (" not in text_of(home_blocks(rig, COORDINATOR))


def find_button_options(view: dict[str, Any], block_id: str) -> list[dict[str, Any]]:
    [block] = [b for b in view["blocks"] if b.get("block_id") == block_id]
    return block["element"]["options"]


async def test_coordinators_and_administrators_from_the_home(rig: Rig) -> None:
    await open_home(rig, COORDINATOR)
    view = await open_modal(rig, "home_roster_roles")
    assert "<@UCOORD1> (PEER_COORDINATORS)" in text_of(view["blocks"])
    person, role, change = "roster_person", "roster_role", "roster_role_change"
    add_coordinator = {person: "UNEWC", role: "coordinator", change: "add"}

    done(await rig.submit(COORDINATOR, view, add_coordinator))
    await rig.settle()
    assert await rig.app.services.roles.has_coordinator_role("UNEWC")
    await refused_inline(rig, view, add_coordinator, person, "Already a coordinator")
    await refused_inline(
        rig, view, {**add_coordinator, person: "UCOORD2", change: "remove"}, person, "PEER_COORDINATORS"
    )
    await refused_inline(
        rig, view, {**add_coordinator, person: "UNOBODY", change: "remove"}, person, "Not a coordinator"
    )
    await refused_inline(rig, view, {**add_coordinator, role: None}, role, "Choose a role")
    assert "<@UNEWC> is no longer a coordinator." in done(
        await rig.submit(COORDINATOR, view, {**add_coordinator, change: "remove"})
    )

    done(await rig.submit(COORDINATOR, view, {person: "UNEWA", role: "administrator", change: "add"}))
    await rig.settle()
    assert await rig.app.services.roles.has_administrator_role("UNEWA")
    assert "Program reports" in await open_home(rig, "UNEWA")
    audit = await audit_rows(rig)
    for action, who in (
        ("coordinator added", "UNEWC"),
        ("coordinator removed", "UNEWC"),
        ("administrator added", "UNEWA"),
    ):
        assert (COORDINATOR, action, f"<@{who}>") in audit, action


async def test_the_last_coordinator_is_kept_and_told_at_the_field(start_app) -> None:
    rig = await start_app(peer_coordinators="")
    async with rig.app.db.transaction() as tx:  # type: ignore[union-attr]
        await tx.roles.add_coordinator(COORDINATOR, added_by="setup", now=rig.clock.now())
    await open_home(rig, COORDINATOR)
    view = await open_modal(rig, "home_roster_roles")
    values = {"roster_person": COORDINATOR, "roster_role": "coordinator", "roster_role_change": "remove"}
    await refused_inline(rig, view, values, "roster_person", "at least one coordinator")
    assert await rig.app.services.roles.has_coordinator_role(COORDINATOR)


ROSTER_BUTTONS = (
    "home_roster_add",
    "home_roster_profile",
    "home_roster_training",
    "home_roster_suspend",
    "home_roster_volunteers",
    "home_roster_roles",
    "home_roster_all",
)


async def test_an_administrator_and_a_supporter_never_see_or_use_the_roster_work(start_app) -> None:
    rig = await start_app(peer_administrators=ADMINISTRATOR, peer_checkin_rate=1000)
    await add_supporters(rig, *(f"UMANY{n:02d}" for n in range(1, 18)))  # so "Show all" is there
    await volunteer(rig, "UVOL1")
    await open_home(rig, COORDINATOR)
    for outsider in (ADMINISTRATOR, "UMANY01"):
        shown = await open_home(rig, outsider)
        for action in ROSTER_BUTTONS:
            assert not has_button(home_blocks(rig, outsider), action), (outsider, action)
        assert "The roster" not in shown
        before = await snapshot(rig.app.db)  # type: ignore[arg-type]
        opened = len(rig.slack.calls_of("views.open"))
        for action in ROSTER_BUTTONS:  # copied from a coordinator's Home
            await rig.home_click(outsider, action, home_of=COORDINATOR)
            await rig.settle()
            assert "only program coordinators" in last_notice(rig), (outsider, action)
        callbacks = [c.params["view"].get("callback_id") for c in rig.slack.calls_of("views.open")[opened:]]
        assert not any(callbacks), "a roster modal opened for someone else"
        assert await snapshot(rig.app.db) == before  # type: ignore[arg-type]


async def test_the_follow_up_button_opens_the_view_the_command_opens(start_app) -> None:
    rig = await start_app(**CHECKIN_SETTINGS, peer_min_count=3)
    people = [f"UFOL{n}" for n in range(1, 10)]
    rig.slack.add_users(*people)
    await open_incident(rig, incident_people=people)
    shown = await open_home(rig, COORDINATOR)
    assert "#1 *Courthouse shooting, Dec 2* · Critical incident · 2026-11-29" in shown
    _, button = find_button(
        [b for b in home_blocks(rig, COORDINATOR) if b.get("block_id") == "incident_1"],
        "home_incident_follow_up",
    )
    assert json.loads(button["value"]) == {"incident_id": 1}

    await rig.home_click(COORDINATOR, "home_incident_follow_up", block_id="incident_1")
    await rig.settle()
    from_home = rig.slack.calls_of("views.open")[-1].params["view"]
    await rig.command(COORDINATOR, "incident 1")
    await rig.settle()
    from_command = rig.slack.calls_of("views.open")[-1].params["view"]
    assert from_home == from_command and from_home["callback_id"] == "peer_incident_follow_up"

    # Nobody else: the button copied into someone else's payload opens nothing.
    await rig.home_click("UEMP1", "home_incident_follow_up", block_id="incident_1", home_of=COORDINATOR)
    await rig.settle()
    assert "only program coordinators" in last_notice(rig)


async def checkin_states(rig: Rig) -> list[tuple[int, str, int]]:
    async with rig.app.db.read() as tx:  # type: ignore[union-attr]
        cur = await tx.conn.execute(
            "SELECT seq, state, COUNT(*) FROM scheduled_messages WHERE kind = 'checkin'"
            " GROUP BY seq, state ORDER BY seq, state"
        )
        return [tuple(r) for r in await cur.fetchall()]


async def test_close_early_cancels_exactly_the_check_ins_not_yet_sent(start_app) -> None:
    rig = await start_app(**CHECKIN_SETTINGS, peer_min_count=3)
    people = [f"UFOL{n}" for n in range(1, 10)]
    rig.slack.add_users(*people)
    await open_incident(rig, incident_people=people)  # a plan of 1d, 3d
    await open_home(rig, COORDINATOR)
    await deliver_after(rig, timedelta(days=1))
    for person in people[:4]:
        await rig.click(person, checkins_to(rig, person)[-1], "checkin_ok")
    await rig.settle()
    assert await checkin_states(rig) == [(1, "answered", 4), (1, "sent", 5)]
    await deliver_after(rig, timedelta(days=2, minutes=-30))  # step 2 is stored an hour before its time
    assert await checkin_states(rig) == [(1, "answered", 4), (1, "sent", 5), (2, "due", 9)]

    await rig.home_click(COORDINATOR, "home_incident_follow_up", block_id="incident_1")
    await rig.settle()
    view = rig.last_view("peer_incident_follow_up")
    _, close = find_button(view["blocks"], "incident_close_early")
    assert close["style"] == "danger" and close["confirm"]["confirm"]["text"] == "Close it"

    # Someone else's crafted click in the same view: refused, nothing moves.
    before = await snapshot(rig.app.db)  # type: ignore[arg-type]
    await rig.modal_click("UEMP1", view, "incident_close_early")
    await rig.settle()
    assert "only program coordinators" in last_notice(rig)
    assert await snapshot(rig.app.db) == before  # type: ignore[arg-type]

    await rig.modal_click(COORDINATOR, view, "incident_close_early")
    await rig.settle()
    # Step 1 stays as it went out and was answered; exactly step 2's nine are cancelled.
    assert await checkin_states(rig) == [(1, "answered", 4), (1, "sent", 5), (2, "cancelled", 9)]
    audit = await audit_rows(rig)
    assert (COORDINATOR, "incident closed", "#1, 9 check-ins cancelled") in audit
    redrawn = rig.slack.calls_of("views.update")[-1].params
    assert redrawn["view_id"] == view["id"]
    assert "Closed early: 9 check-ins not yet sent were cancelled" in text_of(redrawn["view"]["blocks"])
    assert ": closed, 9 people" in text_of(redrawn["view"]["blocks"])
    assert not has_button(redrawn["view"]["blocks"], "incident_close_early")
    assert "No open incidents" in home(rig, COORDINATOR), "the Home still lists the closed incident"

    sent = len(rig.slack.calls_of("chat.postMessage"))
    await deliver_after(rig, timedelta(days=3))
    assert len(rig.slack.calls_of("chat.postMessage")) == sent, "a check-in went out after the close"
    await rig.modal_click(COORDINATOR, view, "incident_close_early")  # a second click
    await rig.settle()
    assert "already closed" in text_of(rig.slack.calls_of("views.update")[-1].params["view"]["blocks"])
    assert len([a for a in await audit_rows(rig) if a[1] == "incident closed"]) == 1


def _entry(n: int) -> RosterEntry:
    supporter = Supporter(
        user_id=f"U{n:08d}",
        trained_on=date(2026, 1, 15),
        away=False,
        away_until=None,
        after_hours=False,
        expired_streak=0,
        rotation_seq=n,
        added_at=datetime(2026, 1, 1, tzinfo=UTC),
        role="A" * 60,
        unit="U" * 60,  # the longest a unit may be
    )
    return RosterEntry(
        supporter=supporter,
        available=True,
        training=TrainingState.CURRENT,
        lapses_on=date(2027, 1, 15),
        load=LoadBand.HEAVY,
    )


def test_the_roster_modals_fit_slacks_limits_however_long_the_roster() -> None:
    whole = modals.roster_modal([_entry(n) for n in range(1, 501)])
    assert len(whole["blocks"]) <= 100 and len(json.dumps(whole, ensure_ascii=False)) < 250_000
    assert text_of(whole["blocks"]).count("<@U") == 400 and "And 100 more" in text_of(whole["blocks"])
    assert all(len(b["text"]["text"]) <= 3000 for b in whole["blocks"] if b["type"] == "section")
    waiting = [
        Volunteer(id=n, user_id=f"UV{n}", note="x", state=VolunteerState.PENDING, created_at=START)
        for n in range(1, 13)
    ]
    review = modals.volunteers_modal(waiting)
    [choices] = [b for b in review["blocks"] if b.get("block_id") == "roster_volunteer"]
    assert len(choices["element"]["options"]) == 10
    assert "2 more wait" in text_of(review["blocks"])
    for view in (
        whole,
        review,
        modals.add_supporter_modal(),
        modals.training_modal(today=date(2026, 11, 30)),
        modals.suspend_modal(),
        modals.profile_modal(["Attorney"]),
        modals.roles_modal((["U1"], ["U2"]), (["U3"], [])),
    ):
        assert len(view["title"]["text"]) <= 24


async def test_a_roster_form_submitted_twice_acts_once(rig: Rig) -> None:
    """A double click or Slack's retry sends the same view twice, even at once: one training, one
    supporter, one suspension, each audited once."""
    await add_supporters(rig, "USUP1")
    await open_home(rig, COORDINATOR)
    training = await open_modal(rig, "home_roster_training")
    add = await open_modal(rig, "home_roster_add")
    suspend = await open_modal(rig, "home_roster_suspend")
    forms = (
        (
            training,
            {
                "roster_person": "USUP1",
                "roster_training_kind": "refresher",
                "roster_trained_on": "2026-11-20",
            },
        ),
        (add, {"roster_person": "UNEW1", "roster_trained_on": "2026-11-02"}),
        (suspend, {"roster_person": "USUP1", "roster_pause": "suspend"}),
    )
    for view, values in forms:
        answers = await asyncio.gather(*(rig.submit(COORDINATOR, view, values) for _ in range(2)))
        assert all(a.json["response_action"] == "update" for a in answers), [a.text for a in answers]
        await rig.settle()
    # The same form once more, read after the first one's commit: it finds its change made and is
    # answered as done, not as a mistake ("Already suspended" is for a new form).
    again = await rig.submit(COORDINATOR, suspend, forms[2][1])
    assert again.json["response_action"] == "update" and "submitted before" in again.text, again.text
    async with rig.app.db.read() as tx:  # type: ignore[union-attr]
        cur = await tx.conn.execute("SELECT user_id, kind, completed_on FROM trainings ORDER BY user_id, id")
        trainings = [tuple(r) for r in await cur.fetchall()]
    assert trainings == [
        ("UNEW1", "basic", "2026-11-02"),
        ("USUP1", "basic", "2026-01-15"),
        ("USUP1", "refresher", "2026-11-20"),
    ]
    actions = [a[1] for a in await audit_rows(rig) if a[1] != "roster add" or "UNEW1" in a[2]]
    assert actions.count("training recorded") == 1 and actions.count("supporter suspended") == 1
    assert [a for a in await audit_rows(rig) if "UNEW1" in a[2]] == [
        (COORDINATOR, "roster add", "<@UNEW1> trained 2026-11-02")
    ]
    # A corrected form is not a repeat: the training modal refused for someone not on the roster
    # records once the person is fixed, in the same view.
    again = await open_modal(rig, "home_roster_training")
    values = {"roster_person": "UNOBODY", "roster_training_kind": "basic", "roster_trained_on": "2026-11-21"}
    assert (await rig.submit(COORDINATOR, again, values)).json["response_action"] == "errors"
    fixed = await rig.submit(COORDINATOR, again, {**values, "roster_person": "UNEW1"})
    assert "Recorded a basic course on 2026-11-21 for <@UNEW1>" in done(fixed)


async def test_a_coordinators_garbled_forms_are_answered_at_their_fields(rig: Rig) -> None:
    """Values no picker would send (a crafted or corrupted payload): answered inline, nothing stored."""
    await add_supporters(rig, "USUP1")
    await volunteer(rig, "UVOL1")
    await open_home(rig, COORDINATOR)
    training = await open_modal(rig, "home_roster_training")
    good = {"roster_person": "USUP1", "roster_training_kind": "refresher", "roster_trained_on": "2026-11-20"}
    await refused_inline(
        rig, training, {**good, "roster_trained_on": "2026-99-99"}, "roster_trained_on", "Pick a date"
    )
    await refused_inline(
        rig, training, {**good, "roster_training_kind": "x"}, "roster_training_kind", "which training"
    )
    await refused_inline(
        rig, training, {**good, "roster_trained_on": None}, "roster_trained_on", "Pick the date"
    )
    await refused_inline(
        rig, training, {**good, "roster_training_name": "n" * 81}, "roster_training_name", "80 characters"
    )
    review = await open_modal(rig, "home_roster_volunteers")
    decision = {"roster_volunteer_decision": "approve"}
    await refused_inline(
        rig, review, {**decision, "roster_volunteer": "1; DROP"}, "roster_volunteer", "Choose a volunteer"
    )
    await refused_inline(
        rig, review, {**decision, "roster_volunteer": "999"}, "roster_volunteer", "already decided"
    )
    roles = await open_modal(rig, "home_roster_roles")
    await refused_inline(
        rig,
        roles,
        {"roster_person": "UX", "roster_role": "owner", "roster_role_change": "add"},
        "roster_role",
        "Choose a role",
    )
