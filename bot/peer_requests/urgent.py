"""The clock on urgent requests: no "as soon as possible" request waits unseen by a person.

When an urgent request is made, one :attr:`~storage.models.ScheduledKind.URGENT_ALERT` is recorded
for each coordinator in the same unit of work, due ``RequestPolicy.urgent_alert_after`` later. The
delivery engine claims each when it falls due (a conditional update, so restarts and several
instances send it once); its sender (:meth:`bot.peer_requests.notices.Notices.send_notice`) sends it
only if nobody has accepted the request by then, and skips it, with the reason, otherwise. Routing
goes on meanwhile. The alert names the area and urgency and how long it has waited, never who asked;
it is redrawn once the request no longer waits (accepted, taken on, withdrawn).

From the alert a coordinator can offer the request to a named supporter (the escalation's hand-to)
or take it on themselves, as the person on call (:meth:`UrgentCover.take_on`): they then hold it like
a supporter who accepted, and only then see who asked.
"""

from __future__ import annotations

import logging
from datetime import datetime

from bot.errors import CannotTakeOn, InconsistentRecords, RequestNotWaiting
from bot.failures import quietly
from bot.peer_requests.holds import start_follow_through
from bot.peer_requests.notices import record_notice
from bot.peer_requests.offers import OfferDms
from bot.peer_requests.outbox import Outbox, Outgoing
from bot.peer_requests.shared import RequestPolicy
from bot.ports import Clock, Notifier
from bot.roles import Roles
from bot.service_hours import ServiceHours
from storage.db import Database, Tx
from storage.models import (
    ROUTABLE_STATES,
    Offer,
    OfferState,
    PeerRequest,
    RequestState,
    ScheduledKind,
    Urgency,
)

log = logging.getLogger(__name__)


async def start_urgent_clock(tx: Tx, request: PeerRequest, coordinators: list[str], due_at: datetime) -> None:
    """Record each coordinator's alert about an urgent request, due at ``due_at`` (with the request)."""
    if request.urgency != Urgency.ASAP:
        return
    if not coordinators:
        log.error("urgent request %s has no coordinators to alert", request.id)
    for coordinator_id in coordinators:
        await record_notice(
            tx,
            ScheduledKind.URGENT_ALERT,
            coordinator_id,
            request.id,
            due_at,
            key=f"urgent_alert:{request.id}:{coordinator_id}",
        )


async def alert_at_once(
    tx: Tx, request: PeerRequest, coordinators: list[str], now: datetime, opens_at: datetime
) -> list[str]:
    """Outside service hours with nobody to offer an urgent request to: the coordinators' alerts
    are due now (the clock's own, brought forward, or, if those were already seen and resolved,
    new ones for this closed period), and the requester is told (once for this closed period).

    Returns the keys of what is due, for the caller to send after its commit.
    """
    period = opens_at.isoformat()
    keys = [f"urgent_alert:{request.id}:{c}" for c in coordinators]
    await tx.schedule.bring_forward(keys, now)
    if not await tx.schedule.due_with_keys(keys) and not await tx.requests.has_alerts(request.id):
        # Accepted in time, then handed back tonight, say: nobody holds a live alert about it.
        keys = [f"urgent_alert:{request.id}:{c}:{period}" for c in coordinators]
        for coordinator_id, key in zip(coordinators, keys, strict=True):
            await record_notice(tx, ScheduledKind.URGENT_ALERT, coordinator_id, request.id, now, key=key)
    if request.requester_id is not None:
        key = f"nobody_on_call:{request.id}:{period}"
        await record_notice(
            tx, ScheduledKind.REQUEST_NOBODY_ON_CALL, request.requester_id, request.id, now, key=key
        )
        keys.append(key)
    return keys


