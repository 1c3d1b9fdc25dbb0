"""Reading ``message.im`` events: what the relay takes, and what it must ignore."""

from __future__ import annotations

from typing import Any

from bot.relay import InboundKind
from handlers.common.parsing import direct_message
from slack_standin.driver import deleted_event, edited_event, posted_event
from slack_standin.server import Message

MINE = Message(
    channel="DREQ1", ts="100.000002", text="hello", blocks=[], thread_ts="100.000001", user="UREQ1"
)


def test_a_message_in_a_thread() -> None:
    message = direct_message(posted_event(MINE))
    assert message is not None and message.kind == InboundKind.POSTED
    assert (message.channel_id, message.ts, message.thread_ts, message.user_id) == (
        "DREQ1",
        "100.000002",
        "100.000001",
        "UREQ1",
    )
    assert message.text == "hello" and not message.has_files and "hello" not in repr(message)


def test_a_file_share_is_flagged() -> None:
    message = direct_message(posted_event(MINE, files=True))
    assert message is not None and message.has_files and message.text == "hello"


def test_an_edit_and_a_deletion_name_the_original_message() -> None:
    edited = direct_message(edited_event(MINE, "helo", edited_ts="100.000009"))
    deleted = direct_message(deleted_event(MINE, deleted_at="100.000010"))
    assert edited is not None and edited.kind == InboundKind.EDITED and edited.ts == MINE.ts
    assert edited.text == "hello" and edited.thread_ts == MINE.thread_ts
    assert deleted is not None and deleted.kind == InboundKind.DELETED and deleted.ts == MINE.ts
    assert deleted.text == "" and deleted.user_id == "UREQ1"


def test_bots_previews_other_channels_and_system_subtypes_are_ignored() -> None:
    ignored: list[dict[str, Any]] = [
        posted_event(MINE, bot_id="B111"),
        {**posted_event(MINE), "channel_type": "channel"},
        {**posted_event(MINE), "subtype": "channel_join"},
        # A link preview arriving changes the message without an edit.
        {**edited_event(MINE, "hello", edited_ts="1.1"), "message": {"type": "message", "ts": MINE.ts}},
        {**edited_event(MINE, "x", edited_ts="1.1"), "message": {"bot_id": "B111", "ts": "1", "edited": {}}},
        {**deleted_event(MINE, deleted_at="1.2"), "previous_message": {"bot_id": "B111", "ts": "1"}},
        {"type": "message", "channel_type": "im", "channel": "DREQ1"},  # no ts
    ]
    assert [direct_message(event) for event in ignored] == [None] * len(ignored)
