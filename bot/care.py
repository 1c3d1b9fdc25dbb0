"""Care for the supporters: after a conversation they marked as heavy, the program checks in on them.

A day later (inside their working hours) the supporter gets a DM offering a peer of
their own. "I'd like to talk to a peer" makes a request routed like any other, except
that it is never offered to the colleague they supported: a pair never swaps roles
over the same weight. The check-in goes through the delivery engine, so it is sent once.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.checkins import CheckinService
from bot.deliveries import Deliveries
from bot.errors import AlreadyAnswered, DeliveryFailed, NotYourCheckin
from bot.failures import quietly
from bot.peer_requests import RequestForm, RequestService
from bot.ports import CareCard, CareNotifier, Clock
from storage.db import Database
from storage.models import (
    Area,
    CareAnswer,
    ContactMode,
    MessageRef,
    ScheduledKind,
    ScheduledMessage,
    ScheduledState,
    Urgency,
)

log = logging.getLogger(__name__)

CARE_DELAY = timedelta(days=1)


class CareService:
    """Schedules, sends and answers the check-ins with supporters after heavy conversations."""

    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        notifier: CareNotifier,
        checkins: CheckinService,
        requests: RequestService,
        deliveries: Deliveries,
    ) -> None:
        self._db = db
        self._clock = clock
        self._notifier = notifier
        self._checkins = checkins
        self._requests = requests
        deliveries.register([ScheduledKind.CARE_CHECKIN], self._send)

    async def heavy(self, *, request_id: int, supporter_id: str) -> None:
        """The supporter closed a request as heavy: check in with them a day later (once)."""
        await self._checkins.schedule_for_supporter(
            kind=ScheduledKind.CARE_CHECKIN,
            request_id=request_id,
            supporter_id=supporter_id,
            after=CARE_DELAY,
            dedupe_key=f"care:{request_id}",
        )
        log.info("care check-in for request %s scheduled", request_id)

    async def answer(self, *, message_id: int, user_id: str, answer: CareAnswer) -> None:
        """Record the answer; "talk" makes a request that never goes to the colleague they supported."""
        async with self._db.transaction() as tx:
            message = await tx.schedule.get(message_id)
            if (
                message is None
                or message.recipient_id != user_id
                or message.kind != ScheduledKind.CARE_CHECKIN
            ):
                raise NotYourCheckin()
            if not await tx.schedule.transition(
                message.id, ScheduledState.ANSWERED, only_from=[ScheduledState.SENT]
            ):
                raise AlreadyAnswered()
            supported = await tx.requests.get(message.request_id or 0)
        log.info("care check-in %s answered", message_id)
        request_made = None
        if answer == CareAnswer.TALK:
            # Never the same pair: the colleague they supported is never offered their request.
            excluded = frozenset({supported.requester_id} if supported and supported.requester_id else set())
            form = RequestForm(
                area=Area.TRAUMA, urgency=Urgency.THIS_WEEK, contact=ContactMode.SLACK, excluded_ids=excluded
            )
            request_made = await self._requests.ask_for_peer(requester_id=user_id, form=form)
        if message.channel_id and message.message_ts:
            ref = MessageRef(channel_id=message.channel_id, ts=message.message_ts)
            card = CareCard(message_id=message.id, answer=answer, request_made=request_made)
            await quietly(self._notifier.update_care_checkin(ref, card), "update_care_checkin")

    async def _send(self, message: ScheduledMessage) -> MessageRef:
        async with self._db.read() as tx:
            request = await tx.requests.get(message.request_id or 0)
        # Only for a request this supporter held (and closed).
        if request is None or request.assignee_id != message.recipient_id:
            raise DeliveryFailed("no longer applies")
        return await self._notifier.send_care_checkin(message.recipient_id, CareCard(message_id=message.id))
