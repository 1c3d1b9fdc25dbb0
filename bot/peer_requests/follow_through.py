"""Follow-through on held requests: "I've reached out", the release of a request nobody reached
out about, and the requester asking for someone else.

The holder marks "I've reached out" on their held card (:meth:`FollowThrough.reached_out`). If
they have not by the offer's ``release_at`` (see ``holds``: they were reminded once before), the
periodic sweep gives the request to the next supporter (:meth:`FollowThrough.release_lapsed`): a
conditional update of the request, so one sweep of one instance wins; the holder is told, each
coordinator is told a held request was released (its area and urgency, never who asked or who held
it), and the request is routed again. The requester's identity goes to the next supporter only
when they accept, as always.

The requester can say "I haven't heard from anyone" or "I'd like someone else" at any time while
a supporter holds their request (:meth:`FollowThrough.someone_else`): the holder is excluded from
the request for good, told neutrally that it moved on, and the request is routed again.
"""

from __future__ import annotations

import logging
from datetime import datetime

from bot.errors import InconsistentRecords, NoOpenRequest, NotHeldByYou, NotWithASupporter
from bot.peer_requests.notices import record_notice
from bot.peer_requests.offers import OfferDms
from bot.peer_requests.outbox import Outbox, Outgoing
from bot.peer_requests.routing import Routing
from bot.ports import Clock
from bot.roles import Roles
from storage.db import Database, Tx
from storage.models import ConversationEnd, Offer, OfferState, PeerRequest, RequestState, ScheduledKind

log = logging.getLogger(__name__)


class FollowThrough:
    """Marks held requests as reached out, releases lapsed ones, and re-routes at the requester's wish."""

    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        roles: Roles,
        routing: Routing,
        offers: OfferDms,
        outgoing: Outgoing,
    ) -> None:
        self._db = db
        self._clock = clock
        self._roles = roles
        self._routing = routing
        self._offers = offers
        self._outgoing = outgoing

    async def reached_out(self, *, request_id: int, user_id: str) -> None:
        """The holder says they reached out: no reminder, no release. A second click changes nothing."""
        now = self._clock.now()
        async with self._db.transaction() as tx:
            request = await tx.requests.get(request_id)
            if request is None or request.state != RequestState.ASSIGNED or request.assignee_id != user_id:
                raise NotHeldByYou()
            offer = await _held_offer(tx, request_id, user_id)
            if offer is None:
                raise NotHeldByYou()
            marked = await tx.requests.mark_reached_out(offer.id, now)
        if marked:
            log.info("request %s: the holder reached out", request_id)
        await self._offers.redraw(offer.id)

    async def release_lapsed(self) -> int:
        """Give every request whose holder never said they reached out to the next supporter."""
        now = self._clock.now()
        async with self._db.read() as tx:
            lapsed = await tx.requests.lapsed_holds(now)
        released = 0
        for offer in lapsed:
            keys: list[str] = []
            async with self._db.transaction() as tx:
                request = await _let_go(tx, offer, now)
                if request is None:
                    continue  # reached out, closed, handed back or released meanwhile
                key = f"reach_out_lapsed:{offer.id}"
                await record_notice(
                    tx, ScheduledKind.REACH_OUT_LAPSED, offer.supporter_id, request.id, now, key=key
                )
                keys.append(key)
                for coordinator_id in await self._roles.coordinators_in(tx):
                    key = f"hold_released:{offer.id}:{coordinator_id}"
                    await record_notice(
                        tx, ScheduledKind.HOLD_RELEASED, coordinator_id, request.id, now, key=key
                    )
                    keys.append(key)
            released += 1
            log.info("request %s released: its holder did not mark that they reached out", request.id)
            await self._moved_on(request, offer, keys)
        return released

    async def someone_else(self, *, requester_id: str, request_id: int | None) -> int:
        """The requester would like another supporter (or has heard from nobody); returns the request id.

        ``request_id``: the request the button was on (None: their open request).
        """
        now = self._clock.now()
        async with self._db.transaction() as tx:
            request = await tx.requests.open_for_requester(requester_id)
            if request is None or (request_id is not None and request.id != request_id):
                raise NoOpenRequest()
            if request.state != RequestState.ASSIGNED or request.assignee_id is None:
                raise NotWithASupporter()
            offer = await _held_offer(tx, request.id, request.assignee_id)
            if offer is None or await _let_go(tx, offer, now) is None:
                raise NotWithASupporter()
            # The first supporter is never offered it again, even by a coordinator or as on call.
            await tx.requests.exclude(request.id, offer.supporter_id)
            key = f"moved_on:{offer.id}"
            await record_notice(
                tx, ScheduledKind.REQUEST_MOVED_ON, offer.supporter_id, request.id, now, key=key
            )
        log.info("request %s moved on at the requester's wish", request.id)
        await self._moved_on(request, offer, [key])
        return request.id

    async def _moved_on(self, request: PeerRequest, offer: Offer, keys: list[str]) -> None:
        """After the commit: redraw the held card, tell whom the keys say, end any conversation, route."""
        await self._outgoing.send(
            Outbox(
                redraw=[offer],
                homes={offer.supporter_id, request.requester_id},
                coordinators=True,
                notice_keys=keys,
            )
        )
        await self._outgoing.released(request.id, offer.supporter_id, ConversationEnd.HANDED_BACK)
        await self._routing.route(request_id=request.id)


async def _held_offer(tx: Tx, request_id: int, supporter_id: str) -> Offer | None:
    for offer in await tx.requests.offers_of(request_id, [OfferState.ACCEPTED]):
        if offer.supporter_id == supporter_id:
            return offer
    return None


async def _let_go(tx: Tx, offer: Offer, now: datetime) -> PeerRequest | None:
    """The request goes back to pending without its holder; None if they no longer hold it."""
    moved = await tx.requests.transition(
        offer.request_id,
        RequestState.PENDING,
        now=now,
        only_from=[RequestState.ASSIGNED],
        assignee_id=offer.supporter_id,
        # A name shared with this supporter is not shared with the next one.
        fields={"assignee_id": None, "assigned_at": None, "revealed_at": None},
    )
    if not moved:
        return None
    if not await tx.requests.set_offer_state(
        offer.id, OfferState.RELEASED, now=now, only_from=[OfferState.ACCEPTED]
    ):
        raise InconsistentRecords(f"request {offer.request_id} was assigned without its accepted offer")
    return await tx.requests.get(offer.request_id)
