"""The App Home by role: each role sees exactly what it may, and the Home follows what changes."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.flows import COORDINATOR, accept, add_supporters, ask
from tests.rig import Rig, has_button, text_of
from tests.test_events import CHANNEL, announce

NOTE = "Rough week after the verdict."
_EVENT_IDS = itertools.count(1)


async def open_home(rig: Rig, user: str) -> str:
    """The person opens the Home tab; returns what it shows, as text."""
    event = {
        "type": "app_home_opened",
        "user": user,
        "channel": "D" + user[1:],
        "tab": "home",
        "event_ts": "1.2",
    }
    response = await rig.event(event, event_id=f"EvHome{next(_EVENT_IDS)}")
    assert response.status == 200
    await rig.settle()
    return home(rig, user)


def home(rig: Rig, user: str) -> str:
    """The Home tab as it was last published (without opening it again)."""
    return text_of(rig.slack.home_views[user]["blocks"])


def home_blocks(rig: Rig, user: str) -> list[dict[str, Any]]:
    return rig.slack.home_views[user]["blocks"]


def last_notice(rig: Rig) -> str:
    return text_of(rig.slack.calls_of("views.open")[-1].params["view"]["blocks"])


async def test_everyone_sees_how_to_ask_their_own_request_events_and_resources(start_app) -> None:
    rig = await start_app(peer_checkin_rate=1000)
    rig.slack.add_channel(CHANNEL)
    await add_supporters(rig, "USUP1")
    await announce(rig)
    await ask(rig, "UREQ1", note=NOTE)

    shown = await open_home(rig, "UREQ1")
    blocks = home_blocks(rig, "UREQ1")
    assert has_button(blocks, "home_open_request") and has_button(blocks, "home_cancel_request")
    assert "*Your request* #1 is being offered" in shown
    assert "Lunch and learn: what the EAP offers" in shown and "0 going" in shown
    assert has_button(blocks, "event_rsvp") and has_button(blocks, "home_volunteer")
    assert "988" in shown
    # Absent: every other role's part, the supporter being asked, the note. (The supporter is listed
    # in the team directory, as everyone on the team is, and nowhere else.)
    directory = shown.index("The peer support team")
    for absent in ("You're a peer supporter", "Coordinator", "USUP1", NOTE, "Statistics"):
        assert absent not in shown[:directory], absent
    assert NOTE not in shown and shown.count("USUP1") == 1
    for action in ("home_pause_offers", "home_log_contact", "home_stats", "home_incident", "event_edit"):
        assert not has_button(blocks, action), action

    # RSVP from the Home: the Home says so, and the post's count follows.
    await rig.home_click("UREQ1", "event_rsvp", block_id="event_1")
    await rig.settle()
    assert "you're going" in home(rig, "UREQ1") and "1 going" in home(rig, "UREQ1")
    [post] = rig.slack.channel_posts(CHANNEL)
    assert "*1 going*" in text_of(rig.slack.message(post.channel, post.ts).blocks)

    # Withdraw from the Home: the request goes, and the Home is redrawn without it.
    await rig.home_click("UREQ1", "home_cancel_request")
    await rig.settle()
    assert "Your request" not in home(rig, "UREQ1")
    assert await rig.app.services.requests.status(requester_id="UREQ1") is None


async def test_a_supporter_sees_availability_their_requests_training_and_log_a_contact(start_app) -> None:
    rig = await start_app()
    await add_supporters(rig, "USUP1", "USUP2")
    await ask(rig, "UREQ1", preferred="USUP1", note=NOTE)
    await accept(rig, "USUP1")
    await ask(rig, "UREQ2", preferred="USUP2")
    await accept(rig, "USUP2")

    shown = await open_home(rig, "USUP1")
    blocks = home_blocks(rig, "USUP1")
    assert "You're a peer supporter" in shown and "You're available" in shown
    assert "*Request #1:* <@UREQ1>" in shown and "Case or trauma exposure" in shown
    assert "current until 2027-01-15" in shown
    assert has_button(blocks, "request_close") and has_button(blocks, "home_log_contact")
    # Absent: the note (it stays in the DM), others' requests, the coordinator's part.
    for absent in (NOTE, "UREQ2", "#2", "Coordinator", "getting offers", "Statistics"):
        assert absent not in shown, absent

    # Close straight from the Home.
    await rig.home_click("USUP1", "request_close", block_id="held_1")
    await rig.settle()
    assert rig.slack.calls_of("views.open")[-1].params["view"]["callback_id"] == "peer_request_close"

    # Pause offers until a date; the Home follows with a one-click way back.
    await rig.home_click("USUP1", "home_pause_offers")
    await rig.settle()
    paused = await rig.submit("USUP1", rig.last_view("peer_away"), {"away_until": "2026-12-07"})
    await rig.settle()
    assert paused.text == ""
    assert "You're away until Mon 7 Dec" in home(rig, "USUP1")
    assert has_button(home_blocks(rig, "USUP1"), "supporter_available_again")
    bad = await rig.submit("USUP1", rig.last_view("peer_away"), {"away_until": "2026-11-01"})
    assert "isn't in the future" in bad.json["errors"]["away_until"]

    # Log a contact: counted for the statistics, never who with.
    await rig.home_click("USUP1", "home_log_contact")
    await rig.settle()
    view = rig.last_view("peer_log_contact")
    form = {
        "contact_date": "2026-11-30",
        "contact_minutes": "25",
        "contact_areas": ["grief"],
        "contact_channel": "walk_in",
        "contact_referral": "eap",
    }
    assert (await rig.submit("USUP1", view, form)).json["response_action"] == "update"
    bad = await rig.submit("USUP1", view, {**form, "contact_minutes": "lots"})
    assert "whole minutes" in bad.json["errors"]["contact_minutes"]
    assert rig.app.db is not None
    async with rig.app.db.read() as tx:
        quarter = (datetime(2026, 10, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
        groups = await tx.tracking.contact_groups(*quarter)
    assert [(g.count, g.minutes, g.referral, g.channel, g.supporter_id) for g in groups] == [
        (1, 25, "eap", "walk_in", "USUP1")
    ]
    # Their own time, to them alone.
    await open_home(rig, "USUP1")
    assert "Your time this quarter: 0.4 h (only you see this)" in home(rig, "USUP1")


async def test_a_coordinator_sees_the_roster_at_a_glance_and_counts_never_who(start_app) -> None:
    rig = await start_app(peer_checkin_rate=1000, peer_supporter_capacity=1)
    rig.slack.add_channel(CHANNEL)
    await add_supporters(rig, "USUP1")
    await add_supporters(rig, "UOLD", trained="2025-06-01")  # lapsed
    await add_supporters(rig, "UNEW", trained=None)
    await add_supporters(rig, "UGONE")
    rig.slack.add_users("UGONE", deleted=True)
    await rig.app.sweep()  # the sweep finds the deactivated account
    await rig.command("UVOL1", "volunteer")
    await rig.settle()
    await ask(rig, "UREQ1", note=NOTE)
    held = await accept(rig, "USUP1")
    await ask(rig, "UREQ2", note=NOTE)  # nobody left: escalated
    await announce(rig, event_kind="grief_gathering", event_title="Remembering together")
    [post] = rig.slack.channel_posts(CHANNEL)
    await rig.click("UREQ2", post, "event_rsvp")
    await rig.settle()

    rig.clock.advance(timedelta(days=1))  # request counts are as they stood at the start of the day
    shown = await open_home(rig, COORDINATOR)
    blocks = home_blocks(rig, COORDINATOR)
    assert "*Roster:* 1 getting offers" in shown and "1 in training" in shown
    assert "*Training lapsed:* <@UOLD>" in shown
    assert "<@UGONE> (deactivated)" in shown
    assert "*Volunteers waiting for a decision:* <@UVOL1>" in shown
    # One escalated and one held: small counts, hidden.
    assert "fewer than 3 escalated" in shown and "fewer than 3 with a supporter" in shown
    assert "Remembering together" in shown and "1 going" in shown
    for action in ("home_incident", "home_event", "home_stats", "event_edit", "event_cancel"):
        assert has_button(blocks, action), action
    # Never who asked, never a note, never who goes to a sensitive event.
    assert "UREQ" not in shown and NOTE not in shown

    # The statistics are /peer stats': counts only, small ones hidden.
    await rig.click("USUP1", held, "request_close")
    await rig.settle()
    closed = await rig.submit(
        "USUP1", rig.last_view("peer_request_close"), {"minutes": "30", "referral": "eap"}
    )
    assert closed.text == ""
    await rig.settle()
    rig.clock.set(datetime(2027, 1, 1, 9, tzinfo=UTC))  # 2026-Q4 is published
    await rig.home_click(COORDINATOR, "home_stats")
    await rig.settle()
    stats = last_notice(rig)
    assert "*Requests:* fewer than 3 made" in stats and "UREQ" not in stats
    assert "Case or trauma exposure: fewer than 3" in stats, "a small count would identify someone"
    await rig.home_click(COORDINATOR, "home_event")
    await rig.settle()
    assert rig.slack.calls_of("views.open")[-1].params["view"]["callback_id"] == "peer_event"


async def test_homes_are_redrawn_when_what_they_show_changes(rig: Rig) -> None:
    await add_supporters(rig, "USUP1")
    await open_home(rig, "UREQ1")
    await open_home(rig, COORDINATOR)
    await open_home(rig, "USUP1")
    await ask(rig, "UREQ1")
    assert "being offered" in home(rig, "UREQ1")
    # The coordinator's counts are as of the start of the day: asking does not move them.
    assert "0 waiting for a supporter" in home(rig, COORDINATOR)

    await accept(rig, "USUP1")  # nobody reopens a Home
    assert "is with <@USUP1>" in home(rig, "UREQ1")
    assert "*Request #1:* <@UREQ1>" in home(rig, "USUP1")
    assert "0 waiting for a supporter" in home(rig, COORDINATOR)

    await rig.command(COORDINATOR, "roster suspend <@USUP1|s>")
    await rig.settle()
    assert "paused* by a coordinator" in home(rig, "USUP1")
    assert "1 suspended" in home(rig, COORDINATOR)


async def test_non_coordinators_are_refused_every_coordinator_button_even_crafted(start_app) -> None:
    rig = await start_app(peer_checkin_rate=1000)
    rig.slack.add_channel(CHANNEL)
    await announce(rig)
    await open_home(rig, COORDINATOR)
    await open_home(rig, "UEMP1")
    opened = len(rig.slack.calls_of("views.open"))
    for action, block in (
        ("home_stats", None),
        ("home_incident", None),
        ("home_event", None),
        ("event_edit", "event_admin_1"),
        ("event_cancel", "event_admin_1"),
    ):
        await rig.home_click("UEMP1", action, block_id=block, home_of=COORDINATOR)
        await rig.settle()
        assert "only program coordinators" in last_notice(rig), action
    callbacks = [c.params["view"].get("callback_id") for c in rig.slack.calls_of("views.open")[opened:]]
    assert not any(callbacks), "a coordinator's modal opened for someone else"
    [post] = rig.slack.channel_posts(CHANNEL)
    assert "Cancelled" not in text_of(rig.slack.message(post.channel, post.ts).blocks)
    assert "Lunch and learn" in await open_home(rig, "UEMP1")


async def test_a_supporter_who_cannot_be_reached_is_flagged_and_skipped(start_app) -> None:
    rig = await start_app(peer_supporter_capacity=1)
    await add_supporters(rig, "USUP1", "USUP2")
    rig.slack.undeliverable["USUP1"] = "messages_tab_disabled"
    await ask(rig, "UREQ1")  # USUP1 is first in the rotation: the DM fails, USUP2 gets it
    assert len(rig.open_offers_to("USUP2")) == 1
    shown = await open_home(rig, COORDINATOR)
    assert "<@USUP1> (messages_tab_disabled)" in shown

    del rig.slack.undeliverable["USUP1"]
    await ask(rig, "UREQ2")
    assert not rig.offers_to("USUP1"), "left out of the rotation until reachable again"
    await rig.command("USUP1", "available")  # they show up again
    await rig.settle()
    assert len(rig.open_offers_to("USUP1")) == 1
    assert "Can't be reached" not in home(rig, COORDINATOR)


async def test_training_lapsing_shows_on_the_supporters_home(start_app) -> None:
    rig = await start_app(peer_checkin_rate=1000)
    await add_supporters(rig, "USUP1", trained="2026-01-15")
    await open_home(rig, "USUP1")
    rig.clock.set(datetime(2026, 12, 20, 10, tzinfo=UTC))
    await rig.app.sweep()
    await rig.settle()
    assert "refresher is due by 2027-01-15" in home(rig, "USUP1")
    assert "*Refresher due soon:* <@USUP1>" in await open_home(rig, COORDINATOR)
