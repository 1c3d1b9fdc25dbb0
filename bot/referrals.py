"""Hand over a resource: the holder of a request sends entries of the directory to the colleague.

For a named request they go to the colleague's DM with the app; for an anonymous one, into the
colleague's thread of the relayed conversation, posted as the app under the supporter's label,
so neither learns anything of the other from it. Only the current holder can share, and only a
few entries at a time. The database keeps only *when* the holder shared (on their offer), never
which entries: the close modal's referral defaults to it, and the referral is recorded with the
close as before.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from bot.errors import ConversationEnded, InvalidForm, NotHeldByYou
from bot.failures import failure, quietly
from bot.ports import Clock, ResourceSender
from bot.resources import CRISIS_LINES
from storage.db import Database, Tx
from storage.models import Area, MessageRef, Offer, OfferState, RequestState, Resource, ResourceTopic, Side

log = logging.getLogger(__name__)

# At most this many entries in one share: a handful the colleague can take in, not the directory.
SHARE_MAX = 5


@dataclass(frozen=True)
class Share:
    """What one share sends, and where (decided, and the holder checked, before the modal closes)."""

    request_id: int
    supporter_id: str
    entries: tuple[Resource, ...]
    requester_id: str | None = None  # a named request: their DM with the app
    thread: MessageRef | None = None  # an anonymous one: their thread of the conversation
    label: str = ""  # how the supporter is shown in that thread


class ShareService:
    """Lets the holder of a request hand entries of the resource directory to the colleague."""

    def __init__(self, *, db: Database, clock: Clock, sender: ResourceSender) -> None:
        self._db = db
        self._clock = clock
        self._sender = sender

    async def choices(
        self, *, request_id: int, user_id: str
    ) -> tuple[tuple[Resource, ...], ResourceTopic | None]:
        """What the holder may pick from (the crisis lines, then the office's entries), and the
        topic closest to what the request is about."""
        async with self._db.read() as tx:
            await _holders_offer(tx, request_id, user_id)
            request = await tx.requests.get(request_id)
            entries = (*CRISIS_LINES, *await tx.resources.entries())
        return entries, None if request is None else AREA_TOPICS.get(Area(request.area))

    async def shared(self, *, request_id: int, user_id: str) -> bool:
        """Whether the holder has shared resources on this request (the close modal's default)."""
        async with self._db.read() as tx:
            offer = await _holders_offer(tx, request_id, user_id)
            return await tx.requests.resources_shared(offer.id)

    async def share(
        self, *, request_id: int, user_id: str, resource_ids: Sequence[int], submission: str
    ) -> Share | None:
        """Check and record a share (the holder only; 1 to :data:`SHARE_MAX` entries that exist).

        ``submission`` names the modal submitted (Slack's view id): the same modal submitted
        again (a double click, a retry) records and sends nothing, and returns None.
        Raises :class:`NotHeldByYou`, :class:`ConversationEnded` or :class:`InvalidForm` (field
        ``resources``). Nothing is sent here: :meth:`deliver` does, after the modal is answered.
        """
        wanted = list(dict.fromkeys(resource_ids))
        if not wanted:
            raise InvalidForm({"resources": "Please choose at least one resource."})
        if len(wanted) > SHARE_MAX:
            raise InvalidForm({"resources": f"Please choose at most {SHARE_MAX} resources at a time."})
        async with self._db.transaction() as tx:
            offer = await _holders_offer(tx, request_id, user_id)
            share = await _build(tx, request_id, user_id, wanted)
            # Claimed last, in the same unit: a submission refused above may be corrected and sent again.
            if not await tx.relay.claim_submission(submission, now=self._clock.now()):
                log.info("request %s: a share submitted again, not sent twice", request_id)
                return None
            await tx.requests.mark_resources_shared(offer.id, self._clock.now())
        log.info("request %s: the holder shared %d resource(s)", request_id, len(share.entries))
        return share

    async def prepared(self, *, request_id: int, user_id: str, resource_ids: Sequence[int]) -> Share:
        """A share recorded by :meth:`share` (in the web process), built again to be sent here."""
        async with self._db.read() as tx:
            await _holders_offer(tx, request_id, user_id)
            return await _build(tx, request_id, user_id, list(dict.fromkeys(resource_ids)))

    async def deliver(self, share: Share) -> None:
        """Send the entries to the colleague, then tell the supporter it went (or did not)."""
        try:
            if share.thread is not None:
                await self._sender.share_in_thread(share.thread, share.entries, label=share.label)
            elif share.requester_id is not None:
                await self._sender.share_resources(share.requester_id, share.entries)
            delivered = True
        except Exception as exc:  # noqa: BLE001 - the supporter is told, and may try again
            log.warning("sharing resources on request %s failed: %s", share.request_id, failure(exc))
            delivered = False
        await quietly(
            self._sender.resources_shared(share.supporter_id, share.entries, delivered=delivered),
            "resources_shared",
            share.request_id,
        )


async def _holders_offer(tx: Tx, request_id: int, user_id: str) -> Offer:
    """The accepted offer by which ``user_id`` holds the request now, else :class:`NotHeldByYou`."""
    request = await tx.requests.get(request_id)
    if request is None or request.state != RequestState.ASSIGNED or request.assignee_id != user_id:
        raise NotHeldByYou()
    for offer in await tx.requests.offers_of(request_id, [OfferState.ACCEPTED]):
        if offer.supporter_id == user_id:
            return offer
    raise NotHeldByYou()


# The topic of the directory closest to what a request is about: its entries are listed first.
AREA_TOPICS: dict[Area, ResourceTopic] = {
    Area.TRAUMA: ResourceTopic.TRAUMA,
    Area.GRIEF: ResourceTopic.GRIEF,
    Area.PERSONAL: ResourceTopic.FAMILY,
}


async def _build(tx: Tx, request_id: int, user_id: str, wanted: list[int]) -> Share:
    """What a share sends, and where; raises when the request or an entry is no longer there."""
    crisis = {e.id: e for e in CRISIS_LINES}
    request = await tx.requests.get(request_id)
    if request is None:
        raise NotHeldByYou()
    entries: list[Resource] = []
    for resource_id in wanted:
        entry = crisis.get(resource_id) if resource_id < 0 else await tx.resources.get(resource_id)
        if entry is None:
            raise InvalidForm(
                {"resources": "One of these is no longer in the directory; please choose again."}
            )
        entries.append(entry)
    share = Share(request_id=request_id, supporter_id=user_id, entries=tuple(entries))
    if request.anonymous:
        conversation = await tx.relay.of_supporter(request_id, user_id)
        thread = None if conversation is None else conversation.root(Side.REQUESTER)
        if conversation is None or conversation.ended_at is not None or thread is None:
            raise ConversationEnded()
        share = Share(
            request_id=request_id,
            supporter_id=user_id,
            entries=tuple(entries),
            thread=thread,
            label=conversation.supporter_label,
        )
    elif request.requester_id is not None:
        share = Share(
            request_id=request_id,
            supporter_id=user_id,
            entries=tuple(entries),
            requester_id=request.requester_id,
        )
    else:
        raise NotHeldByYou()
    return share
