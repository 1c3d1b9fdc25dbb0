"""Events: announced in a channel, RSVPs as a count, reminders once each, edits and cancellations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from handlers.common.blocks import ANNOUNCEMENT_TEXT
from slack_standin import Fault
from tests.conftest import sqlite_only
from tests.flows import COORDINATOR
from tests.rig import Rig, has_button, text_of
from tests.test_tracking import in_database, published_stats

CHANNEL = "CEVENTS"
EVENT_SETTINGS = {"peer_checkin_rate": 1000}
FORM = {
    "event_title": "Lunch and learn: what the EAP offers",
    "event_kind": "lunch_and_learn",
    "event_date": "2026-12-03",
    "event_start": "12:00",
    "event_end": "13:00",
    "event_place": "Room 4B",
    "event_description": "Bring your lunch; we bring dessert.",
    "event_channel": CHANNEL,
}


async def announce(rig: Rig, **values: Any) -> Any:
    """The coordinator types /peer event and submits the modal."""
    opened = len(rig.slack.calls_of("views.open"))
    response = await rig.command(COORDINATOR, "event")
    await rig.settle()
    assert len(rig.slack.calls_of("views.open")) == opened + 1, response.text
    submitted = await rig.submit(COORDINATOR, rig.last_view("peer_event"), {**FORM, **values})
    await rig.settle()
    return submitted


def posts(rig: Rig) -> list:
    return [m for m in rig.slack.channel_posts(CHANNEL) if not _is_reminder(m)]


def reminders(rig: Rig) -> list:
    return [m for m in rig.slack.channel_posts(CHANNEL) if _is_reminder(m)]


def _is_reminder(message) -> bool:
    return "Reminder:" in text_of(message.blocks)


async def at(rig: Rig, when: datetime) -> None:
    rig.clock.set(when)
    await rig.app.deliver_due()
    await rig.settle()


def last_ephemeral(rig: Rig) -> str:
    return rig.slack.calls_of("chat.postEphemeral")[-1].params["text"]


async def test_an_event_is_announced_and_rsvp_toggles_the_count_in_place(start_app) -> None:
    rig = await start_app(**EVENT_SETTINGS)
    rig.slack.add_channel(CHANNEL, "UEMP1", "UEMP2")
    submitted = await announce(rig)
    assert submitted.status == 200 and submitted.text == ""
    [post] = posts(rig)
    shown = text_of(post.blocks)
    assert "Lunch and learn: what the EAP offers" in shown and "Room 4B" in shown
    assert "Thu 3 Dec, 12:00" in shown and "to 13:00" in shown and "Nobody has said" in shown
    assert post.text == ANNOUNCEMENT_TEXT

    await rig.click("UEMP1", post, "event_rsvp")
    await rig.settle()
    assert "You're going to *Lunch and learn" in last_ephemeral(rig)
    await rig.click("UEMP2", post, "event_rsvp")
    await rig.settle()
    assert "*2 going*" in text_of(rig.slack.message(post.channel, post.ts).blocks)
    await rig.click("UEMP1", post, "event_rsvp")
    await rig.settle()
    assert "no longer going" in last_ephemeral(rig)

    now = rig.slack.message(post.channel, post.ts)
    assert "*1 going*" in text_of(now.blocks)
    assert "UEMP" not in text_of(now.blocks), "a post never names who is going"
    assert len(rig.slack.channel_posts(CHANNEL)) == 1, "the count is updated in place"
    listing = (await rig.command(COORDINATOR, "event list")).json["text"]
    assert "1 going" in listing and "<@UEMP2>" in listing and "<@UEMP1>" not in listing


async def test_reminders_go_out_once_each_also_across_a_restart(start_app) -> None:
    rig = await start_app(**EVENT_SETTINGS)
    rig.slack.add_channel(CHANNEL)
    await announce(rig)
    await at(rig, datetime(2026, 12, 2, 11, 59, tzinfo=UTC))
    assert not reminders(rig)
    await at(rig, datetime(2026, 12, 2, 12, 0, tzinfo=UTC))
    await at(rig, datetime(2026, 12, 2, 12, 5, tzinfo=UTC))
    [day_before] = reminders(rig)
    assert "starts in 1 day" in text_of(day_before.blocks)
    assert has_button(day_before.blocks, "event_rsvp")
    await rig.app.stop()

    rig.clock.set(datetime(2026, 12, 3, 11, 10, tzinfo=UTC))  # the 1 h reminder fell due while down
    rig = await start_app(**EVENT_SETTINGS)
    await rig.settle()
    await at(rig, datetime(2026, 12, 3, 11, 30, tzinfo=UTC))
    texts = [text_of(m.blocks) for m in reminders(rig)]
    assert len(texts) == 2 and "starts in 1 hour" in texts[1]
    assert len(posts(rig)) == 1, "the announcement was not posted again at start"

    await at(rig, datetime(2026, 12, 3, 12, 30, tzinfo=UTC))
    await rig.click("UEMP1", posts(rig)[0], "event_rsvp")
    await rig.settle()
    assert "already started" in last_ephemeral(rig)


async def test_reminders_follow_the_setting(start_app) -> None:
    rig = await start_app(peer_event_reminders="2h", **EVENT_SETTINGS)
    rig.slack.add_channel(CHANNEL)
    await announce(rig)
    await at(rig, datetime(2026, 12, 2, 12, 0, tzinfo=UTC))
    assert not reminders(rig)
    await at(rig, datetime(2026, 12, 3, 10, 0, tzinfo=UTC))
    [reminder] = reminders(rig)
    assert "starts in 2 hours" in text_of(reminder.blocks)


async def test_editing_updates_the_post_and_reschedules_the_reminders(start_app) -> None:
    rig = await start_app(**EVENT_SETTINGS)
    rig.slack.add_channel(CHANNEL)
    await announce(rig)
    [post] = posts(rig)
    await rig.click("UEMP1", post, "event_rsvp")
    await rig.command(COORDINATOR, "event edit 1")
    await rig.settle()
    view = rig.last_view("peer_event_edit")
    assert "Lunch and learn: what the EAP offers" in text_of(view["blocks"])  # prefilled
    edited = {**FORM, "event_date": "2026-12-04", "event_start": "15:00", "event_end": None}
    edited["event_place"] = "Room 5"
    response = await rig.submit(COORDINATOR, view, edited)
    await rig.settle()
    assert response.text == ""

    redrawn = text_of(rig.slack.message(post.channel, post.ts).blocks)
    assert "Room 5" in redrawn and "Fri 4 Dec, 15:00" in redrawn and "updated" in redrawn
    assert "*1 going*" in redrawn, "RSVPs survive an edit"
    await at(rig, datetime(2026, 12, 2, 12, 0, tzinfo=UTC))
    assert not reminders(rig), "the reminder for the old time was dropped"
    await at(rig, datetime(2026, 12, 3, 15, 0, tzinfo=UTC))
    await at(rig, datetime(2026, 12, 4, 14, 0, tzinfo=UTC))
    assert [("1 day" in text_of(m.blocks), "1 hour" in text_of(m.blocks)) for m in reminders(rig)] == [
        (True, False),
        (False, True),
    ]


async def test_cancelling_updates_the_post_and_drops_the_reminders(start_app) -> None:
    rig = await start_app(**EVENT_SETTINGS)
    rig.slack.add_channel(CHANNEL)
    await announce(rig)
    [post] = posts(rig)
    reply = (await rig.command(COORDINATOR, "event cancel 1")).json["text"]
    await rig.settle()
    assert "is cancelled" in reply
    redrawn = rig.slack.message(post.channel, post.ts)
    assert "Cancelled: Lunch and learn" in text_of(redrawn.blocks)
    assert not has_button(redrawn.blocks, "event_rsvp")
    await at(rig, datetime(2026, 12, 3, 11, 30, tzinfo=UTC))
    assert not reminders(rig)
    await rig.click("UEMP1", post, "event_rsvp", as_first_shown=True)
    await rig.settle()
    assert "no upcoming event with that number" in last_ephemeral(rig)
    assert "No upcoming events" in (await rig.command(COORDINATOR, "event list")).json["text"]
    assert "no upcoming event" in (await rig.command(COORDINATOR, "event cancel 1")).json["text"]


async def test_bad_event_input_gets_inline_errors_and_posts_nothing(start_app) -> None:
    rig = await start_app(**EVENT_SETTINGS)
    rig.slack.add_channel("CNOTIN", "UEMP1", bot=False)
    rig.slack.add_channel("COLD")
    rig.slack.archived.add("COLD")
    cases = [
        ({"event_date": "2026-11-30", "event_start": "09:00"}, "event_date", "That time has passed"),
        ({"event_end": "11:00"}, "event_end", "end must come after the start"),
        ({"event_channel": "CNOTIN"}, "event_channel", "/invite @Peer Support"),
        ({"event_channel": "GSECRET"}, "event_channel", "can't see that channel"),
        ({"event_channel": "COLD"}, "event_channel", "archived"),
        ({"event_title": ""}, "event_title", "give the event a title"),
        ({"event_place": " "}, "event_place", "say where it is"),
    ]
    for values, block, message in cases:
        response = await announce(rig, **values)
        assert response.json["response_action"] == "errors", values
        assert message in response.json["errors"][block], (values, response.json)
    assert not [c for c in rig.slack.calls_of("chat.postMessage") if c.channel and c.channel[0] in "CG"]
    assert "No upcoming events" in (await rig.command(COORDINATOR, "event list")).json["text"]


async def test_a_post_that_fails_tells_the_coordinator(start_app) -> None:
    rig = await start_app(**EVENT_SETTINGS)
    rig.slack.add_channel(CHANNEL)
    # Removed from the channel between the check and the post.
    rig.slack.inject("chat.postMessage", Fault(status=200, error="not_in_channel", retry_after=None))
    await announce(rig)
    assert not posts(rig)
    notice = text_of(rig.slack.dms(COORDINATOR)[-1].blocks)
    assert "couldn't post the announcement" in notice and "/peer event cancel 1" in notice


async def test_sensitive_events_show_only_a_count_even_to_coordinators(start_app) -> None:
    rig = await start_app(**EVENT_SETTINGS)
    rig.slack.add_channel(CHANNEL)
    await announce(rig, event_kind="grief_gathering", event_title="Remembering those we lost")
    await announce(rig)
    grief, lunch = posts(rig)
    for user in ("UEMP1", "UEMP2"):
        await rig.click(user, grief, "event_rsvp")
        await rig.click(user, lunch, "event_rsvp")
    await rig.settle()
    shown = text_of(rig.slack.message(grief.channel, grief.ts).blocks)
    assert "*2 going*" in shown and "organisers included" in shown and "UEMP" not in shown

    listing = (await rig.command(COORDINATOR, "event list")).json["text"]
    grief_part, lunch_part = listing.split("#2 ")
    assert "2 going" in grief_part and "names are never shown" in grief_part and "UEMP" not in grief_part
    assert "<@UEMP1>" in lunch_part and "<@UEMP2>" in lunch_part


async def test_non_coordinators_are_refused_every_event_action(start_app) -> None:
    rig = await start_app(**EVENT_SETTINGS)
    rig.slack.add_channel(CHANNEL)
    await announce(rig)
    [post] = posts(rig)
    for text in ("event", "event list", "event edit 1", "event cancel 1"):
        assert "only program coordinators" in (await rig.command("UEMP1", text)).json["text"], text
    # Crafted submissions of the coordinator's modals, by someone else.
    crafted = await rig.submit("UEMP1", rig.last_view("peer_event"), {**FORM, "event_title": "Mine"})
    assert "only program coordinators" in crafted.json["errors"]["event_title"]
    await rig.command(COORDINATOR, "event edit 1")
    await rig.settle()
    crafted = await rig.submit("UEMP1", rig.last_view("peer_event_edit"), {**FORM, "event_place": "Nowhere"})
    assert "only program coordinators" in crafted.json["errors"]["event_title"]
    await rig.settle()
    assert "Room 4B" in text_of(rig.slack.message(post.channel, post.ts).blocks)
    assert len(posts(rig)) == 1


async def test_who_went_is_forgotten_after_the_retention_period_and_the_count_stays(start_app) -> None:
    rig = await start_app(**EVENT_SETTINGS, peer_retention_days=30)
    rig.slack.add_channel(CHANNEL, "UEMP1", "UEMP2", "UEMP3")
    await announce(rig, event_kind="grief_gathering")  # Thu 3 Dec, 12:00 to 13:00
    [post] = posts(rig)
    for person in ("UEMP1", "UEMP2", "UEMP3"):
        await rig.click(person, post, "event_rsvp")
        await rig.settle()
    event_end = datetime(2026, 12, 3, 13, 0, tzinfo=UTC)

    await at(rig, event_end + timedelta(days=29))
    await rig.app.sweep()
    assert await _rsvp_names(rig) == ["UEMP1", "UEMP2", "UEMP3"]

    await at(rig, event_end + timedelta(days=30, minutes=1))
    await rig.app.sweep()
    assert await _rsvp_names(rig) == []
    # How many went is kept: the post, drawn again, still says so.
    await rig.app.services.announcements.redraw(announcement_id=1)
    assert "*3 going*" in text_of(rig.slack.message(post.channel, post.ts).blocks)


@sqlite_only
async def test_forgotten_rsvps_are_gone_from_the_database_file(start_app, db_path: Path) -> None:
    rig = await start_app(**EVENT_SETTINGS, peer_retention_days=0)
    rig.slack.add_channel(CHANNEL, "UGOINGSECRET")
    await announce(rig, event_kind="grief_gathering")
    [post] = posts(rig)
    await rig.click("UGOINGSECRET", post, "event_rsvp")
    await rig.settle()
    await at(rig, datetime(2026, 12, 3, 13, 1, tzinfo=UTC))
    await rig.app.sweep()
    assert not in_database(db_path, "UGOINGSECRET")


async def _rsvp_names(rig: Rig) -> list[str]:
    async with rig.app.db.read() as tx:  # type: ignore[union-attr]
        cur = await tx.conn.execute("SELECT user_id FROM rsvps ORDER BY user_id")
        return [row[0] for row in await cur.fetchall()]


async def test_stats_count_events_held_and_going_with_small_counts_hidden(start_app) -> None:
    rig = await start_app(**EVENT_SETTINGS)
    people = [f"UEMP{n}" for n in range(5)]
    rig.slack.add_channel(CHANNEL, *people)
    await announce(rig)  # a lunch and learn on Thu 3 Dec
    await announce(rig, event_title="Refresher", event_kind="training", event_date="2026-12-04")
    await announce(rig, event_title="Winter social", event_kind="social", event_date="2026-12-04")
    await announce(rig, event_title="Called off", event_kind="social", event_date="2026-12-05")
    lunch, training, social, called_off = posts(rig)
    for post, going in ((lunch, 5), (training, 4), (social, 2), (called_off, 2)):
        for person in people[:going]:
            await rig.click(person, post, "event_rsvp")
    await rig.settle()
    await rig.command(COORDINATOR, "event cancel 4")
    await rig.settle()

    text = await published_stats(rig, "2026-Q4")
    events = text.split("*Events*")[1].split("_Counts from")[0]
    assert "Lunch and learn: 1 held, 5 going" in events
    # Two going to the social is a small count; the next smallest is hidden too, so the total
    # cannot give it back. The cancelled social is not counted.
    assert "Social: 1 held, fewer than 3 going" in events
    assert "Training: 1 held, suppressed going" in events
    assert "Total going: 11" in events
    assert "UEMP" not in text
