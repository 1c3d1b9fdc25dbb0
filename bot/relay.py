"""Anonymous requests: a conversation relayed between two threads, so neither side sees the other.

When a supporter accepts an anonymous request, the app opens a thread in each
person's DM with it. What one writes in their thread, the app posts as a copy
in the other's thread: the supporter is shown by a label (their first name by
default), the requester as "Anonymous colleague" until they share their name.
Edits and deletions follow their copies; files are not passed on.

Relayed text is never stored or logged. The database holds only where the two
threads are and which copy stands for which original (timestamps). Slack
redelivers an event it thinks was not acknowledged, and two app instances may
share a database, so each event is claimed in the database (its ``event_id``)
and each message again (its timestamp) before anything is posted.

Why this module runs past 400 lines: the relay is one protocol (open both threads, claim each event,
copy, follow edits and deletions, end, recover); its steps share the claims and the thread
references, and reading them in one place is how one checks that no text is ever stored.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum

from bot.background import Background
from bot.errors import ConversationEnded, InvalidForm, NotYourConversation
from bot.failures import failure, quietly
from bot.peer_requests import RequestService
from bot.ports import (
    Clock,
    ConversationNotifier,
    Directory,
    NoteKind,
    RelayedText,
    ThreadCard,
    ThreadNote,
)
from storage.db import Database, Tx
from storage.models import (
    ConversationEnd,
    MessageRef,
    PeerRequest,
    RelayConversation,
    RequestState,
    Side,
)

log = logging.getLogger(__name__)

# How a supporter is shown when the directory has no first name for them.
DEFAULT_LABEL = "Peer supporter"
LABEL_MAX = 40
# Slack retries an event for minutes at most; a day of claims is plenty.
EVENT_MEMORY = timedelta(days=1)
# A conversation younger than this may still be opening in another process.
OPENING_LEASE = timedelta(minutes=1)


class InboundKind(StrEnum):
    """What happened to a message in someone's DM with the app."""

    POSTED = "posted"
    EDITED = "edited"
    DELETED = "deleted"


@dataclass(frozen=True)
class Inbound:
    """A message event from a person's DM with the app, as much as the relay needs."""

    kind: InboundKind
    channel_id: str
    ts: str  # the message's own timestamp (for a deletion, the deleted message's)
    thread_ts: str | None
    user_id: str | None
    text: str = field(default="", repr=False)  # never in a repr, so never in a log line
    has_files: bool = False


