"""``RequestService``: the one object the rest of the app calls about peer requests.

It builds the four parts and passes each call to the one that does it; it holds no logic:

- ``lifecycle``: making, withdrawing and closing requests, and what requester and holder see;
- ``routing``: who is offered a request next, and what moves it on;
- ``offers``: offer DMs, sent at least once, redrawn, and supporters Slack will not DM;
- ``notices``: what requesters, holders and coordinators are told, sent after each decision.
"""

from __future__ import annotations

from datetime import datetime

from bot.errors import AlreadyHasOpenRequest
from bot.handoff import Handoff
from bot.pacing import Pacer
from bot.peer_requests.follow_through import FollowThrough
from bot.peer_requests.lifecycle import ClosedRequest, Lifecycle, RequestForm, RequestStatus
from bot.peer_requests.notices import Notices
from bot.peer_requests.offers import OfferDms
from bot.peer_requests.outbox import Outbox, Outgoing
from bot.peer_requests.routing import HandedTo, RouteResult, Routing
from bot.peer_requests.shared import ConversationHooks, DeliverNow, RequestPolicy
from bot.peer_requests.urgent import UrgentCover
from bot.ports import Clock, HomeRefresh, NoHomeRefresh, Notifier
from bot.roles import Roles
from bot.service_hours import ServiceHours
from storage.db import Database
from storage.models import ConversationEnd, MessageRef, PeerRequest, Referral, ScheduledMessage


