"""Peer support requests: making them, routing them round-robin, and their whole life.

Every state change is a conditional update inside one ``BEGIN IMMEDIATE``
unit of work, so a double click, two racing clicks or two processes can
never both win. Messages go out after the commit, and only from the caller
that won; a failure to send never undoes a committed decision.

What must reach people is recorded in the same unit of work as the decision:
offers as offer rows (sent right after, and again by every sweep until their DM
lands or their deadline passes), and notices as scheduled messages, sent right
after the commit and retried by the delivery engine: the requester's (received,
assigned, escalated, closed), the holder's "withdrawn", coordinators' escalation
alerts and "a supporter can't get DMs", and a supporter's "you were set to away".
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from bot.choices import choice
from bot.errors import (
    AlreadyAccepted,
    AlreadyHasOpenRequest,
    DeliveryFailed,
    InvalidForm,
    NoOpenRequest,
    NotHeldByYou,
    NotYourOffer,
    OfferNoLongerOpen,
    RequestNotWaiting,
    SupporterCannotTakeRequest,
)
from bot.ports import Clock, EscalationCard, HomeRefresh, NoHomeRefresh, Notifier, OfferCard
from bot.roles import Roles
from bot.service_hours import ServiceHours
from bot.training import TrainingPolicy
from storage.db import Database, Tx
from storage.models import (
    OPEN_REQUEST_STATES,
    REQUEST_NOTICES,
    ROUTABLE_STATES,
    SUPPORTER_NOTICES,
    Area,
    ContactChannel,
    ContactMode,
    ConversationEnd,
    MessageRef,
    Offer,
    OfferState,
    PeerRequest,
    Referral,
    RequestState,
    ScheduledKind,
    ScheduledMessage,
    Supporter,
    Urgency,
)
from storage.schedule_repository import NewScheduled

log = logging.getLogger(__name__)

# A card redrawn this many times in a row because its state kept changing is left to the next.
REDRAWS_AT_MOST = 3

# "As soon as possible" goes to this many supporters at once; the first Accept wins.
ASAP_FANOUT = 3
# Offers let expire in a row before a supporter is set to away.
EXPIRIES_BEFORE_AWAY = 3
# A coordinator's hand-off ignores capacity: they arranged it with the supporter.
_NO_CAPACITY_LIMIT = 1_000_000
# At start, offers answered this recently are redrawn, in case a crash cut off their redraw.
REDRAW_AT_START = timedelta(hours=1)
# An offer DM claimed for sending this recently is left to its sender by other instances' sweeps.
SEND_LEASE = timedelta(minutes=2)


async def quietly(work: Awaitable[object], what: str, request_id: int) -> None:
    """Send a notification; a failure is logged (ids only) and never undoes a decision."""
    try:
        await work
    except Exception as exc:  # noqa: BLE001 - delivery failures must not break the flow
        log.warning("%s for request %s failed: %s", what, request_id, type(exc).__name__)


@dataclass(frozen=True)
class RequestForm:
    """What the requester filled in, before validation."""

    area: str | None
    urgency: str | None
    contact: str | None
    preferred_supporter_id: str | None = None
    excluded_ids: frozenset[str] = frozenset()
    note: str | None = None
    incident_id: int | None = None  # asked from a check-in after this incident
    anonymous: bool = False  # talk through the app's relay, without the supporter seeing who


class RouteResult(StrEnum):
    """What one routing attempt did."""

    OFFERED = "offered"
    STILL_OFFERED = "still_offered"  # an open offer is still waiting for an answer
    WAITING_FOR_HOURS = "waiting_for_hours"
    ESCALATED = "escalated"
    STILL_ESCALATED = "still_escalated"
    NOT_ROUTABLE = "not_routable"


@dataclass
class _Outbox:
    """Messages decided inside a unit of work, sent once it has committed."""

    new_offers: list[Offer] = field(default_factory=list)
    redraw: list[Offer] = field(default_factory=list)
    # Whose Home tab shows something that changed (and whether coordinators' counts did).
    homes: set[str | None] = field(default_factory=set)
    coordinators: bool = False
    # A request that was escalated and no longer waits: its alerts are redrawn ("offered"/"withdrawn").
    resolved: tuple[PeerRequest, str] | None = None
    notices_of: int | None = None  # a request whose recorded notices are due
    notice_keys: list[str] = field(default_factory=list)  # notices about a supporter (no request)


DeliverNow = Callable[[Iterable[int]], Awaitable[None]]


@dataclass(frozen=True)
class ClosedRequest:
    """A close as stored, for what is sent after it (see :meth:`RequestService.announce_close`)."""

    request: PeerRequest
    offers: list[Offer]
    supporter_id: str


@dataclass(frozen=True)
class RequestStatus:
    """What a requester may see of their own request."""

    request_id: int
    state: RequestState
    assignee_id: str | None  # never for an anonymous request: the relay shows a label instead
    created_at: datetime
    anonymous: bool = False


class ConversationHooks(Protocol):
    """What the relay of anonymous requests hears of a request's life (see ``bot.relay``)."""

    async def request_assigned(self, *, request_id: int) -> None:
        """An anonymous request was accepted: open its conversation."""
        ...

    async def request_released(self, *, request_id: int, supporter_id: str, why: ConversationEnd) -> None:
        """The supporter no longer holds the request: end their conversation, if any."""
        ...


