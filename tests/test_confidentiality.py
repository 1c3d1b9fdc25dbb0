"""Confidentiality by design: neutral lock-screen text, DMs only, nothing identifying in logs."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest

from bot.app import configure_logging
from handlers.blocks.common import NEUTRAL_TEXT, UPDATED_TEXT
from tests.flows import COORDINATOR, accept, add_supporters, ask, pass_offer
from tests.rig import Rig

NOTE = "My sister's case is in our own unit and I can't sleep."
USER_ID = re.compile(r"\b[UW][A-Z0-9]{4,}\b")


async def busy_day(rig: Rig) -> None:
    """Requests that are passed, accepted, handed back, expired, escalated, cancelled and closed."""
    await add_supporters(rig, "USUP1", "USUP2")
    await ask(rig, "UREQ1", note=NOTE, area="personal")
    first = "USUP1" if rig.open_offers_to("USUP1") else "USUP2"
    second = "USUP2" if first == "USUP1" else "USUP1"
    await pass_offer(rig, first)
    held = await accept(rig, second)
    await rig.click(second, held, "request_hand_back")
    await rig.settle()
    await ask(rig, "UREQ2", note=NOTE, urgency="asap")
    rig.clock.advance(timedelta(seconds=901))
    await rig.app.sweep()
    await rig.settle()
    await rig.command("UREQ2", "cancel")
    await ask(rig, "UREQ3", note=NOTE)
    await rig.settle()


async def test_every_message_is_a_dm_with_neutral_fallback_text(rig: Rig) -> None:
    await busy_day(rig)
    posts = rig.slack.calls_of("chat.postMessage")
    updates = rig.slack.calls_of("chat.update")
    assert posts and updates
    for call in posts:
        assert call.params["text"] == NEUTRAL_TEXT
        assert call.channel is not None and call.channel[0] in "UW", "a message went to a channel"
    for call in updates:
        assert call.params["text"] == UPDATED_TEXT
        assert call.channel is not None and call.channel.startswith("D")


async def test_only_the_holder_and_the_requester_ever_see_the_note(rig: Rig) -> None:
    await busy_day(rig)
    seen_by = {
        c.channel or c.params.get("user") or c.params.get("user_id")
        for c in rig.slack.calls
        if NOTE in str(c.params)
    }
    # The note reached only supporters' DMs after they accepted (UREQ1's holder, then UREQ3's
    # if anyone accepted); never a coordinator, never a channel.
    assert all(str(who).startswith(("USUP", "DSUP")) for who in seen_by), seen_by
    for call in rig.slack.calls_for(COORDINATOR):
        assert NOTE not in str(call.params) and "UREQ" not in str(call.params)


async def test_logs_name_request_ids_never_people_or_notes(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    configure_logging("DEBUG")  # even at DEBUG, library loggers stay quiet about bodies
    caplog.set_level(logging.DEBUG)
    try:
        await busy_day(rig)
    finally:
        logging.getLogger().setLevel(logging.WARNING)
    messages = [record.getMessage() for record in caplog.records]
    assert any("request 1" in m for m in messages), "the flow logged nothing; the test would prove nothing"
    for message in messages:
        assert NOTE not in message
        assert not USER_ID.search(message), message