class RequestService:
    """Creates, routes, assigns, hands back, closes and cancels requests."""

    def __init__(
        self,
        *,
        db: Database,
        notifier: Notifier,
        clock: Clock,
        hours: ServiceHours,
        roles: Roles,
        policy: RequestPolicy,
        homes: HomeRefresh | None = None,
        deliver_now: DeliverNow | None = None,  # sends recorded notices at once, else the engine's next run
        pacer: Pacer | None = None,  # paces offer DMs with everything else sent to Slack (urgent)
        handoff: Handoff | None = None,  # in the web role, cards and the relay are the worker's
    ) -> None:
        homes = homes or NoHomeRefresh()
        self.notices = Notices(
            db=db, notifier=notifier, clock=clock, hours=hours, roles=roles, deliver_now=deliver_now
        )
        self.offers = OfferDms(
            db=db, notifier=notifier, clock=clock, roles=roles, notices=self.notices, homes=homes, pacer=pacer
        )
        self._outgoing = Outgoing(offers=self.offers, notices=self.notices, homes=homes, handoff=handoff)
        self.routing = Routing(
            db=db,
            clock=clock,
            hours=hours,
            roles=roles,
            policy=policy,
            offers=self.offers,
            outgoing=self._outgoing,
        )
        self.lifecycle = Lifecycle(
            db=db, clock=clock, hours=hours, roles=roles, policy=policy, outgoing=self._outgoing, homes=homes
        )
        self.urgent = UrgentCover(
            db=db,
            clock=clock,
            roles=roles,
            notifier=notifier,
            offers=self.offers,
            outgoing=self._outgoing,
            policy=policy,
            hours=hours,
        )
        self.follow_through = FollowThrough(
            db=db, clock=clock, roles=roles, routing=self.routing, offers=self.offers, outgoing=self._outgoing
        )

    def attach_conversations(self, hooks: ConversationHooks) -> None:
        """Let the relay hear when anonymous requests are assigned and released."""
        self._outgoing.attach_conversations(hooks)

    async def redraw(
        self, *, offer_ids: list[int], resolved_request_id: int | None, resolution: str | None
    ) -> None:
        """Redraw offer cards (and a resolved request's alerts): work handed on by the web role."""
        await self._outgoing.redraw(
            offer_ids=offer_ids, resolved_request_id=resolved_request_id, resolution=resolution
        )

    async def released(self, *, request_id: int, supporter_id: str, why: str) -> None:
        """A supporter no longer holds a request: the relay ends their conversation (handed on)."""
        await self._outgoing.released(request_id, supporter_id, ConversationEnd(why))

    # Making a request

    async def ensure_can_request(self, *, requester_id: str) -> None:
        """Raise :class:`AlreadyHasOpenRequest` if the person already has one open."""
        await self.lifecycle.ensure_can_request(requester_id=requester_id)

    async def submit(self, *, requester_id: str, form: RequestForm) -> PeerRequest:
        """Validate and store a new request (pending); raises :class:`InvalidForm`."""
        return await self.lifecycle.submit(requester_id=requester_id, form=form)

    async def start(self, *, request_id: int) -> RouteResult:
        """After a request is stored: tell the requester what happens next, then route it."""
        await self._outgoing.send(Outbox(notices_of=request_id))
        return await self.routing.route(request_id=request_id)

    async def ask_for_peer(self, *, requester_id: str, form: RequestForm) -> bool:
        """Make and route a request from a button ("I'd like to talk to a peer"); False if one is open."""
        try:
            request = await self.submit(requester_id=requester_id, form=form)
        except AlreadyHasOpenRequest:
            return False
        await self.start(request_id=request.id)
        return True

    # Routing

    async def route(self, *, request_id: int) -> RouteResult:
        """Offer the request to the next eligible supporter(s), or wait, or escalate."""
        return await self.routing.route(request_id=request_id)

    async def retry_waiting(self) -> None:
        """Route every request still waiting for a supporter (pending or escalated)."""
        await self.routing.retry_waiting()

    async def accept(self, *, offer_id: int, user_id: str, clicked: MessageRef | None) -> PeerRequest:
        """Assign the request to the supporter who accepted; first Accept wins."""
        return await self.routing.accept(offer_id=offer_id, user_id=user_id, clicked=clicked)

    async def pass_offer(self, *, offer_id: int, user_id: str, clicked: MessageRef | None) -> None:
        """Decline an offer; the request moves on to the next supporter."""
        await self.routing.pass_offer(offer_id=offer_id, user_id=user_id, clicked=clicked)

    async def expire_due(self) -> int:
        """Expire every offer past its deadline and move its request on; returns how many."""
        return await self.routing.expire_due()

    async def hand_back(self, *, request_id: int, user_id: str) -> None:
        """Return a held request to the rotation (a conflict of interest, say)."""
        await self.routing.hand_back(request_id=request_id, user_id=user_id)

    async def offer_to(self, *, request_id: int, supporter_id: str, coordinator_id: str) -> HandedTo:
        """A coordinator hands a waiting request to a named supporter; :meth:`send_offer` follows up."""
        return await self.routing.offer_to(
            request_id=request_id, supporter_id=supporter_id, coordinator_id=coordinator_id
        )

    async def take_on(self, *, request_id: int, coordinator_id: str) -> PeerRequest:
        """A coordinator takes a waiting urgent request on themselves, as the person on call."""
        return await self.urgent.take_on(request_id=request_id, coordinator_id=coordinator_id)

    async def nobody_reachable_until(self, *, requester_id: str) -> datetime | None:
        """Outside service hours with nobody on call or free after hours: when the program opens."""
        return await self.routing.nobody_reachable_until(requester_id=requester_id)

    async def send_offer(self, *, handed: HandedTo) -> None:
        """Deliver a hand-to's offer DM, or route the request on if it recorded none."""
        await self.routing.send_offer(handed=handed)

    async def release_supporter(self, *, supporter_id: str, hand_back: bool) -> None:
        """Withdraw a supporter's open offers (and, if asked, hand back what they hold)."""
        await self.routing.release_supporter(supporter_id=supporter_id, hand_back=hand_back)

    # The holder and the requester

    async def close(self, *, request_id: int, user_id: str, minutes: int, referral: Referral) -> None:
        """Close a held request after the contact, recording time spent and referral."""
        closed = await self.record_close(
            request_id=request_id, user_id=user_id, minutes=minutes, referral=referral
        )
        await self.announce_close(closed)

    async def record_close(
        self, *, request_id: int, user_id: str, minutes: int, referral: Referral
    ) -> ClosedRequest:
        """Write the close (no Slack call); :meth:`announce_close` does the rest."""
        return await self.lifecycle.record_close(
            request_id=request_id, user_id=user_id, minutes=minutes, referral=referral
        )

    async def closed(self, *, request_id: int, supporter_id: str) -> ClosedRequest:
        """A stored close read again, for :meth:`announce_close` in another process."""
        return await self.lifecycle.closed(request_id=request_id, supporter_id=supporter_id)

    async def announce_close(self, closed: ClosedRequest) -> None:
        """After a stored close: redraw the held card, end the conversation, tell the requester."""
        await self.lifecycle.announce_close(closed)

    async def held_by(self, *, supporter_id: str) -> list[PeerRequest]:
        """The requests a supporter holds now (theirs to see in full)."""
        return await self.lifecycle.held_by(supporter_id=supporter_id)

    async def held_request(self, *, request_id: int, user_id: str) -> PeerRequest:
        """The request if ``user_id`` holds it, else :class:`NotHeldByYou`."""
        return await self.lifecycle.held_request(request_id=request_id, user_id=user_id)

    async def reached_out(self, *, request_id: int, user_id: str) -> None:
        """The holder says they reached out (no reminder, no release)."""
        await self.follow_through.reached_out(request_id=request_id, user_id=user_id)

    async def someone_else(self, *, requester_id: str, request_id: int | None = None) -> int:
        """The requester would like another supporter: re-routed, the first one excluded."""
        return await self.follow_through.someone_else(requester_id=requester_id, request_id=request_id)

    async def status(self, *, requester_id: str) -> RequestStatus | None:
        """The requester's open request, if any."""
        return await self.lifecycle.status(requester_id=requester_id)

    async def cancel(self, *, requester_id: str) -> int:
        """Withdraw the requester's open request; returns its id."""
        return await self.lifecycle.cancel(requester_id=requester_id)

    async def redraw_held(self, *, request_id: int) -> None:
        """Redraw the held offer of a request (after an anonymous requester shared their name)."""
        await self.offers.redraw_held(request_id)

    # Notices, recovery and the periodic sweep

    async def send_notice(self, message: ScheduledMessage) -> MessageRef:
        """Send one recorded notice as things stand now (the delivery engine's sender)."""
        return await self.notices.send_notice(message)

    async def recover(self) -> None:
        """At start: send what a crash left unsent, and redraw offers answered in the last hour.

        An answer's redraw happens after the commit; a crash in between left the card showing
        Accept and Pass. Whoever claimed the unsent ones before the crash is gone (or, with several
        instances, may still be sending: at least once, the same offer).
        """
        await self.routing.resend_unsent(claimed_too=True)
        await self.offers.redraw_recent()

    async def resend_unsent(self, *, claimed_too: bool = False) -> None:
        """Send offers recorded but not delivered (a crash, or Slack failed), until their deadline."""
        await self.routing.resend_unsent(claimed_too=claimed_too)

    async def sweep(self) -> None:
        """The periodic job: release lapsed holds, end lapsed aways, expire offers, resend undelivered
        ones, route the waiting."""
        await self.follow_through.release_lapsed()
        await self.routing.sweep()
