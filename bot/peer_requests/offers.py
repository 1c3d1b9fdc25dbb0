"""Offer DMs: sending them at least once, redrawing them, and supporters Slack will not DM.

An offer is recorded before its DM is sent. :meth:`OfferDms.deliver` claims the offer for sending
(a conditional update, so two instances never send it at once), sends it, and records where it
landed; one Slack did not take is sent again by every sweep until it lands or its deadline passes.
At least once: a DM that landed just before a crash, or whose answer timed out, is looked for in
the supporter's DM before it is sent again; if Slack cannot say, it is sent again. Every copy the
app knows of is recorded (``offer_copies``) and redrawn; a click is taken only from such a copy.

This module never routes. :meth:`OfferDms.deliver` returns a :class:`Delivery` and its caller
(``routing``) moves the request on when the supporter cannot be reached.
"""

from __future__ import annotations

import logging
from enum import StrEnum

from bot.errors import DeliveryFailed
from bot.failures import failure
from bot.matching import asked_for, match_of
from bot.pacing import Pacer
from bot.peer_requests.notices import Notices, record_notice
from bot.peer_requests.shared import REDRAW_AT_START, REDRAWS_AT_MOST, SEND_LEASE
from bot.ports import Clock, HomeRefresh, Notifier, OfferCard
from bot.roles import Roles
from storage.db import Database
from storage.models import Area, ContactMode, MessageRef, Offer, OfferState, ScheduledKind, TraitKind, Urgency

log = logging.getLogger(__name__)


class Delivery(StrEnum):
    """What one attempt to send an offer's DM came to, for the caller to act on."""

    SENT = "sent"
    # Nothing to send: answered or withdrawn, on its way from this process, or claimed by another.
    SKIPPED = "skipped"
    # Slack failed for now (down, rate-limited, slow): the sweep sends it again.
    RETRY = "retry"
    # Slack will not DM this supporter, as was already known: the offer is given up; route the request on.
    UNDELIVERABLE = "undeliverable"
    # Slack will not DM this supporter, found just now: they are away and flagged; withdraw their
    # other offers, then route the request on.
    UNREACHABLE = "unreachable"