class UrgentCover:
    """A coordinator takes an urgent request on themselves, as the person on call."""

    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        roles: Roles,
        notifier: Notifier,
        offers: OfferDms,
        outgoing: Outgoing,
        policy: RequestPolicy,
        hours: ServiceHours,
    ) -> None:
        self._db = db
        self._clock = clock
        self._roles = roles
        self._notifier = notifier
        self._offers = offers
        self._outgoing = outgoing
        self._policy = policy
        self._hours = hours

    async def take_on(self, *, request_id: int, coordinator_id: str) -> PeerRequest:
        """Assign a waiting request to the coordinator who clicked "I'll take it"; first one wins.

        Recorded as an offer accepted at once, so the coordinator holds it like any supporter
        (the held card with Close and Hand back, the Home tab, the statistics).
        """
        await self._roles.require_coordinator_role(coordinator_id)
        now = self._clock.now()
        outbox = Outbox()
        async with self._db.transaction() as tx:
            request = await tx.requests.get(request_id)
            if request is None or request.state not in ROUTABLE_STATES:
                raise RequestNotWaiting()
            # One answer for every reason, so a coordinator cannot probe who asked.
            if coordinator_id == request.requester_id or coordinator_id in request.excluded_ids:
                raise CannotTakeOn()
            offer = await self._own_offer(tx, request, coordinator_id, now)
            if request.state != RequestState.OFFERED:
                await tx.requests.transition(request.id, RequestState.OFFERED, now=now)
            if not await tx.requests.transition(
                request.id,
                RequestState.ASSIGNED,
                now=now,
                only_from=[RequestState.OFFERED],
                fields={"assignee_id": coordinator_id, "assigned_at": now},
            ):
                raise RequestNotWaiting()
            for other in await tx.requests.offers_of(request.id, [OfferState.OPEN]):
                if other.id != offer.id:
                    await tx.requests.set_offer_state(other.id, OfferState.TAKEN, now=now)
                    outbox.redraw.append(other)
            await tx.requests.set_offer_state(offer.id, OfferState.ACCEPTED, now=now, only_from=[offer.state])
            await start_follow_through(tx, request, offer, now, policy=self._policy, hours=self._hours)
            if request.requester_id is not None and not request.anonymous:
                await record_notice(
                    tx,
                    ScheduledKind.REQUEST_ASSIGNED,
                    request.requester_id,
                    request.id,
                    now,
                    key=f"request_assigned:{request.id}:{offer.id}",
                )
            await tx.tracking.audit(
                actor_id=coordinator_id,
                action="urgent request taken on",
                detail=f"an urgent request taken on by <@{coordinator_id}>",
                now=now,
            )
            taken = await tx.requests.get(request.id)
        if taken is None:
            raise InconsistentRecords(f"request {request_id} vanished while it was taken on")
        log.info("request %s taken on by a coordinator", request.id, extra={"request_id": request.id})
        outbox.notices_of = request.id
        outbox.homes.update({request.requester_id, coordinator_id})
        outbox.coordinators = True
        outbox.resolved = (taken, "taken_on")
        await self._outgoing.send(outbox)
        await self._send_held(offer)
        if request.anonymous:
            await self._outgoing.assigned(request.id)
        return taken

    @staticmethod
    async def _own_offer(tx: Tx, request: PeerRequest, coordinator_id: str, now: datetime) -> Offer:
        """The coordinator's offer of this request: one they already had (as a supporter), or a new one."""
        for offer in await tx.requests.offers_of(request.id):
            if offer.supporter_id == coordinator_id:
                if offer.state in (OfferState.ACCEPTED, OfferState.CLOSED):
                    raise RequestNotWaiting()
                return offer
        return await tx.requests.add_offer(
            request_id=request.id, supporter_id=coordinator_id, now=now, expires_at=now
        )

    async def _send_held(self, offer: Offer) -> None:
        """DM the coordinator the held request (who asked, the note, Close), or redraw their offer DM."""
        if offer.message_ts is not None:
            await self._offers.redraw(offer.id)
            return
        card = await self._offers.card(offer.id)
        if card is None:
            return

        async def send() -> None:
            ref = await self._notifier.send_offer(offer.supporter_id, card)
            async with self._db.transaction() as tx:
                await tx.requests.set_offer_message(offer.id, ref.channel_id, ref.ts)

        # Lost to Slack, the request is still on the coordinator's Home, with Close.
        await quietly(send(), "send_held", offer.request_id)
