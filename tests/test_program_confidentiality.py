"""Confidentiality across the program around the requests: posts, Homes, coordinators' views and logs."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest

from bot.app import configure_logging
from handlers.common.blocks import ANNOUNCEMENT_TEXT, NEUTRAL_TEXT, UPDATED_TEXT
from tests.flows import COORDINATOR, accept, add_supporters, ask
from tests.rig import Rig, text_of
from tests.test_care import close
from tests.test_events import CHANNEL, announce
from tests.test_home import open_home

NOTE = "I can't stop thinking about the Hollis photos."
CONCERN_NOTE = "He cried in the break room twice this week."
USER_ID = re.compile(r"\b[UW][A-Z0-9]{4,}\b")
SETTINGS = {"peer_checkin_rate": 1000, "peer_checkin_hours": "any"}


async def program_day(rig: Rig) -> None:
    """Volunteering, training, an event with RSVPs, a concern, a heavy request and the care after it."""
    rig.slack.add_channel(CHANNEL, "UEMP1", "UEMP2")
    await open_home(rig, COORDINATOR)
    await rig.command("UVOL1", "volunteer")
    await rig.settle()
    [review] = [m for m in rig.slack.dms(COORDINATOR) if "volunteer" in text_of(m.blocks).lower()]
    await rig.click(COORDINATOR, review, "volunteer_approve")
    await add_supporters(rig, "USUP1", "USUP2")
    await rig.command(COORDINATOR, "training <@UVOL1|v> basic 2026-11-27")
    await announce(rig, event_kind="holiday_gathering", event_title="When the holidays are hard")
    [post] = rig.slack.channel_posts(CHANNEL)
    await rig.click("UEMP1", post, "event_rsvp")
    await rig.command("UEMP2", "concern <@UEMP3|e>")
    await rig.settle()
    form = {"concern_subject": "UEMP3", "concern_note": CONCERN_NOTE, "concern_contact_me": []}
    await rig.submit("UEMP2", rig.last_view("peer_concern"), form)
    await ask(rig, "UREQ1", note=NOTE, preferred="USUP1")
    held = await accept(rig, "USUP1")
    await close(rig, "USUP1", held, heavy=True)
    rig.clock.advance(timedelta(days=1))
    await rig.app.sweep()
    await rig.app.deliver_due()
    await rig.settle()
    await open_home(rig, COORDINATOR)


async def test_posts_in_channels_are_neutral_and_never_name_anyone(start_app) -> None:
    rig = await start_app(**SETTINGS)
    await program_day(rig)
    channel_calls = [
        c
        for c in rig.slack.calls_of("chat.postMessage") + rig.slack.calls_of("chat.update")
        if c.channel == CHANNEL
    ]
    assert channel_calls, "the day posted nothing in the channel; the test would prove nothing"
    for call in channel_calls:
        assert call.params["text"] == ANNOUNCEMENT_TEXT
        assert "<@" not in text_of(call.params["blocks"]), "a channel post named someone"
    for call in rig.slack.calls_of("chat.postMessage") + rig.slack.calls_of("chat.update"):
        if call.channel != CHANNEL:
            assert call.params["text"] in {NEUTRAL_TEXT, UPDATED_TEXT}


async def test_coordinators_never_see_who_asked_nor_who_goes_to_a_sensitive_event(start_app) -> None:
    rig = await start_app(**SETTINGS)
    await program_day(rig)
    seen = [str(c.params) for c in rig.slack.calls_for(COORDINATOR)]
    assert any("When the holidays are hard" in s for s in seen), "the coordinator's Home shows the event"
    for shown in seen:
        assert "UREQ1" not in shown and NOTE not in shown, "who asked reached a coordinator"
        assert "UEMP1" not in shown, "who goes to a sensitive event reached a coordinator"
    listing = (await rig.command(COORDINATOR, "event list")).json["text"]
    assert "1 going" in listing and "UEMP1" not in listing
    # The colleague someone worried about is never messaged; the raiser is never named to anyone.
    assert not rig.slack.calls_for("UEMP3")
    assert not [
        c
        for c in rig.slack.calls
        if "UEMP2" in str(c.params)
        and c.channel != "UEMP2"
        and c.params.get("user") != "UEMP2"
        and c.params.get("user_id") != "UEMP2"
    ]


async def test_logs_name_ids_of_things_never_people_or_notes(
    start_app, caplog: pytest.LogCaptureFixture
) -> None:
    rig = await start_app(**SETTINGS)
    configure_logging("DEBUG")
    caplog.set_level(logging.DEBUG)
    try:
        await program_day(rig)
    finally:
        logging.getLogger().setLevel(logging.WARNING)
    messages = [record.getMessage() for record in caplog.records]
    assert any("concern 1" in m for m in messages) and any("event 1" in m for m in messages)
    for message in messages:
        assert NOTE not in message and CONCERN_NOTE not in message
        assert not USER_ID.search(message), message


async def test_coordinator_actions_are_audited_without_who_asked_or_what_a_concern_says(start_app) -> None:
    rig = await start_app(**SETTINGS)
    await program_day(rig)
    [alert] = [m for m in rig.slack.dms(COORDINATOR) if "concern_take" in str(m.blocks)]
    await rig.click(COORDINATOR, alert, "concern_take")
    await rig.command(COORDINATOR, "coordinators add <@UCO2|c>")
    await rig.command(COORDINATOR, "coordinators remove <@UCO2|c>")
    await rig.command(COORDINATOR, "roster suspend <@USUP2|s>")
    await rig.command(COORDINATOR, "roster resume <@USUP2|s>")
    await rig.command(COORDINATOR, "event cancel 1")
    await rig.settle()

    audit = (await rig.command(COORDINATOR, "audit")).json["text"]
    for action in (
        "roster add",
        "volunteer approved",
        "training recorded",
        "event created",
        "concern taken",
        "coordinator added",
        "coordinator removed",
        "supporter suspended",
        "supporter resumed",
        "event cancelled",
    ):
        assert action in audit, action
    # Who asked, their note, who a concern is about, who raised it and what it says: never.
    for secret in ("UREQ1", NOTE, "UEMP3", "UEMP2", CONCERN_NOTE, "UEMP1"):
        assert secret not in audit, secret
