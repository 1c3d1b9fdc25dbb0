"""What every part of the request service shares: the program's settings, its constants, the
hooks by which the relay of anonymous conversations hears of a request's life."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from bot.training import TrainingPolicy
from storage.models import ConversationEnd, Urgency

log = logging.getLogger(__name__)

# "As soon as possible" goes to this many supporters at once; the first Accept wins.
ASAP_FANOUT = 3
# People a request may list as "rather not talk to": a payload is bounded (issue 15, finding 8).
MAX_EXCLUDED = 10
# Offers let expire in a row before a supporter is set to away.
EXPIRIES_BEFORE_AWAY = 3
# A card redrawn this many times in a row because its state kept changing is left to the next.
REDRAWS_AT_MOST = 3
# At start, offers answered this recently are redrawn, in case a crash cut off their redraw.
REDRAW_AT_START = timedelta(hours=1)
# An offer DM claimed for sending this recently is left to its sender by other instances' sweeps.
SEND_LEASE = timedelta(minutes=2)

# Sends recorded notices at once (the scheduled-message engine), given their ids.
DeliverNow = Callable[[Iterable[int]], Awaitable[None]]


@dataclass(frozen=True)
class RequestPolicy:
    """The program's routing settings."""

    offer_timeout: timedelta  # a "this week" request's offer (and any urgency without its own)
    capacity: int
    note_max_length: int
    training: TrainingPolicy
    # An "as soon as possible" request nobody has accepted this long after it was made alerts the
    # coordinators (once each); routing goes on meanwhile.
    urgent_alert_after: timedelta = timedelta(minutes=10)
    # How long an offer waits, by the request's urgency (unset: ``offer_timeout``).
    offer_timeout_asap: timedelta | None = None
    offer_timeout_no_rush: timedelta | None = None
    # Follow-through: a holder who has not said they reached out this long after accepting is
    # reminded once; as long again after that, the request goes to the next supporter.
    reach_out_within: timedelta = timedelta(days=1)
    reach_out_within_asap: timedelta = timedelta(hours=2)

    def reach_out_within_for(self, urgency: str) -> timedelta:
        """How long the holder of a request of this urgency has to say they reached out."""
        return self.reach_out_within_asap if urgency == Urgency.ASAP else self.reach_out_within

    def offer_timeout_for(self, urgency: str) -> timedelta:
        """How long an offer of a request of this urgency waits for an answer."""
        if urgency == Urgency.ASAP and self.offer_timeout_asap is not None:
            return self.offer_timeout_asap
        if urgency == Urgency.NO_RUSH and self.offer_timeout_no_rush is not None:
            return self.offer_timeout_no_rush
        return self.offer_timeout


class ConversationHooks(Protocol):
    """What the relay of anonymous requests hears of a request's life (see ``bot.relay``)."""

    async def request_assigned(self, *, request_id: int) -> None:
        """An anonymous request was accepted: open its conversation."""
        ...

    async def request_released(self, *, request_id: int, supporter_id: str, why: ConversationEnd) -> None:
        """The supporter no longer holds the request: end their conversation, if any."""
        ...
