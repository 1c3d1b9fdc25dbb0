"""Confidentiality by design: neutral lock-screen text, DMs only, nothing identifying in logs."""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import pytest

from bot.app import configure_logging
from handlers.common.blocks import NEUTRAL_TEXT, UPDATED_TEXT
from slack_standin.driver import posted_event
from tests.conftest import sqlite_only
from tests.flows import (
    ANONYMOUS_NOTE,
    COORDINATOR,
    REQUESTER,
    SUPPORTER,
    accept,
    add_supporters,
    anonymous_conversation,
    ask,
    copies,
    pass_offer,
    say,
    thread,
)
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


async def logged(
    rig: Rig, caplog: pytest.LogCaptureFixture, flow: Callable[[Rig], Awaitable[None]]
) -> list[str]:
    """Run ``flow`` logging at DEBUG, as the app configures it; returns the log messages."""
    configure_logging("DEBUG")  # even at DEBUG, library loggers stay quiet about bodies
    caplog.set_level(logging.DEBUG)
    try:
        await flow(rig)
    finally:
        logging.getLogger().setLevel(logging.WARNING)
    return [record.getMessage() for record in caplog.records]


async def test_logs_name_request_ids_never_people_or_notes(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    messages = await logged(rig, caplog, busy_day)
    assert any("request 1" in m for m in messages), "the flow logged nothing; the test would prove nothing"
    for message in messages:
        assert NOTE not in message
        assert not USER_ID.search(message), message


# What the two sides of an anonymous conversation write: relayed, never stored or logged.
RELAYED = (
    "I keep seeing the photos from case 22-1187",
    "My brother works nights at the jail",
    "Edited: it was the Okafor autopsy",
    "Have you slept at all this week?",
    "Written after the end, never relayed",
    "Written next to the thread, never relayed",
)


async def relayed_conversation(rig: Rig) -> None:
    """An anonymous conversation exercising every relay path: both ways, edit, delete, file,
    a retried event, the app's own echo, a message outside the thread, a reveal, the end."""
    requester_root, supporter_root = await anonymous_conversation(rig)
    first, second = await say(rig, REQUESTER, requester_root, RELAYED[0], RELAYED[1])
    await rig.edit(first, RELAYED[2])
    await rig.delete(second)
    [answer] = await say(rig, SUPPORTER, supporter_root, RELAYED[3])
    await rig.event(posted_event(answer), event_id="EvSAME")
    await rig.event(posted_event(answer), event_id="EvSAME", retry=1)
    echo = dataclasses.replace(thread(rig, supporter_root)[0], user=rig.slack.bot_user_id)
    await rig.event(posted_event(echo, bot_id="B111"))
    with_file = rig.slack.user_writes(REQUESTER, RELAYED[0], thread_ts=requester_root.ts)
    await rig.event(posted_event(with_file, files=True))
    await rig.write(REQUESTER, RELAYED[5])
    await rig.click(REQUESTER, requester_root, "relay_reveal")
    await rig.settle()
    await rig.click(SUPPORTER, supporter_root, "relay_end")
    await rig.settle()
    await say(rig, REQUESTER, requester_root, RELAYED[4])
    # The conversation really did carry the text, or the checks below would prove nothing.
    relayed = " ".join(copies(rig, supporter_root) + copies(rig, requester_root))
    assert RELAYED[2] in relayed and RELAYED[3] in relayed and RELAYED[4] not in relayed


async def test_logs_never_hold_relayed_text_or_user_ids(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    messages = await logged(rig, caplog, relayed_conversation)
    assert any("conversation of request 1 opened" in m for m in messages), "the relay logged nothing"
    assert any("redelivered" in m for m in messages), "the retry was not seen"
    for text in (*RELAYED, ANONYMOUS_NOTE):
        assert text not in caplog.text
    for message in messages:
        assert not USER_ID.search(message), message


@sqlite_only
async def test_the_database_never_holds_relayed_text(rig: Rig, db_path: Path) -> None:
    await relayed_conversation(rig)

    def stored() -> bytes:
        files = [db_path, *(db_path.with_name(db_path.name + suffix) for suffix in ("-wal", "-shm"))]
        return b"".join(f.read_bytes() for f in files if f.exists())

    while_running = stored()
    # The scan does see stored text: the requester's note is stored, by design.
    assert ANONYMOUS_NOTE.encode() in while_running
    await rig.app.stop()  # checkpoints the WAL into the database file
    for snapshot in (while_running, stored()):
        for text in RELAYED:
            assert text.encode() not in snapshot


async def test_a_failure_is_logged_with_where_it_happened_and_never_its_message(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from bot.failures import failure, quietly

    async def fails() -> None:
        raise ValueError("UREQUESTER wrote: my ex-husband is the defendant")

    with caplog.at_level(logging.WARNING):
        await quietly(fails(), "notice", 42)
    [record] = [r for r in caplog.records if r.name == "bot.failures"]
    line = record.getMessage()
    assert "notice for request 42 failed: ValueError at test_confidentiality.py:" in line
    assert "UREQUESTER" not in line and "defendant" not in line
    try:
        raise KeyError("UALICE")
    except KeyError as exc:
        logged = failure(exc)
    assert logged.startswith("KeyError at test_confidentiality.py:") and "UALICE" not in logged
