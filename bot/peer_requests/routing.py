"""Routing: who is offered a request next, and what moves it on (expiry, pass, accept, hand-to, release).

The round-robin rule: the least recently offered eligible supporter goes next. Every supporter has a
place in the rotation (``supporters.rotation_seq``); being offered a request, by the rotation or by a
coordinator, moves them to the back (:meth:`storage.roster_repository.RosterRepository.take_turn`).
The order itself is the ``ORDER BY s.rotation_seq, s.added_at, s.user_id`` of
:meth:`storage.roster_repository.RosterRepository.eligible`; it is stored, so it survives restarts.
Eligible means trained (not lapsed), on the roster, not suspended, reachable, not away, under
capacity, not the requester, not excluded by the requester, never offered this request before, and,
outside service hours, an after-hours supporter: one :class:`EligibilityQuery`, built here only
(:meth:`Routing._eligibility`). A preferred supporter, if eligible, is asked first; "as soon as
possible" goes to :data:`ASAP_FANOUT` supporters at once; outside service hours it goes first to
whoever is on call (``bot.oncall``; :meth:`Routing._on_call`), then to the after-hours supporters, and
with nobody left the coordinators are alerted at once (``urgent.alert_at_once``).

Each decision is a conditional update inside one unit of work; its messages go out after the commit
(``outbox``). Offer DMs are sent by ``offers``, which reports a :class:`Delivery`; when a supporter
turns out to be unreachable, this module withdraws their offers and routes the request on.

Why this module runs past 400 lines: each of its operations ends by routing again (a pass, an
expiry, a hand-back, a release, an unreachable supporter), so they share ``route`` and the
after-commit step ``_flush``; kept in one class, that loop is visible in one file instead of
being a call cycle between modules.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from bot.errors import (
    AlreadyAccepted,
    CannotHandToYourself,
    DomainError,
    InconsistentRecords,
    NotAnOfferCopy,
    NotHeldByYou,
    NotYourOffer,
    OfferNoLongerOpen,
    RequestNotWaiting,
    SupporterCannotTakeRequest,
)
from bot.matching import key, match_of
from bot.oncall import on_call_at
from bot.peer_requests.holds import start_follow_through
from bot.peer_requests.notices import record_notice, record_unmatched
from bot.peer_requests.offers import Delivery, OfferDms
from bot.peer_requests.outbox import Outbox, Outgoing
from bot.peer_requests.shared import ASAP_FANOUT, EXPIRIES_BEFORE_AWAY, RequestPolicy
from bot.peer_requests.urgent import alert_at_once
from bot.ports import Clock
from bot.roles import Roles
from bot.service_hours import ServiceHours
from storage.db import Database, Tx
from storage.models import (
    ROUTABLE_STATES,
    ConversationEnd,
    MessageRef,
    Offer,
    OfferState,
    PeerRequest,
    RequestState,
    ScheduledKind,
    Supporter,
    Urgency,
)
from storage.roster_repository import EligibilityQuery

log = logging.getLogger(__name__)

# A coordinator's hand-off ignores capacity: they arranged it with the supporter.
_NO_CAPACITY_LIMIT = 1_000_000
# Why a hand-to was refused, for the audit log: public reasons only.
_REFUSALS: dict[type[DomainError], str] = {
    RequestNotWaiting: "no longer waiting",
    CannotHandToYourself: "to themselves",
    SupporterCannotTakeRequest: "not on the roster, untrained, suspended, away or unreachable",
}


class RouteResult(StrEnum):
    """What one routing attempt did."""

    OFFERED = "offered"
    STILL_OFFERED = "still_offered"  # an open offer is still waiting for an answer
    WAITING_FOR_HOURS = "waiting_for_hours"
    ESCALATED = "escalated"
    STILL_ESCALATED = "still_escalated"
    NOT_ROUTABLE = "not_routable"


@dataclass(frozen=True)
class HandedTo:
    """A coordinator's hand-to, accepted: the offer it recorded, or none (the request is routed on)."""

    request_id: int
    offer_id: int | None


