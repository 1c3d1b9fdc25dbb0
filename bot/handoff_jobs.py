"""What each kind of handed-off work is: the service calls a worker makes from a row's ids.

Registered on every :class:`~bot.handoff.Handoff` (in one process the same jobs run in the
background), so the web role and the embedded default share one definition of each.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta
from typing import Any

from bot.checkins import IncidentChanged
from bot.errors import AlreadyDecided, VolunteerNotFound
from bot.handoff import HandoffKind, Job
from bot.peer_requests.routing import HandedTo
from bot.services import Services

log = logging.getLogger(__name__)


def register_jobs(services: Services, *, replay_click: Job) -> None:
    """Register every kind's job; ``replay_click`` runs a click's listener again (Slack-side)."""
    requests = services.requests

    async def close_request(args: Mapping[str, Any]) -> None:
        # After a stored close: the cards, the requester, and the supporter's own care.
        request_id, supporter_id = int(args["request_id"]), str(args["supporter_id"])
        await requests.announce_close(await requests.closed(request_id=request_id, supporter_id=supporter_id))
        if args.get("heavy"):
            await services.care.heavy(request_id=request_id, supporter_id=supporter_id)
        if args.get("follow_up_days"):
            await services.checkins.schedule_follow_up(
                request_id=request_id,
                supporter_id=supporter_id,
                after=timedelta(days=int(args["follow_up_days"])),
            )

    async def send_offer(args: Mapping[str, Any]) -> None:
        offer_id = args.get("offer_id")
        handed = HandedTo(
            request_id=int(args["request_id"]), offer_id=None if offer_id is None else int(offer_id)
        )
        await requests.send_offer(handed=handed)

    async def schedule_change(args: Mapping[str, Any]) -> None:
        changed = IncidentChanged(
            incident_id=int(args["incident_id"]),
            added=tuple(args["added"]),
            new_steps=tuple(args["new_steps"]),
            cancelled=int(args["cancelled"]),
        )
        await services.checkins.schedule_change(changed)

    async def share_resources(args: Mapping[str, Any]) -> None:
        await services.shares.deliver(await services.shares.prepared(**args))

    async def decide_volunteer(args: Mapping[str, Any]) -> None:
        try:
            await services.volunteers.decide(**args)
        except (AlreadyDecided, VolunteerNotFound):
            log.info("volunteer %s: decided by someone else first", args.get("volunteer_id"))

    async def homes(args: Mapping[str, Any]) -> None:
        await services.homes.refresh([str(u) for u in args["users"]])

    jobs: dict[HandoffKind, Job] = {
        HandoffKind.START_REQUEST: _by_ids(requests.start),
        HandoffKind.CLOSE_REQUEST: close_request,
        HandoffKind.SEND_OFFER: send_offer,
        HandoffKind.HOMES: homes,
        HandoffKind.CLICK: replay_click,
        HandoffKind.RETRY_WAITING: _by_ids(requests.retry_waiting),
        HandoffKind.RELEASE_SUPPORTER: _by_ids(requests.release_supporter),
        HandoffKind.PREPARE_INCIDENT: _by_ids(services.checkins.prepare),
        HandoffKind.PUBLISH_EVENTS: _by_ids(services.announcements.publish),
        HandoffKind.REDRAW_EVENT: _by_ids(services.announcements.redraw),
        HandoffKind.ALERT_CONCERN: _by_ids(services.concerns.alert),
        HandoffKind.ASK_COORDINATORS: _by_ids(services.volunteers.ask_coordinators),
        HandoffKind.DECIDE_VOLUNTEER: decide_volunteer,
        HandoffKind.SCHEDULE_CHANGE: schedule_change,
        HandoffKind.SHARE_RESOURCES: share_resources,
        HandoffKind.REDRAW: _by_ids(requests.redraw),
        HandoffKind.RELEASED: _by_ids(requests.released),
    }
    for kind, job in jobs.items():
        services.handoff.register(kind, job)


def _by_ids(work: Callable[..., Awaitable[object]]) -> Job:
    """A service call whose keyword arguments are the handoff's ids."""

    async def job(args: Mapping[str, Any]) -> None:
        await work(**args)

    return job
