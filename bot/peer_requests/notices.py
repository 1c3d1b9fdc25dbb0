"""What the requester, the holder and coordinators are told about a request, and a supporter's
"you were set to away" and coordinators' "this supporter can't get DMs".

Each notice is recorded in the same unit of work as the decision it reports (:meth:`Notices.record`)
and sent right after the commit through the delivery engine, which retries a refused one and never
sends one twice. When it is finally sent, :meth:`Notices.send_notice` checks that it still applies.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.errors import DeliveryFailed
from bot.failures import quietly
from bot.matching import wanted
from bot.peer_requests.shared import EXPIRIES_BEFORE_AWAY, DeliverNow
from bot.ports import Clock, EscalationCard, Notifier
from bot.roles import Roles
from bot.service_hours import ServiceHours
from storage.db import Database, Tx
from storage.models import (
    OPEN_REQUEST_STATES,
    REQUEST_NOTICES,
    ROUTABLE_STATES,
    SUPPORTER_NOTICES,
    TIMED_NOTICES,
    Area,
    MessageRef,
    OfferState,
    PeerRequest,
    Referral,
    RequestState,
    ScheduledKind,
    ScheduledMessage,
    Urgency,
)
from storage.schedule_repository import NewScheduled


async def record_notice(
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


async def record_unmatched(tx: Tx, request: PeerRequest, now: datetime) -> None:
    """Nobody who matches the requester's preferences was free, so another supporter was asked:
    the requester is told, once per request."""
    if request.requester_id is not None:
        await record_notice(tx, ScheduledKind.REQUEST_UNMATCHED, request.requester_id, request.id, now)


def alert_card(
    request: PeerRequest,
    resolution: str | None = None,
    *,
    urgent_waited: timedelta | None = None,
    opens_at: datetime | None = None,
) -> EscalationCard:
    """A coordinator's alert about a waiting request: never who asked, nor their note."""
    return EscalationCard(
        request_id=request.id,
        area=Area(request.area),
        urgency=Urgency(request.urgency),
        waiting_since=request.created_at,
        resolution=resolution,
        urgent_waited=urgent_waited,
        opens_at=opens_at,
    )


