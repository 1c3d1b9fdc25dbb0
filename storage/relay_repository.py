"""Relayed conversations of anonymous requests: thread roots and message timestamps, never text."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from storage.models import (
    ConversationEnd,
    MessageRef,
    RelayConversation,
    RelayLink,
    RequestState,
    Side,
)
from storage.sql import Connection, InconsistentRecords
from storage.timefmt import from_db, to_db

# The columns holding each side's thread root.
_ROOT_COLUMNS = {
    Side.REQUESTER: ("requester_channel", "requester_root_ts"),
    Side.SUPPORTER: ("supporter_channel", "supporter_root_ts"),
}


class RelayRepository:
    """Reads and conditional writes of relayed conversations on one connection."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    # Conversations

    async def open(
        self, *, request_id: int, supporter_id: str, label: str, now: datetime
    ) -> tuple[RelayConversation, bool]:
        """The conversation of this request with this supporter, and whether this call created it.

        At most one conversation exists per request and supporter, so only the caller
        that created it goes on to post its threads.
        """
        cur = await self._conn.execute(
            "INSERT INTO relay_conversations (request_id, supporter_id, supporter_label, opened_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (request_id, supporter_id, label, to_db(now)),
        )
        conversation = await self.of_supporter(request_id, supporter_id)
        if conversation is None:
            raise InconsistentRecords("missing: conversation")
        return conversation, cur.rowcount == 1

    async def get(self, conversation_id: int) -> RelayConversation | None:
        """The conversation with this id, if any."""
        cur = await self._conn.execute("SELECT * FROM relay_conversations WHERE id = ?", (conversation_id,))
        row = await cur.fetchone()
        return None if row is None else _conversation(row)

    async def of_supporter(self, request_id: int, supporter_id: str) -> RelayConversation | None:
        """The conversation of a request with one supporter, if any."""
        cur = await self._conn.execute(
            "SELECT * FROM relay_conversations WHERE request_id = ? AND supporter_id = ?",
            (request_id, supporter_id),
        )
        row = await cur.fetchone()
        return None if row is None else _conversation(row)

    async def by_thread(self, channel_id: str, root_ts: str) -> tuple[RelayConversation, Side] | None:
        """The conversation whose thread (on either side) has this root, and which side it is."""
        for side, (channel_column, ts_column) in _ROOT_COLUMNS.items():
            cur = await self._conn.execute(
                f"SELECT * FROM relay_conversations WHERE {channel_column} = ? AND {ts_column} = ?",
                (channel_id, root_ts),
            )
            row = await cur.fetchone()
            if row is not None:
                return _conversation(row), side
        return None

    async def open_in_channel(self, channel_id: str) -> list[tuple[RelayConversation, Side]]:
        """Conversations not yet ended that have a thread in this DM channel."""
        cur = await self._conn.execute(
            "SELECT * FROM relay_conversations WHERE ended_at IS NULL"
            " AND (requester_channel = ? OR supporter_channel = ?) ORDER BY id",
            (channel_id, channel_id),
        )
        found = []
        for row in await cur.fetchall():
            conversation = _conversation(row)
            side = Side.REQUESTER if row["requester_channel"] == channel_id else Side.SUPPORTER
            found.append((conversation, side))
        return found

    async def set_root(self, conversation_id: int, side: Side, ref: MessageRef) -> None:
        """Remember where one side's thread root landed."""
        channel_column, ts_column = _ROOT_COLUMNS[side]
        await self._conn.execute(
            f"UPDATE relay_conversations SET {channel_column} = ?, {ts_column} = ? WHERE id = ?",
            (ref.channel_id, ref.ts, conversation_id),
        )

    async def set_label(self, conversation_id: int, label: str) -> bool:
        """Change how the supporter is shown, while the conversation is open."""
        cur = await self._conn.execute(
            "UPDATE relay_conversations SET supporter_label = ? WHERE id = ? AND ended_at IS NULL",
            (label, conversation_id),
        )
        return cur.rowcount == 1

    async def end(self, conversation_id: int, *, by: ConversationEnd, now: datetime) -> bool:
        """End a conversation; True for the one caller that ended it."""
        cur = await self._conn.execute(
            "UPDATE relay_conversations SET ended_at = ?, ended_by = ? WHERE id = ? AND ended_at IS NULL",
            (to_db(now), by, conversation_id),
        )
        return cur.rowcount == 1

    async def unopened(self, *, opened_before: datetime) -> list[int]:
        """Assigned anonymous requests whose conversation was never (fully) opened: a crash mid-way.

        Conversations opened after ``opened_before`` may still be opening in another process.
        """
        cur = await self._conn.execute(
            "SELECT r.id FROM peer_requests r LEFT JOIN relay_conversations c"
            " ON c.request_id = r.id AND c.supporter_id = r.assignee_id"
            " WHERE r.state = ? AND r.anonymous = 1 AND (c.id IS NULL OR (c.ended_at IS NULL"
            " AND (c.requester_root_ts IS NULL OR c.supporter_root_ts IS NULL) AND c.opened_at <= ?))"
            " ORDER BY r.id",
            (RequestState.ASSIGNED, to_db(opened_before)),
        )
        return [row["id"] for row in await cur.fetchall()]

    async def purge(self, request_id: int) -> int:
        """Forget a request's conversations and their message links (for retention)."""
        cur = await self._conn.execute("DELETE FROM relay_conversations WHERE request_id = ?", (request_id,))
        return cur.rowcount

    # Messages

    async def claim_message(self, conversation_id: int, side: Side, source_ts: str) -> bool:
        """Claim the relaying of one message; False if it was already claimed (a redelivery)."""
        cur = await self._conn.execute(
            "INSERT INTO relay_messages (conversation_id, side, source_ts) VALUES (?, ?, ?)"
            " ON CONFLICT DO NOTHING",
            (conversation_id, side, source_ts),
        )
        return cur.rowcount == 1

    async def set_copy(self, conversation_id: int, side: Side, source_ts: str, copy_ts: str) -> None:
        """Remember where the copy of a message landed."""
        await self._conn.execute(
            "UPDATE relay_messages SET copy_ts = ? WHERE conversation_id = ? AND side = ? AND source_ts = ?",
            (copy_ts, conversation_id, side, source_ts),
        )

    async def link(self, conversation_id: int, side: Side, source_ts: str) -> RelayLink | None:
        """The link from an original message to its copy, if it was relayed."""
        cur = await self._conn.execute(
            "SELECT * FROM relay_messages WHERE conversation_id = ? AND side = ? AND source_ts = ?",
            (conversation_id, side, source_ts),
        )
        row = await cur.fetchone()
        if row is None:
            return None
        return RelayLink(
            conversation_id=row["conversation_id"],
            side=row["side"],
            source_ts=row["source_ts"],
            copy_ts=row["copy_ts"],
        )

    async def copies_of(self, conversation_id: int, side: Side) -> list[tuple[str, str]]:
        """(source ts, copy ts) of the messages ``side`` wrote whose copy was posted."""
        cur = await self._conn.execute(
            "SELECT source_ts, copy_ts FROM relay_messages WHERE conversation_id = ? AND side = ?"
            " AND copy_ts IS NOT NULL ORDER BY source_ts",
            (conversation_id, side),
        )
        return [(row["source_ts"], row["copy_ts"]) for row in await cur.fetchall()]

    async def released_with_copies(self) -> list[int]:
        """Conversations whose supporter no longer holds the request but still has copies of what
        the requester wrote."""
        cur = await self._conn.execute(
            "SELECT DISTINCT c.id AS id FROM relay_conversations c"
            " JOIN relay_messages m ON m.conversation_id = c.id"
            " JOIN peer_requests r ON r.id = c.request_id"
            " WHERE m.side = ? AND m.copy_ts IS NOT NULL"
            " AND NOT (r.state = ? AND r.assignee_id = c.supporter_id) ORDER BY c.id",
            (Side.REQUESTER, RequestState.ASSIGNED),
        )
        return [row["id"] for row in await cur.fetchall()]

    async def forget_message(self, conversation_id: int, side: Side, source_ts: str) -> None:
        """Drop a link (its copy was deleted, or never got posted)."""
        await self._conn.execute(
            "DELETE FROM relay_messages WHERE conversation_id = ? AND side = ? AND source_ts = ?",
            (conversation_id, side, source_ts),
        )

    # Events API deliveries

    async def claim_event(self, event_id: str, *, now: datetime) -> bool:
        """Claim an Events API delivery; False if this event was already taken (a retry)."""
        cur = await self._conn.execute(
            "INSERT INTO processed_events (event_id, received_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
            (event_id, to_db(now)),
        )
        return cur.rowcount == 1

    async def claim_submission(self, view_id: str, *, now: datetime) -> bool:
        """Claim a submitted form (Slack's view id), once ever; False if it was submitted before
        (a double click, Slack's retry). Kept as long as event claims are."""
        return await self.claim_event(_submission(view_id), now=now)

    async def submission_claimed(self, view_id: str) -> bool:
        """Whether this form (Slack's view id) was already claimed."""
        cur = await self._conn.execute(
            "SELECT 1 FROM processed_events WHERE event_id = ?", (_submission(view_id),)
        )
        return await cur.fetchone() is not None

    async def forget_events(self, *, received_before: datetime) -> int:
        """Drop event claims older than Slack's redelivery could ever be."""
        cur = await self._conn.execute(
            "DELETE FROM processed_events WHERE received_at < ?", (to_db(received_before),)
        )
        return cur.rowcount


def _submission(view_id: str) -> str:
    # Beside Slack's event ids (Ev…) in one table of claims; the prefix keeps the two apart.
    return f"view:{view_id}"


def _root(channel_id: str | None, ts: str | None) -> MessageRef | None:
    return None if channel_id is None or ts is None else MessageRef(channel_id=channel_id, ts=ts)


def _conversation(row: Mapping[str, Any]) -> RelayConversation:
    return RelayConversation(
        id=row["id"],
        request_id=row["request_id"],
        supporter_id=row["supporter_id"],
        supporter_label=row["supporter_label"],
        requester_root=_root(row["requester_channel"], row["requester_root_ts"]),
        supporter_root=_root(row["supporter_channel"], row["supporter_root_ts"]),
        opened_at=from_db(row["opened_at"]),
        ended_at=from_db(row["ended_at"]),
        ended_by=row["ended_by"],
    )
