"""After a close: "Did talking help?", asked once, kept only as counts.

The question is recorded with the close (``bot.peer_requests.lifecycle``) and sent by the delivery
engine right after the "closed" notice, once. Its answer (yes / somewhat / not really / I'd like
to keep talking) is counted in the calendar quarter it was given, in a table that holds nothing
but the quarter, the answer and a count: not the requester, the supporter or the request. The
question's own row only says that it was answered, never how. The counts are published like
every other statistic (``bot.tracking``: closed quarters only, small counts suppressed).

"I'd like to keep talking" makes a new request like the one closed, asked first of the supporter
who held it if they can take it now (the preferred-supporter rule), else routed as usual.
"""

from __future__ import annotations

import logging

from bot.errors import AlreadyAnswered, NotYourCheckin
from bot.failures import quietly
from bot.peer_requests import RequestForm, RequestService
from bot.periods import Quarter
from bot.ports import Clock, TalkCard, TalkNotifier
from bot.service_hours import ServiceHours
from storage.db import Database
from storage.models import (
    Area,
    ContactMode,
    MessageRef,
    PeerRequest,
    ScheduledKind,
    ScheduledState,
    TalkAnswer,
    Urgency,
)

log = logging.getLogger(__name__)


class TalkFeedback:
    """Answers the after-close question: a count, and, for "keep talking", a new request."""

    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        hours: ServiceHours,
        requests: RequestService,
        notifier: TalkNotifier,
    ) -> None:
        self._db = db
        self._clock = clock
        self._hours = hours
        self._requests = requests
        self._notifier = notifier

    async def answer(self, *, message_id: int, user_id: str, answer: TalkAnswer) -> bool | None:
        """Count the answer once; "keep talking" reopens. Returns whether a request was made then."""
        quarter = Quarter.of(self._hours.today(self._clock.now()))
        async with self._db.transaction() as tx:
            message = await tx.schedule.get(message_id)
            if (
                message is None
                or message.recipient_id != user_id
                or message.kind != ScheduledKind.TALK_QUESTION
            ):
                raise NotYourCheckin()
            # No answer time is kept on the question: it would point at the count that moved.
            if not await tx.schedule.transition(
                message.id, ScheduledState.ANSWERED, only_from=[ScheduledState.SENT]
            ):
                raise AlreadyAnswered()
            await tx.tracking.count_talk_answer(quarter.start, answer)
            closed = await tx.requests.get(message.request_id or 0)
            holder = closed.assignee_id if closed is not None else None
            supporter = None if holder is None else await tx.roster.get(holder)
            on_roster = supporter is not None and supporter.trained_on is not None
        log.info("after-close question %s answered", message_id)
        reopened = None
        if answer == TalkAnswer.KEEP_TALKING:
            form = _again(closed, holder if on_roster else None)
            reopened = await self._requests.ask_for_peer(requester_id=user_id, form=form)
        if message.channel_id and message.message_ts:
            ref = MessageRef(channel_id=message.channel_id, ts=message.message_ts)
            card = TalkCard(message_id=message.id, answer=answer, reopened=reopened)
            await quietly(self._notifier.update_talk_question(ref, card), "update_talk_question")
        return reopened


def _again(closed: PeerRequest | None, holder: str | None) -> RequestForm:
    """A request like the one closed (if it is still known), its supporter asked first."""
    if closed is None or closed.requester_id is None:
        return RequestForm(area=Area.OTHER, urgency=Urgency.THIS_WEEK, contact=ContactMode.SLACK)
    return RequestForm(
        area=closed.area,
        urgency=closed.urgency,
        contact=closed.contact,
        preferred_supporter_id=holder if holder not in closed.excluded_ids else None,
        excluded_ids=closed.excluded_ids,
        anonymous=closed.anonymous,
    )
