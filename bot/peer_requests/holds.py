"""Starting the follow-through on a held request: recorded in the unit of work that assigns it.

When a supporter accepts (or a coordinator takes an urgent request on), their held card asks them
to mark "I've reached out". Two things are recorded with the assignment, so a restart or a second
instance changes nothing:

- a :attr:`~storage.models.ScheduledKind.REACH_OUT_REMINDER` to the holder, due
  ``RequestPolicy.reach_out_within_for(urgency)`` later, sent by the delivery engine once, and only
  if they have not marked it by then (``bot.peer_requests.notices``);
- the offer's ``release_at``, as long again after the reminder: past it, the periodic sweep gives
  the request to the next supporter (``bot.peer_requests.follow_through``), a conditional update
  that only one sweep wins.

An urgent request's windows run in real time (someone is waiting now); the others' in the
program's open time, as offers do.
"""

from __future__ import annotations

from datetime import datetime

from bot.peer_requests.notices import record_notice
from bot.peer_requests.shared import RequestPolicy
from bot.service_hours import ServiceHours
from storage.db import Tx
from storage.models import Offer, PeerRequest, ScheduledKind, Urgency


async def start_follow_through(
    tx: Tx, request: PeerRequest, offer: Offer, now: datetime, *, policy: RequestPolicy, hours: ServiceHours
) -> None:
    """Record the holder's reminder and the request's release time (with the assignment)."""
    within = policy.reach_out_within_for(request.urgency)
    if request.urgency == Urgency.ASAP:
        remind_at, release_at = now + within, now + 2 * within
    else:
        remind_at, release_at = hours.add_open_time(now, within), hours.add_open_time(now, 2 * within)
    await record_notice(
        tx,
        ScheduledKind.REACH_OUT_REMINDER,
        offer.supporter_id,
        request.id,
        remind_at,
        key=f"reach_out_reminder:{offer.id}",
    )
    await tx.requests.set_release_at(offer.id, release_at)
