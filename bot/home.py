"""The App Home: what each person sees there, by role, and keeping it fresh.

Everyone sees a way to ask for a peer, their own open request, upcoming events and
the resources. Supporters also see their availability, the requests they hold, a way
to log a contact and their training. Coordinators also see the roster at a glance,
how many requests wait (never who), upcoming events as counts, and their tools.

The Home is published when it is opened, and again whenever something it shows
changes for that person: services call :meth:`HomeRefresher.changed`, which coalesces
bursts and publishes in the background, so no reply to Slack waits for it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from bot.announcements import AnnouncementService
from bot.background import Background
from bot.checkins import CheckinService
from bot.concerns import ConcernService
from bot.failures import failure
from bot.peer_requests import RequestService, RequestStatus
from bot.ports import Clock
from bot.profiles import ProfileService, TeamMember
from bot.resources import ResourceService
from bot.roles import Roles
from bot.roster import RosterEntry, RosterService
from bot.tracking import RequestGlance, TrackingService
from bot.training import TrainingState
from bot.volunteers import VolunteerService
from storage.db import Database
from storage.models import (
    Announcement,
    Incident,
    PeerRequest,
    Resource,
    Supporter,
    SupporterProfile,
    Volunteer,
)

log = logging.getLogger(__name__)

# Names listed on a coordinator's Home per group; the rest are counted ("and 4 more").
LIST_MAX = 8


@dataclass(frozen=True)
class SupporterHome:
    """A supporter's part of their Home."""

    entry: RosterEntry
    held: list[PeerRequest]  # requests they hold: the requester is theirs to know
    minutes_this_quarter: int = 0  # time they recorded: shown to them alone
    profile: SupporterProfile | None = None  # what they publish in the team directory


@dataclass(frozen=True)
class RosterGlance:
    """The roster as counts, with names only of supporters who need a coordinator's attention."""

    active: int = 0  # would get offers now
    away: int = 0
    in_training: int = 0
    suspended: int = 0
    lapsed: list[Supporter] = field(default_factory=list)
    due_soon: list[tuple[Supporter, date]] = field(default_factory=list)
    unreachable: list[Supporter] = field(default_factory=list)


@dataclass(frozen=True)
class CoordinatorHome:
    """A coordinator's part of their Home: counts, never who asked."""

    roster: RosterGlance
    volunteers: list[Volunteer]
    requests: RequestGlance  # as of the start of the day, small counts hidden
    concerns: int  # raised about colleagues, not yet acted on
    min_count: int
    # The roster as a table: role, unit, availability, load (start of day, banded), training.
    entries: list[RosterEntry] = field(default_factory=list)
    # Incidents still followed up, each with a way to its follow-up view (no counts here).
    incidents: list[Incident] = field(default_factory=list)


@dataclass(frozen=True)
class HomeSnapshot:
    """Everything one person's Home shows, by role."""

    user_id: str
    request: RequestStatus | None
    events: list[Announcement]
    going: set[int]
    volunteering: bool  # their offer to volunteer waits for a decision
    supporter: SupporterHome | None = None
    coordinator: CoordinatorHome | None = None
    # The crisis lines, then the office's directory (empty: the short PEER_RESOURCES lines instead).
    resources: tuple[Resource, ...] = ()
    # An administrator (who is not a coordinator): the statistics and the quarterly report only.
    administrator: bool = False
    # The team directory (who could be offered a request), as everyone sees it.
    team: tuple[TeamMember, ...] = ()


class HomePublisher(Protocol):
    """Publishes a person's Home (the Slack side implements it with ``views.publish``)."""

    async def publish_home(self, user_id: str, snapshot: HomeSnapshot) -> None:
        """Show ``snapshot`` on the person's Home tab."""
        ...