class OfferDms:
    """Sends, resends and redraws offer DMs."""

    def __init__(
        self,
        *,
        db: Database,
        notifier: Notifier,
        clock: Clock,
        roles: Roles,
        notices: Notices,
        homes: HomeRefresh,
        pacer: Pacer | None = None,
    ) -> None:
        self._db = db
        self._notifier = notifier
        self._clock = clock
        self._roles = roles
        self._notices = notices
        self._homes = homes
        self._pacer = pacer
        # Offer DMs on their way from this process: the sweep never sends one a second time.
        self._sending: set[int] = set()

    async def deliver(self, offer: Offer, *, claimed_too: bool = False, resend: bool = False) -> Delivery:
        """Send an offer's DM if it is still open and nobody else is sending it.

        ``claimed_too`` takes over a claim however recent (at start: its claimer is gone);
        ``resend`` says an earlier send may have landed unheard (see :meth:`_lost_copies`).
        """
        card = await self.card(offer.id)
        if card is None or offer.id in self._sending:
            return Delivery.SKIPPED
        now = self._clock.now()
        async with self._db.transaction() as tx:
            claimed = await tx.requests.claim_offer_send(
                offer.id, now, stale_before=None if claimed_too else now - SEND_LEASE
            )
        if not claimed:
            # Delivered, answered or withdrawn meanwhile, or on its way from another instance.
            return Delivery.SKIPPED
        self._sending.add(offer.id)
        try:
            # A resend first looks for the copy an earlier send left without an answer: it is
            # recorded instead of posting another (every copy the app posted is redrawn).
            copies = await self._lost_copies(offer) if resend else []
            if not copies:
                if self._pacer is not None:
                    # Urgent: ahead of any check-in wave, waiting only for a hold Slack asked for.
                    await self._pacer.acquire(offer.supporter_id, urgent=True)
                copies = [await self._notifier.send_offer(offer.supporter_id, card)]
            async with self._db.transaction() as tx:
                for ref in copies:
                    await tx.requests.set_offer_message(offer.id, ref.channel_id, ref.ts)
        except DeliveryFailed as refused:
            flagged = await self._unreachable(offer, refused.reason)
            return Delivery.UNREACHABLE if flagged else Delivery.UNDELIVERABLE
        except Exception as exc:  # noqa: BLE001 - Slack down, rate-limited or slow: the sweep sends it again
            log.warning("offer %s not delivered yet: %s", offer.id, failure(exc))
            async with self._db.transaction() as tx:
                await tx.requests.release_offer_send(offer.id)
            return Delivery.RETRY
        finally:
            self._sending.discard(offer.id)
        # If the offer was answered or withdrawn while the DM was on its way, redraw it.
        current = await self.card(offer.id)
        if current is not None and current.state != OfferState.OPEN:
            await self.redraw(offer.id)
        return Delivery.SENT

    async def _lost_copies(self, offer: Offer) -> list[MessageRef]:
        """Copies of the offer already in the supporter's DM; none if Slack cannot say (then the
        offer is posted again: at least once, and a copy never recorded is never redrawn, so it
        never shows who asked)."""
        try:
            return await self._notifier.find_offer_copies(offer.supporter_id, offer.id)
        except Exception as exc:  # noqa: BLE001 - looking is best effort; sending is what matters
            log.warning("offer %s: looking for a lost copy failed: %s", offer.id, failure(exc))
            return []

    async def is_copy(self, offer: Offer, clicked: MessageRef | None) -> bool:
        """True if ``clicked`` is a copy of this offer the app posted in its supporter's DM.

        A click carries its message's location, which the clicker controls: only a location the
        app recorded when it posted, or finds among its own posts in the supporter's DM (a copy
        whose send answer was lost), is taken; it is recorded, and redrawn from then on.
        """
        if clicked is None:
            return False
        async with self._db.read() as tx:
            copies = await tx.requests.offer_copies(offer.id)
        if clicked in copies:
            return True
        found = await self._lost_copies(offer)
        if clicked not in found:
            log.warning("offer %s clicked from a message that is not one of its copies", offer.id)
            return False
        async with self._db.transaction() as tx:
            for ref in found:
                await tx.requests.set_offer_message(offer.id, ref.channel_id, ref.ts)
        return True

    async def _unreachable(self, offer: Offer, reason: str) -> bool:
        """Slack will not DM this supporter: give the offer up, flag them unreachable (left out of the
        rotation and shown to coordinators on the Home tab) and away, and record a note for each
        coordinator (the supporter and Slack's reason, never the request). ``/peer available`` clears
        both. True if this flagged them (they were not flagged for this reason already)."""
        log.warning("offer %s undeliverable (%s)", offer.id, reason)
        now = self._clock.now()
        keys: list[str] = []
        async with self._db.transaction() as tx:
            await tx.requests.set_offer_state(offer.id, OfferState.UNDELIVERABLE, now=now)
            flagged = await tx.roster.set_unreachable(offer.supporter_id, reason)
            supporter = await tx.roster.get(offer.supporter_id)
            if supporter is not None and not supporter.away:
                await tx.roster.set_away(offer.supporter_id, until=None)
            if flagged:
                # The note names the supporter (subject_id), never the request; keyed by the offer
                # that found them unreachable, so being flagged again later is told again.
                for coordinator_id in await self._roles.coordinators_in(tx):
                    key = f"supporter_unreachable:offer:{offer.id}:{coordinator_id}"
                    await record_notice(
                        tx,
                        ScheduledKind.SUPPORTER_UNREACHABLE,
                        coordinator_id,
                        None,
                        now,
                        key=key,
                        subject_id=offer.supporter_id,
                    )
                    keys.append(key)
        if flagged:
            self._homes.changed(offer.supporter_id, coordinators=True)
            await self._notices.send_keyed(keys)
        return flagged

    async def unsent(self) -> list[Offer]:
        """Offers recorded but not delivered, except those on their way from this process."""
        async with self._db.read() as tx:
            return [o for o in await tx.requests.unsent_open_offers() if o.id not in self._sending]

    async def redraw_recent(self) -> None:
        """At start: redraw offers answered in the last hour, in case a crash cut off their redraw."""
        async with self._db.read() as tx:
            answered = await tx.requests.answered_offers_since(self._clock.now() - REDRAW_AT_START)
        for offer in answered:
            await self.redraw(offer.id)

    async def redraw_held(self, request_id: int) -> None:
        """Redraw the held offer of a request (after an anonymous requester shared their name)."""
        async with self._db.read() as tx:
            held = await tx.requests.offers_of(request_id, [OfferState.ACCEPTED])
        for offer in held:
            await self.redraw(offer.id)

    async def redraw(self, offer_id: int) -> None:
        """Draw the offer's card as it stands, and again if it changed meanwhile.

        Two redraws of one card race (an accept's and a withdrawal's, on two tasks or two
        instances): whichever reaches Slack last wins, even with an older state. Reading the
        state again after each update, the last one to land always draws the newest state, so
        a card never keeps showing who asked after the request was withdrawn.
        """
        async with self._db.read() as tx:
            offer = await tx.requests.get_offer(offer_id)
            copies = [] if offer is None else await tx.requests.offer_copies(offer_id)
        if offer is None or not copies:
            return
        drawn: OfferCard | None = None
        for _ in range(REDRAWS_AT_MOST):
            card = await self.card(offer_id)
            if card is None or card == drawn:
                return
            # Every copy the app posted: a copy left behind would keep showing who asked.
            for ref in copies:
                try:
                    await self._notifier.update_offer(ref, card)
                except Exception as exc:  # noqa: BLE001 - a redraw is healed at start; never fails the action
                    log.warning("update_offer for request %s failed: %s", offer.request_id, failure(exc))
                    return
            drawn = card

    async def card(self, offer_id: int) -> OfferCard | None:
        """The offer as its supporter may see it now: identity only while they hold it.

        An anonymous request never carries the requester, not even to its holder, until
        the requester shares their name.
        """
        asked: tuple[str, ...] = ()
        async with self._db.read() as tx:
            offer = await tx.requests.get_offer(offer_id)
            request = None if offer is None else await tx.requests.get(offer.request_id)
            if offer is not None and request is not None and (request.avoid_unit or match_of(request)):
                traits = (await tx.profiles.traits([offer.supporter_id])).get(offer.supporter_id, {})
                asked = asked_for(
                    request,
                    await tx.roster.get(offer.supporter_id),
                    tags=traits.get(TraitKind.TAG, []),
                    languages=traits.get(TraitKind.LANGUAGE, []),
                )
        if offer is None or request is None:
            return None
        holds = offer.state == OfferState.ACCEPTED and request.assignee_id == offer.supporter_id
        return OfferCard(
            offer_id=offer.id,
            request_id=request.id,
            state=offer.state,
            area=Area(request.area),
            urgency=Urgency(request.urgency),
            contact=ContactMode(request.contact),
            expires_at=offer.expires_at,
            requester_id=request.requester_id if holds and request.named else None,
            note=request.note if holds else None,
            minutes=request.minutes if offer.state == OfferState.CLOSED else None,
            anonymous=not request.named,
            waited=offer.offered_at - request.created_at,
            reached_out=offer.reached_out_at is not None,
            asked_for=asked,
        )