@dataclass(frozen=True)
class RequestPolicy:
    """The program's routing settings."""

    offer_timeout: timedelta
    capacity: int
    note_max_length: int
    training: TrainingPolicy


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
        deliver_now: DeliverNow | None = None,
    ) -> None:
        self._db = db
        # Sends recorded notices at once (the scheduled-message engine); else they wait for its next run.
        self._deliver_now = deliver_now
        self._notifier = notifier
        self._clock = clock
        self._hours = hours
        self._roles = roles
        self._policy = policy
        # Offer DMs on their way from this process: the sweep never sends one a second time.
        self._sending: set[int] = set()
        self._homes: HomeRefresh = homes or NoHomeRefresh()
        self._hooks: ConversationHooks | None = None

    def attach_conversations(self, hooks: ConversationHooks) -> None:
        """Let the relay hear when anonymous requests are assigned and released."""
        self._hooks = hooks

    # Making a request

    async def ensure_can_request(self, *, requester_id: str) -> None:
        """Raise :class:`AlreadyHasOpenRequest` if the person already has one open."""
        async with self._db.read() as tx:
            existing = await tx.requests.open_for_requester(requester_id)
        if existing is not None:
            raise AlreadyHasOpenRequest(existing.id)

    async def submit(self, *, requester_id: str, form: RequestForm) -> PeerRequest:
        """Validate and store a new request (pending); raises :class:`InvalidForm`."""
        area, urgency, contact, errors = self._validate_choices(form)
        note = (form.note or "").strip() or None
        if note is not None and len(note) > self._policy.note_max_length:
            errors["note"] = (
                f"Please keep the note to {self._policy.note_max_length} characters (it has {len(note)})."
            )
        preferred = form.preferred_supporter_id
        if preferred is not None and preferred in form.excluded_ids:
            errors["preferred_supporter"] = "You also listed this person as someone to avoid."
        elif preferred == requester_id:
            errors["preferred_supporter"] = "Please choose someone other than yourself."
        if form.anonymous and contact not in (None, ContactMode.SLACK):
            errors["contact"] = (
                "An anonymous conversation happens in Slack, through this app. Choose"
                ' "Slack message", or untick "Keep my name private".'
            )
        now = self._clock.now()
        async with self._db.transaction() as tx:
            if preferred is not None and "preferred_supporter" not in errors:
                supporter = await tx.roster.get(preferred)
                if supporter is None or supporter.trained_on is None:
                    errors["preferred_supporter"] = (
                        "That person isn't on the peer supporter roster. Leave this empty"
                        " and the next available supporter will be asked."
                    )
            if errors:
                raise InvalidForm(errors)
            existing = await tx.requests.open_for_requester(requester_id)
            if existing is not None:
                raise AlreadyHasOpenRequest(existing.id)
            assert area is not None and urgency is not None and contact is not None
            request = await tx.requests.create(
                requester_id=requester_id,
                area=area,
                urgency=urgency,
                contact=contact,
                preferred_supporter_id=preferred,
                note=note,
                excluded_ids=form.excluded_ids - {requester_id},
                now=now,
                incident_id=form.incident_id,
                anonymous=form.anonymous,
            )
            await self._record(tx, ScheduledKind.REQUEST_RECEIVED, requester_id, request.id, now)
        log.info("request %s created", request.id)
        self._homes.changed(requester_id, coordinators=True)
        return request

    async def start(self, *, request_id: int) -> RouteResult:
        """After a request is stored: tell the requester what happens next, then route it."""
        await self._send_notices(request_id)
        return await self.route(request_id=request_id)

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
        now = self._clock.now()
        is_open = self._hours.is_open(now)
        outbox = _Outbox()
        async with self._db.transaction() as tx:
            result = await self._route_in(tx, request_id, now, is_open, outbox)
        await self._flush(outbox)
        return result

    async def _route_in(
        self, tx: Tx, request_id: int, now: datetime, is_open: bool, outbox: _Outbox
    ) -> RouteResult:
        request = await tx.requests.get(request_id)
        if request is None or request.state not in ROUTABLE_STATES:
            return RouteResult.NOT_ROUTABLE
        if await tx.requests.offers_of(request_id, [OfferState.OPEN]):
            return RouteResult.STILL_OFFERED
        wanted = ASAP_FANOUT if request.urgency == Urgency.ASAP else 1
        picks = await self._pick(tx, request, now, is_open, wanted)
        if picks:
            for supporter in picks:
                offer = await tx.requests.add_offer(
                    request_id=request.id,
                    supporter_id=supporter.user_id,
                    now=now,
                    expires_at=self._deadline(now, supporter),
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
            log.info("request %s offered to %d supporter(s)", request.id, len(picks))
            return RouteResult.OFFERED
        if not is_open and request.state != RequestState.ESCALATED:
            if request.state == RequestState.OFFERED:
                await tx.requests.transition(request.id, RequestState.PENDING, now=now)
            log.info("request %s waits for service hours", request.id)
            return RouteResult.WAITING_FOR_HOURS
        if request.state == RequestState.ESCALATED:
            return RouteResult.STILL_ESCALATED
        first_time = request.escalated_at is None
        fields = {"escalated_at": now} if first_time else {}
        await tx.requests.transition(request.id, RequestState.ESCALATED, now=now, fields=fields)
        # Coordinators are alerted every time it comes back to them; the requester is told once.
        coordinators = await self._roles.coordinators_in(tx)
        if not coordinators:
            log.error("request %s escalated but no coordinators are configured", request.id)
        for coordinator_id in coordinators:
            # One alert each time it comes back: numbered, so a repeated decision records it once.
            seq = await tx.schedule.count_for_request(
                request.id, ScheduledKind.ESCALATION_ALERT, coordinator_id
            )
            await self._record(
                tx,
                ScheduledKind.ESCALATION_ALERT,
                coordinator_id,
                request.id,
                now,
                key=f"escalation_alert:{request.id}:{coordinator_id}:{seq}",
            )
        if first_time and request.requester_id is not None:
            await self._record(tx, ScheduledKind.REQUEST_ESCALATED, request.requester_id, request.id, now)
        outbox.notices_of = request.id
        outbox.homes.add(request.requester_id)
        outbox.coordinators = True
        log.warning("request %s escalated: no eligible supporter", request.id)
        return RouteResult.ESCALATED

    async def _pick(
        self, tx: Tx, request: PeerRequest, now: datetime, is_open: bool, wanted: int
    ) -> list[Supporter]:
        excluded = set(request.excluded_ids)
        if request.requester_id is not None:
            excluded.add(request.requester_id)
        today = self._hours.today(now)
        query = {
            "request_id": request.id,
            "today": today,
            "trained_after": self._policy.training.trained_after(today),
            "capacity": self._policy.capacity,
            "after_hours_only": not is_open,
        }
        picks: list[Supporter] = []
        if request.preferred_supporter_id is not None:
            picks = await tx.roster.eligible(
                excluded_ids=excluded, limit=1, only=request.preferred_supporter_id, **query
            )
        if len(picks) < wanted:
            excluded.update(p.user_id for p in picks)
            picks += await tx.roster.eligible(excluded_ids=excluded, limit=wanted - len(picks), **query)
        return picks

    def _deadline(self, now: datetime, supporter: Supporter) -> datetime:
        # The clock of an offer runs only while the program is open for that supporter.
        if supporter.after_hours:
            return now + self._policy.offer_timeout
        return self._hours.add_open_time(now, self._policy.offer_timeout)

    async def retry_waiting(self) -> None:
        """Route every request still waiting for a supporter (pending or escalated)."""
        async with self._db.read() as tx:
            waiting = await tx.requests.ids_in_states(
                [RequestState.PENDING, RequestState.OFFERED, RequestState.ESCALATED]
            )
        for request_id in waiting:
            await self.route(request_id=request_id)

    # Answers to offers

    async def accept(self, *, offer_id: int, user_id: str, clicked: MessageRef | None = None) -> PeerRequest:
        """Assign the request to the supporter who accepted; first Accept wins.

        ``clicked`` is where the clicked offer DM is: if a crash lost its reference
        before it was recorded, the click supplies it, so the DM is still redrawn.
        """
        now = self._clock.now()
        outbox = _Outbox()
        async with self._db.transaction() as tx:
            offer = await self._own_offer(tx, offer_id, user_id, clicked)
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
            assert request is not None
            if assigned:
                await tx.requests.set_offer_state(offer.id, OfferState.ACCEPTED, now=now)
                await tx.roster.reset_expiries(user_id)
                for other in await tx.requests.offers_of(offer.request_id, [OfferState.OPEN]):
                    await tx.requests.set_offer_state(other.id, OfferState.TAKEN, now=now)
                    outbox.redraw.append(other)
                # An anonymous requester is not told who: the relay opens their conversation.
                if request.requester_id is not None and not request.anonymous:
                    await self._record(
                        tx,
                        ScheduledKind.REQUEST_ASSIGNED,
                        request.requester_id,
                        request.id,
                        now,
                        key=f"request_assigned:{request.id}:{offer.id}",
                    )
                outbox.notices_of = request.id
            else:
                await tx.requests.set_offer_state(offer.id, OfferState.TAKEN, now=now)
            outbox.redraw.append(offer)
        if assigned:
            outbox.homes.update({request.requester_id, user_id})
            outbox.coordinators = True
        await self._flush(outbox)
        await self._redraw_duplicate(offer, clicked)
        if not assigned:
            raise OfferNoLongerOpen(OfferState.TAKEN)
        log.info("request %s assigned", request.id)
        if request.anonymous and self._hooks is not None:
            # Neither learns who the other is: the relay opens their conversation instead.
            await self._quietly(
                self._hooks.request_assigned(request_id=request.id), "open_conversation", request.id
            )
        return request

    async def pass_offer(self, *, offer_id: int, user_id: str, clicked: MessageRef | None = None) -> None:
        """Decline an offer; the request moves on to the next supporter."""
        now = self._clock.now()
        async with self._db.transaction() as tx:
            offer = await self._own_offer(tx, offer_id, user_id, clicked)
            if offer.state != OfferState.OPEN:
                raise OfferNoLongerOpen(offer.state)
            await tx.requests.set_offer_state(offer.id, OfferState.PASSED, now=now)
            await tx.roster.reset_expiries(user_id)
        log.info("request %s passed by one supporter", offer.request_id)
        await self._flush(_Outbox(redraw=[offer]))
        await self._redraw_duplicate(offer, clicked)
        await self.route(request_id=offer.request_id)

    async def expire_due(self) -> int:
        """Expire every offer past its deadline and move its request on; returns how many."""
        now = self._clock.now()
        async with self._db.read() as tx:
            due = await tx.requests.due_offers(now)
        expired = 0
        for offer in due:
            set_away = False
            outbox = _Outbox(redraw=[offer])
            async with self._db.transaction() as tx:
                current = await tx.requests.get_offer(offer.id)
                # An offer whose DM never landed (Slack kept failing) is given up, and is not
                # held against a supporter who never saw it.
                delivered = current is not None and current.message_ts is not None
                target = OfferState.EXPIRED if delivered else OfferState.UNDELIVERABLE
                if not await tx.requests.set_offer_state(offer.id, target, now=now):
                    continue  # answered, or expired by another sweep, in the meantime
                if delivered:
                    streak = await tx.roster.record_expiry(offer.supporter_id)
                    set_away = streak >= EXPIRIES_BEFORE_AWAY and await tx.roster.set_away(
                        offer.supporter_id, until=None
                    )
                if set_away:
                    # Keyed by the offer whose expiry decided it: set away again later, told again.
                    key = f"supporter_set_away:offer:{offer.id}"
                    await self._record(
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

    # The holder's actions

    async def hand_back(self, *, request_id: int, user_id: str) -> None:
        """Return a held request to the rotation (a conflict of interest, say)."""
        now = self._clock.now()
        async with self._db.transaction() as tx:
            offer = await self._give_up(tx, request_id, user_id, OfferState.HANDED_BACK, now)
        log.info("request %s handed back", request_id)
        await self._flush(_Outbox(redraw=[offer], homes={user_id}))
        await self._released(request_id, user_id, ConversationEnd.HANDED_BACK)
        await self.route(request_id=request_id)

    async def close(self, *, request_id: int, user_id: str, minutes: int, referral: Referral) -> None:
        """Close a held request after the contact, recording time spent and referral."""
        closed = await self.record_close(
            request_id=request_id, user_id=user_id, minutes=minutes, referral=referral
        )
        await self.announce_close(closed)

    async def record_close(
        self, *, request_id: int, user_id: str, minutes: int, referral: Referral
    ) -> ClosedRequest:
        """Write the close (no Slack call): done before the close modal is answered, so a modal
        that closed means a close that is stored. :meth:`announce_close` does the rest."""
        now = self._clock.now()
        async with self._db.transaction() as tx:
            closed = await tx.requests.transition(
                request_id,
                RequestState.CLOSED,
                now=now,
                assignee_id=user_id,
                fields={"closed_at": now, "minutes": minutes, "referral": referral},
            )
            if not closed:
                raise NotHeldByYou()
            offers = await tx.requests.offers_of(request_id, [OfferState.ACCEPTED])
            for offer in offers:
                await tx.requests.set_offer_state(
                    offer.id, OfferState.CLOSED, now=now, only_from=[OfferState.ACCEPTED]
                )
            request = await tx.requests.get(request_id)
            assert request is not None
            if request.requester_id is not None:
                await self._record(tx, ScheduledKind.REQUEST_CLOSED, request.requester_id, request.id, now)
            # The anonymous trace the program keeps: no requester, no request id.
            await tx.tracking.add_contact(
                occurred_on=self._hours.today(now),
                minutes=minutes,
                channel=ContactChannel.CHECKIN if request.incident_id else ContactChannel.REQUEST,
                referral=referral,
                supporter_id=user_id,
                areas=[Area(request.area)],
                incident_id=request.incident_id,
                now=now,
            )
        log.info("request %s closed", request_id)
        return ClosedRequest(request=request, offers=offers, supporter_id=user_id)

    async def announce_close(self, closed: ClosedRequest) -> None:
        """After a stored close: redraw the held card, end the conversation, tell the requester."""
        request, user_id = closed.request, closed.supporter_id
        await self._flush(
            _Outbox(redraw=closed.offers, homes={user_id, request.requester_id}, coordinators=True)
        )
        await self._released(request.id, user_id, ConversationEnd.CLOSED)
        # After the conversation's end (an anonymous requester sees it end first).
        await self._send_notices(request.id)

    async def held_by(self, *, supporter_id: str) -> list[PeerRequest]:
        """The requests a supporter holds now (theirs to see in full)."""
        async with self._db.read() as tx:
            held = [await tx.requests.get(i) for i in await tx.requests.assigned_to(supporter_id)]
        return [r for r in held if r is not None]

    async def held_request(self, *, request_id: int, user_id: str) -> PeerRequest:
        """The request if ``user_id`` holds it, else :class:`NotHeldByYou`."""
        async with self._db.read() as tx:
            request = await tx.requests.get(request_id)
        if request is None or request.state != RequestState.ASSIGNED or (request.assignee_id != user_id):
            raise NotHeldByYou()
        return request

    # The requester's actions

    async def status(self, *, requester_id: str) -> RequestStatus | None:
        """The requester's open request, if any."""
        async with self._db.read() as tx:
            request = await tx.requests.open_for_requester(requester_id)
        if request is None:
            return None
        return RequestStatus(
            request_id=request.id,
            state=request.state,
            assignee_id=None if request.anonymous else request.assignee_id,
            created_at=request.created_at,
            anonymous=request.anonymous,
        )

    async def cancel(self, *, requester_id: str) -> int:
        """Withdraw the requester's open request; returns its id."""
        now = self._clock.now()
        async with self._db.transaction() as tx:
            request = await tx.requests.open_for_requester(requester_id)
            if request is None or not await tx.requests.transition(
                request.id, RequestState.CANCELLED, now=now, fields={"closed_at": now}
            ):
                raise NoOpenRequest()
            live = await tx.requests.offers_of(request.id, [OfferState.OPEN, OfferState.ACCEPTED])
            for offer in live:
                await tx.requests.set_offer_state(
                    offer.id,
                    OfferState.WITHDRAWN,
                    now=now,
                    only_from=[OfferState.OPEN, OfferState.ACCEPTED],
                )
            if request.state == RequestState.ASSIGNED and request.assignee_id is not None:
                # The holder is told; anyone with an open offer only sees it redrawn as withdrawn.
                await self._record(tx, ScheduledKind.REQUEST_WITHDRAWN, request.assignee_id, request.id, now)
        log.info("request %s cancelled", request.id)
        resolved = (request, "withdrawn") if request.state == RequestState.ESCALATED else None
        homes = {requester_id, request.assignee_id}
        await self._flush(
            _Outbox(redraw=live, homes=homes, coordinators=True, resolved=resolved, notices_of=request.id)
        )
        if request.state == RequestState.ASSIGNED and request.assignee_id is not None:
            await self._released(request.id, request.assignee_id, ConversationEnd.CANCELLED)
        return request.id

    # Coordinators

    async def offer_to(self, *, request_id: int, supporter_id: str, coordinator_id: str) -> int:
        """A coordinator hands a waiting request to a named supporter, blind to who asked.

        Records the offer and returns its id; :meth:`send_offer` delivers it.
        """
        await self._roles.require_coordinator_role(coordinator_id)
        now = self._clock.now()
        today = self._hours.today(now)
        async with self._db.transaction() as tx:
            request = await tx.requests.get(request_id)
            if request is None or request.state not in (RequestState.ESCALATED, RequestState.PENDING):
                raise RequestNotWaiting()
            excluded = set(request.excluded_ids)
            if request.requester_id is not None:
                excluded.add(request.requester_id)
            picks = await tx.roster.eligible(
                request_id=request.id,
                excluded_ids=excluded,
                today=today,
                trained_after=self._policy.training.trained_after(today),
                capacity=_NO_CAPACITY_LIMIT,
                after_hours_only=False,
                limit=1,
                only=supporter_id,
            )
            if not picks:
                raise SupporterCannotTakeRequest()
            offer = await tx.requests.add_offer(
                request_id=request.id,
                supporter_id=supporter_id,
                now=now,
                expires_at=now + self._policy.offer_timeout,
            )
            await tx.roster.take_turn(supporter_id)
            await tx.requests.transition(request.id, RequestState.OFFERED, now=now)
            await tx.tracking.audit(
                actor_id=coordinator_id,
                action="escalation handed on",
                detail=f"request #{request_id} offered to <@{supporter_id}>",
                now=now,
            )
        log.info("request %s handed on by a coordinator", request_id)
        self._homes.changed(request.requester_id, coordinators=True)
        return offer.id

    async def send_offer(self, *, offer_id: int) -> None:
        """Deliver a recorded offer's DM (if it is still open and unsent)."""
        async with self._db.read() as tx:
            offer = await tx.requests.get_offer(offer_id)
            request = None if offer is None else await tx.requests.get(offer.request_id)
        if offer is None or request is None:
            return
        outbox = _Outbox(resolved=(request, "offered"))
        if offer.state == OfferState.OPEN and offer.message_ts is None:
            outbox.new_offers.append(offer)
        await self._flush(outbox)

    async def redraw_held(self, *, request_id: int) -> None:
        """Redraw the held offer of a request (after an anonymous requester shared their name)."""
        async with self._db.read() as tx:
            held = await tx.requests.offers_of(request_id, [OfferState.ACCEPTED])
        await self._flush(_Outbox(redraw=held))

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
        await self._flush(_Outbox(redraw=offers + held, homes={supporter_id}, coordinators=True))
        for offer in held:
            await self._released(offer.request_id, supporter_id, ConversationEnd.HANDED_BACK)
        for request_id in sorted({o.request_id for o in offers + held}):
            await self.route(request_id=request_id)

    # Recovery and the periodic sweep

    async def recover(self) -> None:
        """At start: send what a crash left unsent, and redraw offers answered in the last hour.

        An answer's redraw (the held card with Close, a taken or expired offer) happens after the
        commit; a crash in between left the card showing Accept and Pass, and the supporter who
        accepted without a Close button. Redrawing what was answered recently heals that.
        """
        # Whoever claimed these before the crash is gone (or, with several instances, may still be
        # sending: at least once, the same offer).
        await self.resend_unsent(claimed_too=True)
        async with self._db.read() as tx:
            answered = await tx.requests.answered_offers_since(self._clock.now() - REDRAW_AT_START)
        await self._flush(_Outbox(redraw=answered))

    async def resend_unsent(self, *, claimed_too: bool = False) -> None:
        """Send offers recorded but not delivered: at start (a crash between the two) and every sweep
        (Slack failed); until the offer's deadline, when :meth:`expire_due` gives it up.

        At least once: a DM that landed just before a crash, or whose answer timed out, is sent again
        (the same offer, so either copy answers it). An offer another instance claimed for sending
        less than :data:`SEND_LEASE` ago is left to it, unless ``claimed_too``.
        """
        async with self._db.read() as tx:
            unsent = [o for o in await tx.requests.unsent_open_offers() if o.id not in self._sending]
        if unsent:
            log.info("sending %d offer(s) recorded but not delivered", len(unsent))
        for offer in unsent:
            await self._deliver(offer, claimed_too=claimed_too)

    async def sweep(self) -> None:
        """The periodic job: end lapsed aways, expire offers, resend undelivered ones, route the waiting."""
        async with self._db.transaction() as tx:
            await tx.roster.end_lapsed_aways(self._hours.today(self._clock.now()))
        await self.expire_due()
        await self.resend_unsent()
        await self.retry_waiting()

    # Internals

    async def _released(self, request_id: int, supporter_id: str, why: ConversationEnd) -> None:
        if self._hooks is not None:
            await self._quietly(
                self._hooks.request_released(request_id=request_id, supporter_id=supporter_id, why=why),
                "end_conversation",
                request_id,
            )

    async def _own_offer(
        self, tx: Tx, offer_id: int, user_id: str, clicked: MessageRef | None = None
    ) -> Offer:
        offer = await tx.requests.get_offer(offer_id)
        if offer is None or offer.supporter_id != user_id:
            raise NotYourOffer()
        if offer.message_ts is None and clicked is not None:
            await tx.requests.set_offer_message(offer.id, clicked.channel_id, clicked.ts)
        return offer

    async def _give_up(
        self, tx: Tx, request_id: int, user_id: str, offer_state: OfferState, now: datetime
    ) -> Offer:
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
        for offer in accepted:
            await tx.requests.set_offer_state(offer.id, offer_state, now=now, only_from=[OfferState.ACCEPTED])
        assert accepted, "an assigned request always has its accepted offer"
        return accepted[0]

    async def _flush(self, outbox: _Outbox) -> None:
        for offer in outbox.new_offers:
            await self._deliver(offer)
        for offer in outbox.redraw:
            await self._redraw(offer.id)
        if outbox.homes or outbox.coordinators:
            self._homes.changed(*outbox.homes, coordinators=outbox.coordinators)
        if outbox.resolved is not None:
            await self._resolve_alerts(*outbox.resolved)
        if outbox.notices_of is not None:
            await self._send_notices(outbox.notices_of)
        if outbox.notice_keys:
            await self._send_keyed(outbox.notice_keys)

    async def _deliver(self, offer: Offer, *, claimed_too: bool = False) -> None:
        card = await self._card(offer.id)
        if card is None or offer.id in self._sending:
            return
        now = self._clock.now()
        async with self._db.transaction() as tx:
            claimed = await tx.requests.claim_offer_send(
                offer.id, now, stale_before=None if claimed_too else now - SEND_LEASE
            )
        if not claimed:
            return  # delivered, answered or withdrawn meanwhile, or on its way from another instance
        self._sending.add(offer.id)
        try:
            ref = await self._notifier.send_offer(offer.supporter_id, card)
            async with self._db.transaction() as tx:
                await tx.requests.set_offer_message(offer.id, ref.channel_id, ref.ts)
        except DeliveryFailed as failure:
            await self._unreachable(offer, failure.reason)
            return
        except Exception as exc:  # noqa: BLE001 - Slack down, rate-limited or slow: the sweep sends it again
            log.warning("offer %s not delivered yet: %s", offer.id, type(exc).__name__)
            async with self._db.transaction() as tx:
                await tx.requests.release_offer_send(offer.id)
            return
        finally:
            self._sending.discard(offer.id)
        # If the offer was answered or withdrawn while the DM was on its way, redraw it.
        current = await self._card(offer.id)
        if current is not None and current.state != OfferState.OPEN:
            await self._quietly(self._notifier.update_offer(ref, current), "update_offer", offer.request_id)

    async def _unreachable(self, offer: Offer, reason: str) -> None:
        """Slack will not DM this supporter: flag them unreachable (left out of the rotation and shown
        to coordinators on the Home tab) and away, record a note for each coordinator (the supporter
        and Slack's reason, never the request), and move their offers on. ``/peer available`` clears
        both."""
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
                    await self._record(
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
            await self._send_keyed(keys)
            await self.release_supporter(supporter_id=offer.supporter_id, hand_back=False)
        await self.route(request_id=offer.request_id)

    async def _redraw_duplicate(self, offer: Offer, clicked: MessageRef | None) -> None:
        """A crash between sending an offer and recording it can leave two DMs of one offer
        (the lost one and the resent one); the one clicked is redrawn as well."""
        if clicked is None or offer.message_ts in (None, clicked.ts):
            return
        card = await self._card(offer.id)
        if card is not None:
            await self._quietly(self._notifier.update_offer(clicked, card), "update_offer", offer.request_id)

    async def _redraw(self, offer_id: int) -> None:
        """Draw the offer's card as it stands, and again if it changed meanwhile.

        Two redraws of one card race (an accept's and a withdrawal's, on two tasks or two
        instances): whichever reaches Slack last wins, even with an older state. Reading the
        state again after each update, the last one to land always draws the newest state, so
        a card never keeps showing who asked after the request was withdrawn.
        """
        async with self._db.read() as tx:
            offer = await tx.requests.get_offer(offer_id)
        if offer is None or offer.channel_id is None or offer.message_ts is None:
            return
        ref = MessageRef(channel_id=offer.channel_id, ts=offer.message_ts)
        drawn: OfferCard | None = None
        for _ in range(REDRAWS_AT_MOST):
            card = await self._card(offer_id)
            if card is None or card == drawn:
                return
            try:
                await self._notifier.update_offer(ref, card)
            except Exception as exc:  # noqa: BLE001 - a redraw is healed at start; never fails the action
                log.warning("update_offer for request %s failed: %s", offer.request_id, type(exc).__name__)
                return
            drawn = card

    async def _card(self, offer_id: int) -> OfferCard | None:
        """The offer as its supporter may see it now: identity only while they hold it.

        An anonymous request never carries the requester, not even to its holder, until
        the requester shares their name.
        """
        async with self._db.read() as tx:
            offer = await tx.requests.get_offer(offer_id)
            request = None if offer is None else await tx.requests.get(offer.request_id)
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
        )

    # A request's notices

    @staticmethod
    async def _record(
        tx: Tx,
        kind: ScheduledKind,
        recipient_id: str,
        request_id: int | None,
        now: datetime,
        *,
        key: str | None = None,
        subject_id: str | None = None,
    ) -> None:
        """Record a notice with the decision; ``key`` when the same notice may be owed again later."""
        await tx.schedule.schedule(
            [
                NewScheduled(
                    kind=kind,
                    recipient_id=recipient_id,
                    request_id=request_id,
                    due_at=now,
                    dedupe_key=key,
                    subject_id=subject_id,
                )
            ]
        )

    async def _send_notices(self, request_id: int) -> None:
        if self._deliver_now is None:
            return
        async with self._db.read() as tx:
            due = await tx.schedule.due_for_request(request_id, REQUEST_NOTICES)
        await self._deliver_now(due)

    async def _send_keyed(self, keys: list[str]) -> None:
        """Send the notices just recorded under these keys (those about a supporter carry no request)."""
        if self._deliver_now is None or not keys:
            return
        async with self._db.read() as tx:
            due = await tx.schedule.due_with_keys(keys)
        await self._deliver_now(due)

    async def send_notice(self, message: ScheduledMessage) -> MessageRef:
        """Send one recorded notice as things stand now; one that no longer applies is skipped."""
        if message.kind in SUPPORTER_NOTICES:
            return await self._send_supporter_notice(message)
        async with self._db.read() as tx:
            request = await tx.requests.get(message.request_id or 0)
        if request is None or request.requester_id is None:
            raise DeliveryFailed("request gone or purged")
        match message.kind:
            case ScheduledKind.REQUEST_RECEIVED if request.state in OPEN_REQUEST_STATES:
                now = self._clock.now()
                opening = None if self._hours.is_open(now) else self._hours.next_opening(now)
                return await self._notifier.request_received(
                    request.requester_id,
                    request_id=request.id,
                    next_opening=opening,
                    anonymous=request.anonymous,
                )
            case ScheduledKind.REQUEST_ASSIGNED if (
                request.state == RequestState.ASSIGNED
                and request.assignee_id is not None
                and not request.anonymous
            ):
                return await self._notifier.request_assigned(
                    request.requester_id, supporter_id=request.assignee_id, contact=request.contact
                )
            case ScheduledKind.REQUEST_ESCALATED if request.state == RequestState.ESCALATED:
                return await self._notifier.request_escalated(request.requester_id)
            case ScheduledKind.ESCALATION_ALERT if request.state == RequestState.ESCALATED:
                # Even a request's area and urgency are for coordinators only.
                if not await self._roles.has_coordinator_role(message.recipient_id):
                    raise DeliveryFailed("recipient is no longer a coordinator")
                return await self._send_alert(message.recipient_id, request)
            case ScheduledKind.REQUEST_CLOSED if request.state == RequestState.CLOSED:
                return await self._notifier.request_closed(
                    request.requester_id, referral=request.referral or Referral.NONE
                )
            case ScheduledKind.REQUEST_WITHDRAWN if request.state == RequestState.CANCELLED:
                return await self._notifier.request_withdrawn(message.recipient_id, request_id=request.id)
        raise DeliveryFailed(f"request is {request.state}")

    async def _send_supporter_notice(self, message: ScheduledMessage) -> MessageRef:
        """A supporter's "set to away", or a coordinator's "this supporter can't get DMs", if still true."""
        unreachable = message.kind == ScheduledKind.SUPPORTER_UNREACHABLE
        supporter_id = message.subject_id if unreachable else message.recipient_id
        async with self._db.read() as tx:
            supporter = None if supporter_id is None else await tx.roster.get(supporter_id)
        if supporter is None:
            raise DeliveryFailed("supporter is no longer on the roster")
        if not unreachable:
            if not supporter.away:
                raise DeliveryFailed("supporter is no longer away")
            return await self._notifier.supporter_set_away(
                message.recipient_id, expired_in_a_row=EXPIRIES_BEFORE_AWAY
            )
        if supporter.unreachable is None:
            raise DeliveryFailed("supporter is reachable again")
        # Who is on the roster and why they can't be reached is for coordinators only.
        if not await self._roles.has_coordinator_role(message.recipient_id):
            raise DeliveryFailed("recipient is no longer a coordinator")
        return await self._notifier.supporter_unreachable(
            message.recipient_id, supporter_id=supporter.user_id, reason=supporter.unreachable
        )

    async def _send_alert(self, coordinator_id: str, request: PeerRequest) -> MessageRef:
        """One coordinator's alert; where it landed is kept so it is redrawn once the request
        no longer waits (at once, if that happened while it was on its way)."""
        ref = await self._notifier.alert_coordinator(coordinator_id, self._alert_card(request))
        async with self._db.transaction() as tx:
            await tx.requests.add_alerts(request.id, [ref])
            current = await tx.requests.get(request.id)
        if current is not None and current.state != RequestState.ESCALATED:
            resolution = "withdrawn" if current.state == RequestState.CANCELLED else "offered"
            await self._resolve_alerts(current, resolution)
        return ref

    @staticmethod
    def _alert_card(request: PeerRequest, resolution: str | None = None) -> EscalationCard:
        return EscalationCard(
            request_id=request.id,
            area=Area(request.area),
            urgency=Urgency(request.urgency),
            waiting_since=request.created_at,
            resolution=resolution,
        )

    async def _resolve_alerts(self, request: PeerRequest, resolution: str) -> None:
        async with self._db.transaction() as tx:
            refs = await tx.requests.take_alerts(request.id)
        if refs:
            await self._quietly(
                self._notifier.resolve_alerts(refs, self._alert_card(request, resolution)),
                "resolve_alerts",
                request.id,
            )

    _quietly = staticmethod(quietly)

    def _validate_choices(
        self, form: RequestForm
    ) -> tuple[Area | None, Urgency | None, ContactMode | None, dict[str, str]]:
        errors: dict[str, str] = {}
        area = choice(Area, form.area)
        urgency = choice(Urgency, form.urgency)
        contact = choice(ContactMode, form.contact)
        if area is None:
            errors["area"] = "Please choose what this is about."
        if urgency is None:
            errors["urgency"] = "Please choose how soon you'd like to talk."
        if contact is None:
            errors["contact"] = "Please choose how you'd like to be contacted."
        return area, urgency, contact, errors