class RelayService:
    """Opens, relays, reveals and ends the conversations of anonymous requests."""

    def __init__(
        self,
        *,
        db: Database,
        notifier: ConversationNotifier,
        directory: Directory,
        clock: Clock,
        requests: RequestService,
        background: Background,
    ) -> None:
        self._db = db
        self._notifier = notifier
        self._directory = directory
        self._clock = clock
        self._requests = requests
        self._background = background
        self._turns = _Turns()
        requests.attach_conversations(self)

    # What the request service tells us

    async def request_assigned(self, *, request_id: int) -> None:
        """An anonymous request was accepted: open a thread on each side."""
        await self._open(request_id, recovering=False)

    async def request_released(self, *, request_id: int, supporter_id: str, why: ConversationEnd) -> None:
        """The supporter no longer holds the request (closed, withdrawn, handed back): end the
        conversation, and take the colleague's words out of the supporter's DM."""
        async with self._db.transaction() as tx:
            conversation = await tx.relay.of_supporter(request_id, supporter_id)
            if conversation is None:
                return
            ended = await tx.relay.end(conversation.id, by=why, now=self._clock.now())
            conversation, request = await self._load(tx, conversation.id)
        if ended:
            log.info("conversation of request %s ended (%s)", request_id, why)
            await self._ended(conversation, request)
        await self._scrub(conversation)

    # Messages

    async def receive(self, *, event_id: str, message: Inbound) -> None:
        """Take one message event: claimed in the database now, relayed after the ack.

        A redelivery of the same event (Slack's retries, or another instance) does nothing.
        """
        async with self._db.transaction() as tx:
            fresh = await tx.relay.claim_event(event_id, now=self._clock.now())
        if not fresh:
            log.info("a redelivered message event was ignored")
            return
        self._background.spawn(self._take(message), name="relay")

    async def _take(self, message: Inbound) -> None:
        # One DM's events are handled one at a time, in the order they came, so copies
        # keep their order and an edit never overtakes the message it edits.
        async with self._turns.hold(message.channel_id):
            found, request = None, None
            if message.thread_ts is not None:
                async with self._db.read() as tx:
                    found = await tx.relay.by_thread(message.channel_id, message.thread_ts)
                    if found is not None:
                        request = await tx.requests.get(found[0].request_id)
            if found is None:
                await self._outside(message)
                return
            conversation, side = found
            if request is None or message.user_id != _person(side, conversation, request):
                return  # only the two people can write in these DMs; anything else is not theirs
            if message.kind == InboundKind.POSTED:
                await self._posted(conversation, request, side, message)
            elif message.kind == InboundKind.EDITED:
                await self._edited(conversation, request, side, message)
            else:
                await self._deleted(conversation, side, message)

    async def _posted(
        self, conversation: RelayConversation, request: PeerRequest, side: Side, message: Inbound
    ) -> None:
        if not _live(conversation, request):
            await self._note(conversation, side, NoteKind.HAS_ENDED)
            return
        if message.has_files:
            await self._note(conversation, side, NoteKind.FILES_NOT_RELAYED)
        target = conversation.root(side.other)
        if not message.text.strip():
            return
        if target is None:  # the other thread is not there yet (it is being opened)
            await self._note(conversation, side, NoteKind.NOT_DELIVERED)
            return
        async with self._db.transaction() as tx:
            claimed = await tx.relay.claim_message(conversation.id, side, message.ts)
        if not claimed:
            return
        try:
            copy = await self._notifier.relay(target, _copy(conversation, request, side, message.text))
        except Exception as exc:  # noqa: BLE001 - the sender is told; nothing half-done stays
            async with self._db.transaction() as tx:
                await tx.relay.forget_message(conversation.id, side, message.ts)
            log.warning("relaying a message of request %s failed: %s", request.id, failure(exc))
            await self._note(conversation, side, NoteKind.NOT_DELIVERED)
            return
        async with self._db.transaction() as tx:
            await tx.relay.set_copy(conversation.id, side, message.ts, copy.ts)
        log.debug("a message of request %s was relayed", request.id)

    async def _edited(
        self, conversation: RelayConversation, request: PeerRequest, side: Side, message: Inbound
    ) -> None:
        copy = await self._copy_of(conversation, side, message.ts)
        if copy is None:
            return  # never relayed (only a file, or written before the conversation)
        if not message.text.strip():
            await self._deleted(conversation, side, message)
            return
        if not _live(conversation, request):
            await self._note(conversation, side, NoteKind.HAS_ENDED)
            return
        text = _copy(conversation, request, side, message.text, edited=True)
        await quietly(self._notifier.update_relayed(copy, text), "update_relayed", request.id)

    async def _deleted(self, conversation: RelayConversation, side: Side, message: Inbound) -> None:
        # Followed even after the end: people may take back what they wrote.
        copy = await self._copy_of(conversation, side, message.ts)
        if copy is None:
            return
        await quietly(self._notifier.delete_relayed(copy), "delete_relayed", conversation.request_id)
        async with self._db.transaction() as tx:
            await tx.relay.forget_message(conversation.id, side, message.ts)

    async def _copy_of(
        self, conversation: RelayConversation, side: Side, source_ts: str
    ) -> MessageRef | None:
        async with self._db.read() as tx:
            link = await tx.relay.link(conversation.id, side, source_ts)
        target = conversation.root(side.other)
        if link is None or link.copy_ts is None or target is None:
            return None
        return MessageRef(channel_id=target.channel_id, ts=link.copy_ts)

    async def _outside(self, message: Inbound) -> None:
        """A DM to the app outside any conversation thread: point to the thread, or to ``/peer``."""
        if message.kind != InboundKind.POSTED:
            return
        async with self._db.read() as tx:
            here = await tx.relay.open_in_channel(message.channel_id)
        if here:
            conversation, side = here[-1]
            note = ThreadNote(NoteKind.OUTSIDE_THREAD, side, supporter_label=conversation.supporter_label)
        else:
            note = ThreadNote(NoteKind.HELP, Side.REQUESTER)
        await quietly(self._notifier.note(message.channel_id, message.thread_ts, note), "help", 0)

    # The buttons on the threads

    async def reveal(self, *, conversation_id: int, user_id: str) -> None:
        """The requester shares their name: the supporter is told who it is."""
        async with self._db.transaction() as tx:
            conversation, request = await self._load_as(tx, conversation_id, Side.REQUESTER, user_id)
            if not await tx.requests.reveal(request.id, now=self._clock.now()):
                return  # already shared (a double click)
            conversation, request = await self._load(tx, conversation_id)
        log.info("request %s: the requester shared their name", request.id)
        await self._requests.redraw_held(request_id=request.id)
        # The name is on the cards (redrawn when the supporter no longer holds the request), never
        # in a note that would stay in their DM.
        await self._note(conversation, Side.SUPPORTER, NoteKind.REVEALED)
        await self._note(conversation, Side.REQUESTER, NoteKind.YOU_REVEALED)
        await self._redraw(conversation, request)

    async def end(self, *, conversation_id: int, user_id: str) -> None:
        """Either side ends the conversation; both are told, and nothing more is relayed."""
        async with self._db.transaction() as tx:
            conversation, request = await self._load(tx, conversation_id)
            side = _side_of(user_id, conversation, request)
            if not await tx.relay.end(conversation.id, by=ConversationEnd(side.value), now=self._clock.now()):
                raise ConversationEnded()
            conversation, request = await self._load(tx, conversation_id)
        log.info("conversation of request %s ended by the %s", request.id, side)
        await self._ended(conversation, request)

    async def label(self, *, conversation_id: int, user_id: str) -> str:
        """How the supporter is shown now (for the supporter only, while the conversation is open)."""
        async with self._db.read() as tx:
            conversation, _ = await self._load_as(tx, conversation_id, Side.SUPPORTER, user_id)
        return conversation.supporter_label

    async def rename(self, *, conversation_id: int, user_id: str, label: str) -> None:
        """The supporter chooses the name the requester sees (stored now, announced after the ack)."""
        label = " ".join(label.split())
        if not 1 <= len(label) <= LABEL_MAX:
            raise InvalidForm({"label": f"Please use 1 to {LABEL_MAX} characters."})
        async with self._db.transaction() as tx:
            conversation, request = await self._load_as(tx, conversation_id, Side.SUPPORTER, user_id)
            if not await tx.relay.set_label(conversation.id, label):
                raise ConversationEnded()
            conversation, request = await self._load(tx, conversation_id)
        log.info("conversation of request %s: the supporter changed their label", request.id)
        self._background.spawn(self._renamed(conversation, request), name="relay_renamed")

    async def _renamed(self, conversation: RelayConversation, request: PeerRequest) -> None:
        await self._note(conversation, Side.REQUESTER, NoteKind.RENAMED)
        await self._redraw(conversation, request)

    # Start-up and the periodic sweep

    async def recover(self) -> None:
        """At start: open the threads of conversations a stop interrupted."""
        cutoff = self._clock.now() - OPENING_LEASE
        async with self._db.read() as tx:
            pending = await tx.relay.unopened(opened_before=cutoff)
        if pending:
            log.info("opening %d conversation(s) interrupted by a restart", len(pending))
        for request_id in pending:
            await self._open(request_id, recovering=True)

    async def sweep(self) -> None:
        """Forget event claims older than any redelivery; finish taking the colleague's words out
        of the DMs of supporters who no longer hold their request (Slack failed, or a copy landed
        just as the request was released)."""
        async with self._db.transaction() as tx:
            await tx.relay.forget_events(received_before=self._clock.now() - EVENT_MEMORY)
            unscrubbed = await tx.relay.released_with_copies()
        for conversation_id in unscrubbed:
            async with self._db.read() as tx:
                conversation = await tx.relay.get(conversation_id)
            if conversation is not None:
                await self._scrub(conversation)

    # Internals

    async def _open(self, request_id: int, *, recovering: bool) -> None:
        async with self._db.read() as tx:
            request = await tx.requests.get(request_id)
            supporter_id = None if request is None else request.assignee_id
            existing = None if supporter_id is None else await tx.relay.of_supporter(request_id, supporter_id)
        if request is None or supporter_id is None or not request.anonymous:
            return
        if request.state != RequestState.ASSIGNED:
            return
        label = existing.supporter_label if existing else await self._first_name(supporter_id)
        async with self._db.transaction() as tx:
            conversation, created = await tx.relay.open(
                request_id=request_id, supporter_id=supporter_id, label=label, now=self._clock.now()
            )
        # Only the caller that created it posts the threads; a recovery only finishes
        # conversations old enough that nobody else is still opening them.
        stale = conversation.opened_at <= self._clock.now() - OPENING_LEASE
        if not created and not (recovering and stale):
            return
        log.info("conversation of request %s opened", request_id)
        people = {Side.SUPPORTER: supporter_id, Side.REQUESTER: request.requester_id}
        for side, user_id in people.items():
            if conversation.root(side) is not None or user_id is None:
                continue
            try:
                ref = await self._notifier.open_thread(user_id, _card(conversation, request, side))
            except Exception as exc:  # noqa: BLE001 - the other side's thread still opens
                log.warning("opening a thread of request %s failed: %s", request_id, failure(exc))
                continue
            async with self._db.transaction() as tx:
                await tx.relay.set_root(conversation.id, side, ref)

    async def _first_name(self, supporter_id: str) -> str:
        try:
            name = await self._directory.first_name(supporter_id)
        except Exception as exc:  # noqa: BLE001 - a label is a courtesy; the default will do
            log.warning("looking up a supporter's first name failed: %s", failure(exc))
            name = None
        return " ".join((name or "").split())[:LABEL_MAX] or DEFAULT_LABEL

    async def _ended(self, conversation: RelayConversation, request: PeerRequest) -> None:
        by = conversation.ended_by
        if by in (ConversationEnd.REQUESTER, ConversationEnd.SUPPORTER):
            ender = Side(by.value)
            await self._note(conversation, ender, NoteKind.YOU_ENDED)
            await self._note(conversation, ender.other, NoteKind.OTHER_ENDED)
        elif by == ConversationEnd.HANDED_BACK:
            # The requester would otherwise never learn why nobody answers any more.
            await self._note(conversation, Side.REQUESTER, NoteKind.HANDED_ON)
        await self._redraw(conversation, request)

    async def _scrub(self, conversation: RelayConversation) -> None:
        """Delete the copies of the colleague's messages from the supporter's thread (only the
        supporter who holds a request keeps what was shared); what fails is left to the sweep."""
        root = conversation.root(Side.SUPPORTER)
        async with self._db.read() as tx:
            copies = await tx.relay.copies_of(conversation.id, Side.REQUESTER)
        if root is None or not copies:
            return
        for source_ts, copy_ts in copies:
            try:
                await self._notifier.delete_relayed(MessageRef(channel_id=root.channel_id, ts=copy_ts))
            except Exception as exc:  # noqa: BLE001 - Slack down: the next sweep tries again
                log.warning(
                    "removing copies of request %s from a supporter's DM failed: %s",
                    conversation.request_id,
                    failure(exc),
                )
                return
            async with self._db.transaction() as tx:
                await tx.relay.forget_message(conversation.id, Side.REQUESTER, source_ts)
        log.info("copies of request %s removed from the former supporter's DM", conversation.request_id)

    async def _redraw(self, conversation: RelayConversation, request: PeerRequest) -> None:
        for side in Side:
            root = conversation.root(side)
            if root is not None:
                card = _card(conversation, request, side)
                await quietly(self._notifier.update_thread(root, card), "update_thread", request.id)

    async def _note(self, conversation: RelayConversation, side: Side, kind: NoteKind) -> None:
        root = conversation.root(side)
        if root is None:
            return
        note = ThreadNote(kind, side, supporter_label=conversation.supporter_label)
        await quietly(self._notifier.note(root.channel_id, root.ts, note), "note", conversation.request_id)

    @classmethod
    async def _load_as(
        cls, tx: Tx, conversation_id: int, side: Side, user_id: str
    ) -> tuple[RelayConversation, PeerRequest]:
        """The conversation, if ``user_id`` is its ``side`` and it is still going; else a typed refusal."""
        conversation, request = await cls._load(tx, conversation_id)
        if user_id != _person(side, conversation, request):
            raise NotYourConversation()
        if not _live(conversation, request):
            raise ConversationEnded()
        return conversation, request

    @staticmethod
    async def _load(tx: Tx, conversation_id: int) -> tuple[RelayConversation, PeerRequest]:
        conversation = await tx.relay.get(conversation_id)
        request = None if conversation is None else await tx.requests.get(conversation.request_id)
        if conversation is None or request is None:
            raise NotYourConversation()
        return conversation, request