class HomeService:
    """Builds each person's Home from the program's state, showing only what their role may see."""

    def __init__(
        self,
        *,
        db: Database,
        roles: Roles,
        requests: RequestService,
        roster: RosterService,
        volunteers: VolunteerService,
        announcements: AnnouncementService,
        concerns: ConcernService,
        tracking: TrackingService,
        publisher: HomePublisher,
        clock: Clock,
        directory: ResourceService | None = None,
        profiles: ProfileService | None = None,
        checkins: CheckinService | None = None,
    ) -> None:
        self._checkins = checkins
        self._directory = directory
        self._profiles = profiles
        self._db = db
        self._clock = clock
        self._roles = roles
        self._requests = requests
        self._roster = roster
        self._volunteers = volunteers
        self._announcements = announcements
        self._concerns = concerns
        self._tracking = tracking
        self._publisher = publisher

    async def snapshot(self, user_id: str) -> HomeSnapshot:
        """What this person's Home shows now."""
        events, going = await self._announcements.upcoming(user_id=user_id)
        entry = await self._roster.entry(user_id)
        supporter = None
        if entry is not None:
            supporter = SupporterHome(
                entry=entry,
                held=await self._requests.held_by(supporter_id=user_id),
                minutes_this_quarter=await self._tracking.your_minutes(user_id),
                profile=await self._profiles.own(user_id=user_id) if self._profiles else None,
            )
        coordinator = None
        if await self._roles.has_coordinator_role(user_id):
            coordinator = await self._coordinator(user_id)
        administrator = coordinator is None and await self._roles.has_administrator_role(user_id)
        return HomeSnapshot(
            user_id=user_id,
            request=await self._requests.status(requester_id=user_id),
            events=events,
            going=going,
            volunteering=await self._volunteers.pending_of(user_id) is not None,
            supporter=supporter,
            coordinator=coordinator,
            resources=await self._directory.directory() if self._directory else (),
            administrator=administrator,
            team=tuple(await self._profiles.team()) if self._profiles else (),
        )

    async def opened(self, user_id: str) -> None:
        """The person opened the Home tab: remember it, and publish the Home as it is now."""
        async with self._db.transaction() as tx:
            await tx.roles.home_opened(user_id, now=self._clock.now())
        await self._publisher.publish_home(user_id, await self.snapshot(user_id))

    async def refresh(self, user_ids: list[str]) -> None:
        """Republish the Homes of those who have opened theirs (the others see it when they do)."""
        async with self._db.read() as tx:
            viewers = await tx.roles.home_viewers(user_ids)
        for user_id in sorted(viewers):
            try:
                await self._publisher.publish_home(user_id, await self.snapshot(user_id))
            except Exception as exc:  # noqa: BLE001 - a Home that fails to publish is redrawn when opened
                log.warning("home refresh failed: %s", failure(exc))

    async def _coordinator(self, user_id: str) -> CoordinatorHome:
        entries = await self._roster.entries(coordinator_id=user_id)
        return CoordinatorHome(
            roster=glance(entries),
            volunteers=await self._volunteers.pending(coordinator_id=user_id),
            requests=await self._tracking.request_glance(),
            min_count=self._tracking.min_count,
            concerns=await self._concerns.open_count(coordinator_id=user_id),
            entries=entries,
            incidents=await self._checkins.open_incidents(coordinator_id=user_id) if self._checkins else [],
        )


def glance(entries: list[RosterEntry]) -> RosterGlance:
    """The roster at a glance: counts, and who needs attention (lapsed, due, unreachable)."""
    lapsed = [e.supporter for e in entries if e.training == TrainingState.LAPSED]
    due = [
        (e.supporter, e.lapses_on) for e in entries if e.training == TrainingState.DUE_SOON and e.lapses_on
    ]
    return RosterGlance(
        active=sum(1 for e in entries if e.gets_offers),
        away=sum(1 for e in entries if not e.available and not e.supporter.suspended),
        in_training=sum(1 for e in entries if e.training == TrainingState.UNTRAINED),
        suspended=sum(1 for e in entries if e.supporter.suspended),
        lapsed=lapsed,
        due_soon=due,
        unreachable=[e.supporter for e in entries if e.supporter.unreachable],
    )


class HomeRefresher:
    """Publishes the Homes of the people something changed for, in the background, coalescing bursts.

    Services call :meth:`changed` right after they commit; a burst of changes for one
    person publishes their Home once (or twice, if it changes again mid-publish).
    """

    def __init__(self, background: Background) -> None:
        self._background = background
        self._pending: set[str] = set()
        self._coordinators = False
        self._worker: asyncio.Task[None] | None = None
        self._refresh: Callable[[list[str]], Awaitable[None]] | None = None
        self._all_coordinators: Callable[[], Awaitable[list[str]]] | None = None

    def bind(
        self,
        refresh: Callable[[list[str]], Awaitable[None]],
        coordinators: Callable[[], Awaitable[list[str]]],
    ) -> None:
        """Connect to the Home service (built after the services that report changes)."""
        self._refresh = refresh
        self._all_coordinators = coordinators

    def changed(self, *user_ids: str | None, coordinators: bool = False) -> None:
        """What these people (and, if asked, every coordinator) see on their Home has changed."""
        self._pending.update(u for u in user_ids if u)
        self._coordinators = self._coordinators or coordinators
        if self._refresh is not None and (self._worker is None or self._worker.done()):
            self._worker = self._background.spawn(self._run(), name="refresh_homes")

    async def _run(self) -> None:
        if self._refresh is None or self._all_coordinators is None:
            raise RuntimeError("the Home refresher is not bound")
        while self._pending or self._coordinators:
            if self._coordinators:
                self._coordinators = False
                self._pending.update(await self._all_coordinators())
            # Everything asked for so far goes in one round; changes meanwhile make another.
            batch, self._pending = sorted(self._pending), set()
            await self._refresh(batch)