class Notices:
    """Sends recorded notices after their decision commits, and each one as things stand then."""

    def __init__(
        self,
        *,
        db: Database,
        notifier: Notifier,
        clock: Clock,
        hours: ServiceHours,
        roles: Roles,
        deliver_now: DeliverNow | None = None,
    ) -> None:
        self._db = db
        self._notifier = notifier
        self._clock = clock
        self._hours = hours
        self._roles = roles
        # Sends recorded notices at once (the scheduled-message engine); else they wait for its next run.
        self._deliver_now = deliver_now

    async def send_for_request(self, request_id: int) -> None:
        """Send the notices about this request recorded and not yet sent."""
        if self._deliver_now is None:
            return
        async with self._db.read() as tx:
            # Timed notices (the urgent-alert clock) wait for their due time and the engine's run.
            due = await tx.schedule.due_for_request(request_id, REQUEST_NOTICES - TIMED_NOTICES)
        await self._deliver_now(due)

    async def send_keyed(self, keys: list[str]) -> None:
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
                    request.requester_id,
                    supporter_id=request.assignee_id,
                    contact=request.contact,
                    request_id=request.id,
                )
            case ScheduledKind.REQUEST_UNMATCHED if request.state in OPEN_REQUEST_STATES:
                return await self._notifier.request_unmatched(request.requester_id, wanted=wanted(request))
            case ScheduledKind.REQUEST_ESCALATED if request.state == RequestState.ESCALATED:
                return await self._notifier.request_escalated(request.requester_id)
            case ScheduledKind.ESCALATION_ALERT if request.state == RequestState.ESCALATED:
                # Even a request's area and urgency are for coordinators only.
                if not await self._roles.has_coordinator_role(message.recipient_id):
                    raise DeliveryFailed("recipient is no longer a coordinator")
                return await self._send_alert(message.recipient_id, request)
            case ScheduledKind.URGENT_ALERT if request.state == RequestState.ESCALATED:
                raise DeliveryFailed("coordinators were alerted when it was escalated")
            case ScheduledKind.URGENT_ALERT if request.state in ROUTABLE_STATES:
                if not await self._roles.has_coordinator_role(message.recipient_id):
                    raise DeliveryFailed("recipient is no longer a coordinator")
                return await self._send_urgent_alert(message.recipient_id, request)
            case ScheduledKind.REQUEST_NOBODY_ON_CALL if request.state in ROUTABLE_STATES:
                now = self._clock.now()
                if self._hours.is_open(now):
                    raise DeliveryFailed("the program is open again")
                return await self._notifier.request_nobody_on_call(
                    request.requester_id, next_opening=self._hours.next_opening(now)
                )
            case ScheduledKind.REQUEST_CLOSED if request.state == RequestState.CLOSED:
                return await self._notifier.request_closed(
                    request.requester_id, referral=request.referral or Referral.NONE
                )
            case ScheduledKind.REQUEST_WITHDRAWN if request.state == RequestState.CANCELLED:
                return await self._notifier.request_withdrawn(message.recipient_id, request_id=request.id)
            case ScheduledKind.REACH_OUT_REMINDER if (
                request.state == RequestState.ASSIGNED and request.assignee_id == message.recipient_id
            ):
                return await self._remind(message.recipient_id, request)
            case ScheduledKind.REACH_OUT_LAPSED | ScheduledKind.REQUEST_MOVED_ON if (
                request.assignee_id != message.recipient_id
            ):
                return await self._notifier.request_moved_on(
                    message.recipient_id,
                    request_id=request.id,
                    lapsed=message.kind == ScheduledKind.REACH_OUT_LAPSED,
                )
            case ScheduledKind.TALK_QUESTION if request.state == RequestState.CLOSED:
                return await self._notifier.talk_question(request.requester_id, message_id=message.id)
            case ScheduledKind.HOLD_RELEASED:
                # Even a request's area and urgency are for coordinators only.
                if not await self._roles.has_coordinator_role(message.recipient_id):
                    raise DeliveryFailed("recipient is no longer a coordinator")
                return await self._notifier.hold_released(message.recipient_id, alert_card(request))
        raise DeliveryFailed(f"request is {request.state}")

    async def _remind(self, holder_id: str, request: PeerRequest) -> MessageRef:
        """The holder's one reminder to mark that they reached out, unless they have."""
        async with self._db.read() as tx:
            held = [
                o
                for o in await tx.requests.offers_of(request.id, [OfferState.ACCEPTED])
                if o.supporter_id == holder_id
            ]
        if not held or held[0].reached_out_at is not None or held[0].release_at is None:
            raise DeliveryFailed("the holder reached out")
        return await self._notifier.reach_out_reminder(
            holder_id, request_id=request.id, release_at=held[0].release_at
        )

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
        ref = await self._notifier.alert_coordinator(coordinator_id, alert_card(request))
        async with self._db.transaction() as tx:
            await tx.requests.add_alerts(request.id, [ref])
            current = await tx.requests.get(request.id)
        if current is not None and current.state != RequestState.ESCALATED:
            resolution = "withdrawn" if current.state == RequestState.CANCELLED else "offered"
            await self.resolve_alerts(current, resolution)
        return ref

    async def _send_urgent_alert(self, coordinator_id: str, request: PeerRequest) -> MessageRef:
        """One coordinator's alert that an urgent request has waited too long; redrawn like an
        escalation's once the request no longer waits (at once, if that happened meanwhile)."""
        now = self._clock.now()
        opens_at = None if self._hours.is_open(now) else self._hours.next_opening(now)
        ref = await self._notifier.alert_coordinator(
            coordinator_id, alert_card(request, urgent_waited=now - request.created_at, opens_at=opens_at)
        )
        async with self._db.transaction() as tx:
            await tx.requests.add_alerts(request.id, [ref])
            current = await tx.requests.get(request.id)
        if current is not None and current.state not in ROUTABLE_STATES:
            resolution = {
                RequestState.CANCELLED: "withdrawn",
                RequestState.ASSIGNED: "accepted",
            }.get(current.state, "ended")
            await self.resolve_alerts(current, resolution)
        return ref

    async def resolve_alerts_of(self, request_id: int, resolution: str) -> None:
        """:meth:`resolve_alerts`, given the request's id (read as it stands now)."""
        async with self._db.read() as tx:
            request = await tx.requests.get(request_id)
        if request is not None:
            await self.resolve_alerts(request, resolution)

    async def resolve_alerts(self, request: PeerRequest, resolution: str) -> None:
        """Redraw coordinators' alerts about a request that no longer waits ("offered", "withdrawn")."""
        async with self._db.transaction() as tx:
            refs = await tx.requests.take_alerts(request.id)
        if refs:
            await quietly(
                self._notifier.resolve_alerts(refs, alert_card(request, resolution)),
                "resolve_alerts",
                request.id,
            )