_END_OF_STATE = {
    RequestState.CLOSED: ConversationEnd.CLOSED,
    RequestState.CANCELLED: ConversationEnd.CANCELLED,
}


def _held(conversation: RelayConversation, request: PeerRequest) -> bool:
    """Whether the conversation's supporter still holds the request."""
    return request.state == RequestState.ASSIGNED and request.assignee_id == conversation.supporter_id


def _live(conversation: RelayConversation, request: PeerRequest) -> bool:
    """Whether messages are relayed: not ended, and the request still held by this supporter."""
    return conversation.ended_at is None and _held(conversation, request)


def _person(side: Side, conversation: RelayConversation, request: PeerRequest) -> str | None:
    return request.requester_id if side == Side.REQUESTER else conversation.supporter_id


def _side_of(user_id: str, conversation: RelayConversation, request: PeerRequest) -> Side:
    for side in Side:
        if user_id == _person(side, conversation, request):
            return side
    raise NotYourConversation()


def _copy(
    conversation: RelayConversation, request: PeerRequest, sender: Side, text: str, *, edited: bool = False
) -> RelayedText:
    return RelayedText(
        sender=sender,
        supporter_label=conversation.supporter_label,
        text=text,
        requester_id=request.requester_id if request.named else None,
        edited=edited,
    )


def _card(conversation: RelayConversation, request: PeerRequest, side: Side) -> ThreadCard:
    ended_by = conversation.ended_by
    if ended_by is None and not _live(conversation, request):
        # Released while the hook failed: still say that it ended, and why as best we know.
        ended_by = _END_OF_STATE.get(request.state, ConversationEnd.HANDED_BACK)
    return ThreadCard(
        conversation_id=conversation.id,
        request_id=request.id,
        side=side,
        supporter_label=conversation.supporter_label,
        ended_by=ended_by,
        # Only to the supporter who holds the request, as long as they hold it.
        requester_id=(
            request.requester_id
            if side == Side.SUPPORTER and request.named and _held(conversation, request)
            else None
        ),
        revealed=request.revealed_at is not None,
    )


class _Turns:
    """One lock per key (a DM channel), forgotten when nobody holds or awaits it."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._waiting: dict[str, int] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        """Hold ``key``'s turn; callers get their turns in the order they asked."""
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._waiting[key] -= 1
            if not self._waiting[key]:
                del self._waiting[key], self._locks[key]
