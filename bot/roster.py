"""The roster of peer supporters: who is on it, trained, available, and after-hours."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from bot.background import Background
from bot.errors import DateNotInFuture, NotOnRoster
from bot.peer_requests import RequestService
from bot.ports import Clock
from bot.roles import Roles
from bot.service_hours import ServiceHours
from storage.db import Database
from storage.models import Supporter

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RosterChange:
    """What a roster command changed."""

    added: list[str]
    updated: list[str]
    removed: list[str]
    not_found: list[str]


@dataclass(frozen=True)
class RosterEntry:
    """One supporter as coordinators see them."""

    supporter: Supporter
    available: bool


class RosterService:
    """Coordinators manage the roster; supporters manage their own availability."""

    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        hours: ServiceHours,
        roles: Roles,
        requests: RequestService,
        background: Background,
    ) -> None:
        self._db = db
        self._background = background
        self._clock = clock
        self._hours = hours
        self._roles = roles
        self._requests = requests

    async def add(
        self, *, coordinator_id: str, user_ids: Iterable[str], trained_on: date | None
    ) -> RosterChange:
        """Put people on the roster (or record their training date)."""
        self._roles.require_coordinator(coordinator_id)
        added: list[str] = []
        updated: list[str] = []
        async with self._db.transaction() as tx:
            for user_id in dict.fromkeys(user_ids):
                is_new = await tx.roster.add(user_id, trained_on=trained_on, now=self._clock.now())
                (added if is_new else updated).append(user_id)
                trained = f" trained {trained_on:%Y-%m-%d}" if trained_on else ""
                await tx.tracking.audit(
                    actor_id=coordinator_id,
                    action="roster add" if is_new else "roster update",
                    detail=f"<@{user_id}>{trained}",
                    now=self._clock.now(),
                )
        log.info("roster: %d added, %d updated", len(added), len(updated))
        self._retry_waiting()
        return RosterChange(added=added, updated=updated, removed=[], not_found=[])

    async def remove(self, *, coordinator_id: str, user_ids: Iterable[str]) -> RosterChange:
        """Take people off the roster; what they held goes back to the rotation."""
        self._roles.require_coordinator(coordinator_id)
        removed: list[str] = []
        not_found: list[str] = []
        async with self._db.transaction() as tx:
            for user_id in dict.fromkeys(user_ids):
                if await tx.roster.remove(user_id):
                    removed.append(user_id)
                    await tx.tracking.audit(
                        actor_id=coordinator_id,
                        action="roster remove",
                        detail=f"<@{user_id}>",
                        now=self._clock.now(),
                    )
                else:
                    not_found.append(user_id)
        log.info("roster: %d removed", len(removed))
        for user_id in removed:
            # What they held or were offered goes back to the rotation; nothing is stranded.
            self._background.spawn(
                self._requests.release_supporter(supporter_id=user_id, hand_back=True),
                name="release_removed_supporter",
            )
        return RosterChange(added=[], updated=[], removed=removed, not_found=not_found)

    async def entries(self, *, coordinator_id: str) -> list[RosterEntry]:
        """The roster with training, availability and open load (coordinators only)."""
        self._roles.require_coordinator(coordinator_id)
        today = self._hours.today(self._clock.now())
        async with self._db.read() as tx:
            supporters = await tx.roster.all()
        return [RosterEntry(supporter=s, available=_available(s, today)) for s in supporters]

    async def get(self, user_id: str) -> Supporter | None:
        """The supporter, if on the roster."""
        async with self._db.read() as tx:
            return await tx.roster.get(user_id)

    async def set_away(self, *, user_id: str, until: date | None) -> None:
        """Pause offers to a supporter; their open offers move on to someone else."""
        if until is not None and until <= self._hours.today(self._clock.now()):
            raise DateNotInFuture()
        async with self._db.transaction() as tx:
            if not await tx.roster.set_away(user_id, until=until):
                raise NotOnRoster()
        self._background.spawn(
            self._requests.release_supporter(supporter_id=user_id, hand_back=False),
            name="release_away_supporter",
        )

    async def set_available(self, *, user_id: str) -> None:
        """Resume offers to a supporter; waiting requests are tried again at once."""
        async with self._db.transaction() as tx:
            if not await tx.roster.set_available(user_id):
                raise NotOnRoster()
        self._retry_waiting()

    async def set_after_hours(self, *, user_id: str, enabled: bool) -> None:
        """Opt a supporter in or out of offers outside service hours."""
        async with self._db.transaction() as tx:
            if not await tx.roster.set_after_hours(user_id, enabled):
                raise NotOnRoster()
        if enabled:
            self._retry_waiting()

    def _retry_waiting(self) -> None:
        # Someone may have become eligible: waiting requests are tried again, after the reply.
        self._background.spawn(self._requests.retry_waiting(), name="retry_waiting")


def _available(supporter: Supporter, today: date) -> bool:
    if not supporter.away:
        return True
    return supporter.away_until is not None and supporter.away_until <= today
