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
alerts (and, due later, their alerts of urgent requests nobody accepted in time, brought forward
after hours when nobody is on call, with the requester's "nobody is on call now") and
"a supporter can't get DMs", and a supporter's "you were set to away".

The parts, each importing only those below it (no cycle)::

    facade     RequestService: the public methods, passed on to the parts
    lifecycle  create, cancel, close; what requester and holder see
    follow_through  "I've reached out", releasing a hold nobody reached out on, "someone else"
    routing    who is next (round robin), fan-out, expiry, pass, accept, hand-to, release
    urgent     the clock on urgent requests (coordinators alerted), a coordinator taking one on
    outbox     what a decision sends after its commit
    offers     offer DMs: at least once, redraws, unreachable supporters, recovery
    holds      the follow-through recorded when a request is assigned (reminder, release time)
    notices    requester, holder and coordinator notices
    shared     settings, constants, relay hooks
"""

from bot.peer_requests.facade import RequestService
from bot.peer_requests.lifecycle import ClosedRequest, RequestForm, RequestStatus
from bot.peer_requests.routing import RouteResult
from bot.peer_requests.shared import (
    EXPIRIES_BEFORE_AWAY,
    MAX_EXCLUDED,
    ConversationHooks,
    DeliverNow,
    RequestPolicy,
)

__all__ = [
    "EXPIRIES_BEFORE_AWAY",
    "MAX_EXCLUDED",
    "ClosedRequest",
    "ConversationHooks",
    "DeliverNow",
    "RequestForm",
    "RequestPolicy",
    "RequestService",
    "RequestStatus",
    "RouteResult",
]