class Routing:
    """Offers requests round-robin and moves them on when an offer is answered or lapses."""

    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        hours: ServiceHours,
        roles: Roles,
        policy: RequestPolicy,
        offers: OfferDms,
        outgoing: Outgoing,
    ) -> None:
        self._db = db
        self._clock = clock
        self._hours = hours
        self._roles = roles
        self._policy = policy
        self._offers = offers
        self._outgoing = outgoing

    # Who is next

    async def route(self, *, request_id: int, escalate: bool = True) -> RouteResult:
        """Offer the request to the next eligible supporter(s), or wait, or escalate.

        ``escalate=False`` leaves an offered request with nobody eligible as it is (the sweep
        escalates it later), as after a coordinator's hand-to that was quietly routed on.
        """
        now = self._clock.now()
        is_open = self._hours.is_open(now)
        outbox = Outbox()
        async with self._db.transaction() as tx:
            result = await self._route_in(tx, request_id, now, is_open, outbox, escalate=escalate)
        await self._flush(outbox)
        return result

    async def _route_in(
        self, tx: Tx, request_id: int, now: datetime, is_open: bool, outbox: Outbox, *, escalate: bool = True
    ) -> RouteResult:
        request = await tx.requests.get(request_id)
        if request is None or request.state not in ROUTABLE_STATES:
            return RouteResult.NOT_ROUTABLE
        if await tx.requests.offers_of(request_id, [OfferState.OPEN]):
            return RouteResult.STILL_OFFERED
        wanted = ASAP_FANOUT if request.urgency == Urgency.ASAP else 1
        query = self._eligibility(request, now, capacity=self._policy.capacity, after_hours_only=not is_open)
        # Outside service hours an urgent request goes to whoever is on call first.
        urgent_after_hours = not is_open and request.urgency == Urgency.ASAP
        on_call = await self._on_call(tx, request, now) if urgent_after_hours else []
        picks = [] if on_call else await self._pick(tx, request, query, wanted, now=now)
        if query.match is not None:
            outbox.notices_of = request.id  # "nobody with that experience is free", if it was recorded
        if on_call or picks:
            for user_id in on_call:
                offer = await tx.requests.add_offer(
                    request_id=request.id,
                    supporter_id=user_id,
                    now=now,
                    expires_at=now + self._policy.offer_timeout_for(request.urgency),
                )
                outbox.new_offers.append(offer)
            for supporter in picks:
                offer = await tx.requests.add_offer(
                    request_id=request.id,
                    supporter_id=supporter.user_id,
                    now=now,
                    expires_at=self._deadline(now, supporter, request),
                )
                await tx.roster.take_turn(supporter.user_id)
                outbox.new_offers.append(offer)
            if request.state != RequestState.OFFERED:
                await tx.requests.transition(request.id, RequestState.OFFERED, now=now)
                # The requester's Home and the coordinators' counts show the state.
                outbox.homes.add(request.requester_id)
                outbox.coordinators = True
            if request.state == RequestState.ESCALATED:
                outbox.resolved = (request, "offered")
            log.info("request %s offered to %d supporter(s)", request.id, len(on_call) + len(picks))
            return RouteResult.OFFERED
        if not is_open and request.state != RequestState.ESCALATED:
            if request.state == RequestState.OFFERED:
                await tx.requests.transition(request.id, RequestState.PENDING, now=now)
            if urgent_after_hours:
                # Nobody on call and no after-hours supporter: a person is told now, not at opening.
                coordinators = await self._roles.coordinators_in(tx)
                opens_at = self._hours.next_opening(now)
                outbox.notice_keys += await alert_at_once(tx, request, coordinators, now, opens_at)
            log.info("request %s waits for service hours", request.id, extra={"request_id": request.id})
            return RouteResult.WAITING_FOR_HOURS
        if request.state == RequestState.ESCALATED:
            return RouteResult.STILL_ESCALATED
        if not escalate:
            return RouteResult.STILL_OFFERED
        await self._escalate(tx, request, now)
        outbox.notices_of = request.id
        outbox.homes.add(request.requester_id)
        outbox.coordinators = True
        log.warning(
            "request %s escalated: no eligible supporter", request.id, extra={"request_id": request.id}
        )
        return RouteResult.ESCALATED

    async def _escalate(self, tx: Tx, request: PeerRequest, now: datetime) -> None:
        """Nobody can take it: coordinators are told each time it comes back to them, the requester once."""
        first_time = request.escalated_at is None
        fields = {"escalated_at": now} if first_time else {}
        await tx.requests.transition(request.id, RequestState.ESCALATED, now=now, fields=fields)
        coordinators = await self._roles.coordinators_in(tx)
        if not coordinators:
            log.error("request %s escalated but no coordinators are configured", request.id)
        for coordinator_id in coordinators:
            # One alert each time it comes back: numbered, so a repeated decision records it once.
            seq = await tx.schedule.count_for_request(
                request.id, ScheduledKind.ESCALATION_ALERT, coordinator_id
            )
            await record_notice(
                tx,
                ScheduledKind.ESCALATION_ALERT,
                coordinator_id,
                request.id,
                now,
                key=f"escalation_alert:{request.id}:{coordinator_id}:{seq}",
            )
        if first_time and request.requester_id is not None:
            await record_notice(tx, ScheduledKind.REQUEST_ESCALATED, request.requester_id, request.id, now)

    def _eligibility(
        self, request: PeerRequest, now: datetime, *, capacity: int, after_hours_only: bool
    ) -> EligibilityQuery:
        """Who may be offered this request (see the module docstring); the one place it is built."""
        excluded = set(request.excluded_ids)
        if request.requester_id is not None:
            excluded.add(request.requester_id)
        query = self._query(request.id, frozenset(excluded), now, capacity, after_hours_only)
        # "Outside my unit" always holds; the other wishes are preferences (see ``_pick``).
        return replace(query, outside_unit=request.avoid_unit, match=match_of(request))

    def _query(
        self, request_id: int, excluded: frozenset[str], now: datetime, capacity: int, after_hours_only: bool
    ) -> EligibilityQuery:
        today = self._hours.today(now)
        return EligibilityQuery(
            request_id=request_id,
            excluded_ids=excluded,
            today=today,
            trained_after=self._policy.training.trained_after(today),
            capacity=capacity,
            after_hours_only=after_hours_only,
        )

    async def _on_call(self, tx: Tx, request: PeerRequest, now: datetime) -> list[str]:
        """Who is on call now and may be offered this request: not the requester nor anyone they
        excluded, not offered it before, and, if on the roster, not suspended, unreachable or away."""
        offered = {o.supporter_id for o in await tx.requests.offers_of(request.id)}
        today = self._hours.today(now)
        people: list[str] = []
        for user_id in await on_call_at(tx, self._hours, now):
            if user_id in offered or user_id == request.requester_id or user_id in request.excluded_ids:
                continue
            supporter = await tx.roster.get(user_id)
            # "Outside my unit" holds on call too: someone whose unit is unknown or the same is not asked.
            if request.avoid_unit is not None and (
                supporter is None or key(supporter.unit or "") in ("", key(request.avoid_unit))
            ):
                continue
            if supporter is not None and (
                supporter.suspended
                or supporter.unreachable is not None
                or (supporter.away and (supporter.away_until is None or supporter.away_until > today))
            ):
                continue
            people.append(user_id)
        return people[:ASAP_FANOUT]

    async def nobody_reachable_until(self, *, requester_id: str) -> datetime | None:
        """Outside service hours with nobody on call and no after-hours supporter free: when the
        program opens (what the request modal warns of). None while someone can be reached."""
        now = self._clock.now()
        if self._hours.is_open(now):
            return None
        async with self._db.read() as tx:
            if [p for p in await on_call_at(tx, self._hours, now) if p != requester_id]:
                return None
            query = self._query(0, frozenset({requester_id}), now, self._policy.capacity, True)
            if await tx.roster.eligible(query, limit=1):
                return None
        return self._hours.next_opening(now)

    @staticmethod
    async def _pick(
        tx: Tx, request: PeerRequest, query: EligibilityQuery, wanted: int, *, now: datetime
    ) -> list[Supporter]:
        """The preferred supporter first, if eligible; then the rotation among those who match the
        requester's preferences; then, if none of them is free, the rotation among everyone (the
        requester is told once). Up to ``wanted``; "outside my unit" holds throughout."""
        picks: list[Supporter] = []
        if request.preferred_supporter_id is not None:
            picks = await tx.roster.eligible(query, limit=1, only=request.preferred_supporter_id)
        for match in dict.fromkeys([query.match, None]):
            if len(picks) >= wanted:
                break
            rest = replace(query, match=match, excluded_ids=query.excluded_ids | {p.user_id for p in picks})
            found = await tx.roster.eligible(rest, limit=wanted - len(picks))
            if found and not picks and match is None and query.match is not None:
                await record_unmatched(tx, request, now)
            picks += found
        return picks

    def _deadline(self, now: datetime, supporter: Supporter, request: PeerRequest) -> datetime:
        # The clock of an offer runs only while the program is open for that supporter.
        timeout = self._policy.offer_timeout_for(request.urgency)
        if supporter.after_hours:
            return now + timeout
        return self._hours.add_open_time(now, timeout)

    async def retry_waiting(self) -> None:
        """Route every request still waiting for a supporter (pending or escalated)."""
        # A request with an offer out is left as it is (``_route_in`` would change nothing): not
        # read, it costs the sweep nothing, so each sweep is as long as what it has to do.
        async with self._db.read() as tx:
            waiting = await tx.requests.ids_without_open_offer(
                [RequestState.PENDING, RequestState.OFFERED, RequestState.ESCALATED]
            )
        for request_id in waiting:
            await self.route(request_id=request_id)

    # Answers to offers

    async def accept(self, *, offer_id: int, user_id: str, clicked: MessageRef | None) -> PeerRequest:
        """Assign the request to the supporter who accepted; first Accept wins.

        ``clicked`` is where the clicked offer DM is: only a copy of the offer the app posted in the
        supporter's DM is taken (:meth:`OfferDms.is_copy`); anything else raises :class:`NotAnOfferCopy`.
        """
        await self._clicked_own_copy(offer_id, user_id, clicked)
        now = self._clock.now()
        outbox = Outbox()
        async with self._db.transaction() as tx:
            offer = await self._own_offer(tx, offer_id, user_id)
            if offer.state == OfferState.ACCEPTED:
                raise AlreadyAccepted()
            if offer.state != OfferState.OPEN:
                raise OfferNoLongerOpen(offer.state)
            assigned = await tx.requests.transition(
                offer.request_id,
                RequestState.ASSIGNED,
                now=now,
                only_from=[RequestState.OFFERED],
                fields={"assignee_id": user_id, "assigned_at": now},
            )
            request = await tx.requests.get(offer.request_id)
            if request is None:
                raise InconsistentRecords(f"offer {offer.id} of a request that is gone")
            if assigned:
                await tx.requests.set_offer_state(offer.id, OfferState.ACCEPTED, now=now)
                await start_follow_through(tx, request, offer, now, policy=self._policy, hours=self._hours)
                await tx.roster.reset_expiries(user_id)
                for other in await tx.requests.offers_of(offer.request_id, [OfferState.OPEN]):
                    await tx.requests.set_offer_state(other.id, OfferState.TAKEN, now=now)
                    outbox.redraw.append(other)
                # An anonymous requester is not told who: the relay opens their conversation.
                if request.requester_id is not None and not request.anonymous:
                    await record_notice(
                        tx,
                        ScheduledKind.REQUEST_ASSIGNED,
                        request.requester_id,
                        request.id,
                        now,
                        key=f"request_assigned:{request.id}:{offer.id}",
                    )
                outbox.notices_of = request.id
                # The urgent-alert clock's alerts, if any went out, say it no longer waits.
                outbox.resolved = (request, "accepted")
            else:
                await tx.requests.set_offer_state(offer.id, OfferState.TAKEN, now=now)
            outbox.redraw.append(offer)
        if assigned:
            outbox.homes.update({request.requester_id, user_id})
            outbox.coordinators = True
        await self._flush(outbox)
        if not assigned:
            raise OfferNoLongerOpen(OfferState.TAKEN)
        log.info("request %s assigned", request.id, extra={"request_id": request.id})
        if request.anonymous:
            # Neither learns who the other is: the relay opens their conversation instead.
            await self._outgoing.assigned(request.id)
        return request

    async def pass_offer(self, *, offer_id: int, user_id: str, clicked: MessageRef | None) -> None:
        """Decline an offer; the request moves on to the next supporter."""
        await self._clicked_own_copy(offer_id, user_id, clicked)
        now = self._clock.now()
        async with self._db.transaction() as tx:
            offer = await self._own_offer(tx, offer_id, user_id)
            if offer.state != OfferState.OPEN:
                raise OfferNoLongerOpen(offer.state)
            await tx.requests.set_offer_state(offer.id, OfferState.PASSED, now=now)
            await tx.roster.reset_expiries(user_id)
        log.info(
            "request %s passed by one supporter", offer.request_id, extra={"request_id": offer.request_id}
        )
        await self._flush(Outbox(redraw=[offer]))
        await self.route(request_id=offer.request_id)

    async def expire_due(self) -> int:
        """Expire every offer past its deadline and move its request on; returns how many."""
        now = self._clock.now()
        async with self._db.read() as tx:
            due = await tx.requests.due_offers(now)
        expired = 0
        for offer in due:
            set_away = False
            outbox = Outbox(redraw=[offer])
            async with self._db.transaction() as tx:
                current = await tx.requests.get_offer(offer.id)
                # An offer whose DM never landed (Slack kept failing) is given up, and is not
                # held against a supporter who never saw it.
                delivered = current is not None and current.message_ts is not None
                target = OfferState.EXPIRED if delivered else OfferState.UNDELIVERABLE
                if not await tx.requests.set_offer_state(offer.id, target, now=now):
                    continue  # answered, or expired by another sweep, in the meantime
                # Only urgent offers count towards away: missing a "this week" one for an afternoon
                # in court is no sign of being unavailable.
                request = await tx.requests.get(offer.request_id)
                if delivered and request is not None and request.urgency == Urgency.ASAP:
                    streak = await tx.roster.record_expiry(offer.supporter_id)
                    set_away = streak >= EXPIRIES_BEFORE_AWAY and await tx.roster.set_away(
                        offer.supporter_id, until=None
                    )
                if set_away:
                    # Keyed by the offer whose expiry decided it: set away again later, told again.
                    key = f"supporter_set_away:offer:{offer.id}"
                    await record_notice(
                        tx, ScheduledKind.SUPPORTER_SET_AWAY, offer.supporter_id, None, now, key=key
                    )
                    outbox.notice_keys.append(key)
            expired += 1
            log.info("offer %s for request %s %s", offer.id, offer.request_id, target)
            if set_away:
                log.info("a supporter was set to away after %d expiries", EXPIRIES_BEFORE_AWAY)
            await self._flush(outbox)
            if set_away:
                await self.release_supporter(supporter_id=offer.supporter_id, hand_back=False)
            await self.route(request_id=offer.request_id)
        return expired

    # The holder hands back; a coordinator hands to

    async def hand_back(self, *, request_id: int, user_id: str) -> None:
        """Return a held request to the rotation (a conflict of interest, say)."""
        now = self._clock.now()
        async with self._db.transaction() as tx:
            offer = await self._give_up(tx, request_id, user_id, OfferState.HANDED_BACK, now)
        log.info("request %s handed back", request_id, extra={"request_id": request_id})
        await self._flush(Outbox(redraw=[offer], homes={user_id}))
        await self._outgoing.released(request_id, user_id, ConversationEnd.HANDED_BACK)
        await self.route(request_id=request_id)

    async def offer_to(self, *, request_id: int, supporter_id: str, coordinator_id: str) -> HandedTo:
        """A coordinator hands a waiting request to a named supporter, blind to who asked.

        The answer never depends on who asked: it is refused only for reasons anyone on the roster
        page can see (not on the roster, untrained, suspended, away, unreachable, or the coordinator
        themselves), with one generic answer. Anyone else is accepted; if the chosen person may not
        be offered this request (the requester, someone they would rather not talk to, someone
        already offered it), nobody is told: the request quietly goes on by the rotation. Every
        attempt is audited, with a detail that is the same either way and never names who asked.
        :meth:`send_offer` follows it up.
        """
        await self._roles.require_coordinator_role(coordinator_id)
        now = self._clock.now()
        refusal: DomainError | None = None
        offer_id: int | None = None
        async with self._db.transaction() as tx:
            request = await tx.requests.get(request_id)
            # Offered too: an urgent request's alert comes while its offers are still out.
            if request is None or request.state not in ROUTABLE_STATES:
                refusal = RequestNotWaiting()
            elif supporter_id == coordinator_id:
                refusal = CannotHandToYourself()
            elif not self._publicly_able(await tx.roster.get(supporter_id), now):
                refusal = SupporterCannotTakeRequest()
            else:
                query = self._eligibility(request, now, capacity=_NO_CAPACITY_LIMIT, after_hours_only=False)
                if await tx.roster.eligible(query, limit=1, only=supporter_id):
                    offer = await tx.requests.add_offer(
                        request_id=request.id,
                        supporter_id=supporter_id,
                        now=now,
                        expires_at=now + self._policy.offer_timeout_for(request.urgency),
                    )
                    await tx.roster.take_turn(supporter_id)
                    offer_id = offer.id
                # Offered either way, as far as anyone can see: without an offer, :meth:`send_offer`
                # routes it on as if the chosen supporter had passed.
                await tx.requests.transition(request.id, RequestState.OFFERED, now=now)
                await self._audit_hand_to(tx, coordinator_id, request_id, now, refused=None)
        if refusal is not None:
            async with self._db.transaction() as tx:
                await self._audit_hand_to(tx, coordinator_id, request_id, now, refused=refusal)
            raise refusal
        if request is None:  # a missing request was refused above
            raise InconsistentRecords("missing: request")
        log.info("request %s handed on by a coordinator", request_id, extra={"request_id": request_id})
        await self._flush(Outbox(homes={request.requester_id}, coordinators=True))
        return HandedTo(request_id=request_id, offer_id=offer_id)

    def _publicly_able(self, supporter: Supporter | None, now: datetime) -> bool:
        """May this person be handed requests at all? Only what the roster shows anyone, never
        anything about a particular request."""
        if supporter is None or supporter.suspended or supporter.unreachable is not None or supporter.away:
            return False
        today = self._hours.today(now)
        return (
            supporter.trained_on is not None
            and supporter.trained_on > self._policy.training.trained_after(today)
        )

    @staticmethod
    async def _audit_hand_to(
        tx: Tx,
        coordinator_id: str,
        request_id: int,
        now: datetime,
        *,
        refused: DomainError | None,
    ) -> None:
        # Accepted and quietly routed on read the same; the detail names nobody (whom the coordinator
        # chose could be the requester, and the log outlives the purge).
        outcome = "accepted" if refused is None else f"refused: {_REFUSALS[type(refused)]}"
        await tx.tracking.audit(
            actor_id=coordinator_id,
            action="escalation handed on",
            detail=f"a request to a supporter they chose: {outcome}",
            now=now,
        )

    async def send_offer(self, *, handed: HandedTo) -> None:
        """After a hand-to: deliver its offer's DM, or, if the chosen person could not be offered it,
        route the request on (to the next eligible supporter, or back to the coordinators)."""
        async with self._db.read() as tx:
            request = await tx.requests.get(handed.request_id)
            offer = None if handed.offer_id is None else await tx.requests.get_offer(handed.offer_id)
        if request is None:
            return
        outbox = Outbox(resolved=(request, "offered"))
        if offer is not None and offer.state == OfferState.OPEN and offer.message_ts is None:
            outbox.new_offers.append(offer)
        await self._flush(outbox)
        if handed.offer_id is None:
            # As if the chosen supporter had passed: the next eligible one, or (at the next sweep,
            # not at once, which would tell) back to the coordinators.
            await self.route(request_id=handed.request_id, escalate=False)

    # Supporters leaving the rotation

    async def release_supporter(self, *, supporter_id: str, hand_back: bool) -> None:
        """Withdraw a supporter's open offers (and, if asked, hand back what they hold)."""
        now = self._clock.now()
        async with self._db.transaction() as tx:
            offers = await tx.requests.open_offers_of_supporter(supporter_id)
            for offer in offers:
                await tx.requests.set_offer_state(offer.id, OfferState.WITHDRAWN, now=now)
            held: list[Offer] = []
            if hand_back:
                for request_id in await tx.requests.assigned_to(supporter_id):
                    held.append(await self._give_up(tx, request_id, supporter_id, OfferState.WITHDRAWN, now))
        await self._flush(Outbox(redraw=offers + held, homes={supporter_id}, coordinators=True))
        for offer in held:
            await self._outgoing.released(offer.request_id, supporter_id, ConversationEnd.HANDED_BACK)
        for request_id in sorted({o.request_id for o in offers + held}):
            await self.route(request_id=request_id)

    # The periodic sweep

    async def resend_unsent(self, *, claimed_too: bool = False) -> None:
        """Send offers recorded but not delivered: at start (a crash between the two) and every sweep
        (Slack failed); until the offer's deadline, when :meth:`expire_due` gives it up.

        An offer another instance claimed for sending less than ``SEND_LEASE`` ago is left to it,
        unless ``claimed_too``.
        """
        unsent = await self._offers.unsent()
        if unsent:
            log.info("sending %d offer(s) recorded but not delivered", len(unsent))
        for offer in unsent:
            await self._deliver(offer, claimed_too=claimed_too, resend=True)

    async def sweep(self) -> None:
        """The periodic job: end lapsed aways, expire offers, resend undelivered ones, route the waiting."""
        async with self._db.transaction() as tx:
            await tx.roster.end_lapsed_aways(self._hours.today(self._clock.now()))
        await self.expire_due()
        await self.resend_unsent()
        await self.retry_waiting()

    # Internals

    async def _flush(self, outbox: Outbox) -> None:
        """After the commit: deliver new offers (acting on each outcome), then the rest of the outbox."""
        new_offers, outbox.new_offers = outbox.new_offers, []
        for offer in new_offers:
            await self._deliver(offer)
        await self._outgoing.send(outbox)

    async def _deliver(self, offer: Offer, *, claimed_too: bool = False, resend: bool = False) -> None:
        """Send one offer's DM; if Slack will not DM its supporter, move the request (and theirs) on."""
        outcome = await self._offers.deliver(offer, claimed_too=claimed_too, resend=resend)
        if outcome == Delivery.UNREACHABLE:
            await self.release_supporter(supporter_id=offer.supporter_id, hand_back=False)
        if outcome in (Delivery.UNREACHABLE, Delivery.UNDELIVERABLE):
            await self.route(request_id=offer.request_id)

    async def _clicked_own_copy(self, offer_id: int, user_id: str, clicked: MessageRef | None) -> None:
        """The clicker's offer, clicked in one of its copies in their DM; else a refusal, nothing changed."""
        async with self._db.read() as tx:
            offer = await self._own_offer(tx, offer_id, user_id)
        if not await self._offers.is_copy(offer, clicked):
            raise NotAnOfferCopy()

    @staticmethod
    async def _own_offer(tx: Tx, offer_id: int, user_id: str) -> Offer:
        offer = await tx.requests.get_offer(offer_id)
        if offer is None or offer.supporter_id != user_id:
            raise NotYourOffer()
        return offer

    @staticmethod
    async def _give_up(
        tx: Tx, request_id: int, user_id: str, offer_state: OfferState, now: datetime
    ) -> Offer:
        """The holder lets go of a request: back to pending, their accepted offer ends in ``offer_state``."""
        moved = await tx.requests.transition(
            request_id,
            RequestState.PENDING,
            now=now,
            assignee_id=user_id,
            # A name shared with this supporter is not shared with the next one.
            fields={"assignee_id": None, "assigned_at": None, "revealed_at": None},
        )
        if not moved:
            raise NotHeldByYou()
        accepted = [
            o
            for o in await tx.requests.offers_of(request_id, [OfferState.ACCEPTED])
            if o.supporter_id == user_id
        ]
        if not accepted:
            raise InconsistentRecords(f"request {request_id} was assigned without its accepted offer")
        for offer in accepted:
            await tx.requests.set_offer_state(offer.id, offer_state, now=now, only_from=[OfferState.ACCEPTED])
        return accepted[0]
