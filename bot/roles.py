"""Who holds which role in the program.

Coordinators come from ``PEER_COORDINATORS`` and from the database (added in Slack
with ``/peer coordinators add``). Every check reads the database, so a coordinator
removed on one instance is refused at once on every other instance too.

Administrators (``PEER_ADMINISTRATORS`` and ``/peer administrators add``) see the
statistics, exports and the quarterly report, and nothing else: no roster, incidents,
concerns, alerts or audit. A person may hold several roles; each action asks for the
role it needs (``require_coordinator_role`` or ``require_statistics_role``).

The checks are coroutines with names of their own (not ``is_coordinator``): a call
left without ``await`` fails loudly instead of returning a truthy coroutine.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.errors import (
    AdministratorFromSettings,
    CoordinatorFromSettings,
    LastCoordinator,
    NotAllowed,
    StatisticsNotAllowed,
)
from bot.ports import Clock, HomeRefresh, NoHomeRefresh
from storage.db import Database, Tx


@dataclass(frozen=True)
class CoordinatorChange:
    """What a coordinators command changed."""

    changed: list[str]
    unchanged: list[str]


class Roles:
    """The coordinator and administrator roles: checked on every action that needs one, by command
    or button."""

    def __init__(
        self,
        coordinators: Iterable[str],
        *,
        db: Database,
        clock: Clock,
        homes: HomeRefresh | None = None,
        administrators: Iterable[str] = (),
    ) -> None:
        self._from_settings = frozenset(coordinators)
        self._administrators_from_settings = frozenset(administrators)
        self._db = db
        self._clock = clock
        self._homes: HomeRefresh = homes or NoHomeRefresh()

    async def has_coordinator_role(self, user_id: str) -> bool:
        """Whether the user holds the coordinator role now."""
        if user_id in self._from_settings:
            return True
        async with self._db.read() as tx:
            return await tx.roles.is_coordinator(user_id)

    async def require_coordinator_role(self, user_id: str) -> None:
        """Raise :class:`NotAllowed` unless the user is a coordinator now."""
        if not await self.has_coordinator_role(user_id):
            raise NotAllowed("coordinator role required")

    async def has_administrator_role(self, user_id: str) -> bool:
        """Whether the user holds the administrator role now (statistics and reports only)."""
        if user_id in self._administrators_from_settings:
            return True
        async with self._db.read() as tx:
            return await tx.roles.is_administrator(user_id)

    async def require_statistics_role(self, user_id: str) -> None:
        """Raise :class:`StatisticsNotAllowed` unless the user is a coordinator or an administrator."""
        if not await self.has_coordinator_role(user_id) and not await self.has_administrator_role(user_id):
            raise StatisticsNotAllowed("coordinator or administrator role required")

    async def all_administrators(self) -> list[str]:
        """Every administrator (settings and Slack), in a stable order (coordinators only)."""
        async with self._db.read() as tx:
            added = await tx.roles.administrators()
        return sorted(self._administrators_from_settings | set(added))

    def administrator_from_settings(self, user_id: str) -> bool:
        """Whether the administrator role comes from ``PEER_ADMINISTRATORS``."""
        return user_id in self._administrators_from_settings

    async def all_coordinators(self) -> list[str]:
        """Every coordinator (settings and Slack), in a stable order."""
        async with self._db.read() as tx:
            added = await tx.roles.coordinators()
        return sorted(self._from_settings | set(added))

    async def coordinators_in(self, tx: Tx) -> list[str]:
        """Every coordinator, read inside a unit of work already open (same order)."""
        return sorted(self._from_settings | set(await tx.roles.coordinators()))

    def from_settings(self, user_id: str) -> bool:
        """Whether the role comes from ``PEER_COORDINATORS`` (and so cannot be removed in Slack)."""
        return user_id in self._from_settings

    async def add_coordinators(self, *, coordinator_id: str, user_ids: Iterable[str]) -> CoordinatorChange:
        """Give people the coordinator role."""
        await self.require_coordinator_role(coordinator_id)
        changed: list[str] = []
        unchanged: list[str] = []
        async with self._db.transaction() as tx:
            for user_id in dict.fromkeys(user_ids):
                new = user_id not in self._from_settings and await tx.roles.add_coordinator(
                    user_id, added_by=coordinator_id, now=self._clock.now()
                )
                (changed if new else unchanged).append(user_id)
                if new:
                    await tx.tracking.audit(
                        actor_id=coordinator_id,
                        action="coordinator added",
                        detail=f"<@{user_id}>",
                        now=self._clock.now(),
                    )
        self._homes.changed(*changed)
        return CoordinatorChange(changed=changed, unchanged=unchanged)

    async def remove_coordinators(self, *, coordinator_id: str, user_ids: Iterable[str]) -> CoordinatorChange:
        """Take the coordinator role from people added in Slack; the program always keeps one."""
        await self.require_coordinator_role(coordinator_id)
        wanted = list(dict.fromkeys(user_ids))
        fixed = [u for u in wanted if u in self._from_settings]
        if fixed:
            raise CoordinatorFromSettings(fixed)
        changed: list[str] = []
        unchanged: list[str] = []
        async with self._db.transaction() as tx:
            for user_id in wanted:
                if not await tx.roles.remove_coordinator(user_id):
                    unchanged.append(user_id)
                    continue
                changed.append(user_id)
                await tx.tracking.audit(
                    actor_id=coordinator_id,
                    action="coordinator removed",
                    detail=f"<@{user_id}>",
                    now=self._clock.now(),
                )
            if not self._from_settings and not await tx.roles.coordinators():
                raise LastCoordinator()  # rolls the removal back
        self._homes.changed(*changed)
        return CoordinatorChange(changed=changed, unchanged=unchanged)

    async def add_administrators(self, *, coordinator_id: str, user_ids: Iterable[str]) -> CoordinatorChange:
        """Give people the administrator role (coordinators only; audited)."""
        await self.require_coordinator_role(coordinator_id)
        changed: list[str] = []
        unchanged: list[str] = []
        async with self._db.transaction() as tx:
            for user_id in dict.fromkeys(user_ids):
                new = user_id not in self._administrators_from_settings and await tx.roles.add_administrator(
                    user_id, added_by=coordinator_id, now=self._clock.now()
                )
                (changed if new else unchanged).append(user_id)
                if new:
                    await tx.tracking.audit(
                        actor_id=coordinator_id,
                        action="administrator added",
                        detail=f"<@{user_id}>",
                        now=self._clock.now(),
                    )
        self._homes.changed(*changed)
        return CoordinatorChange(changed=changed, unchanged=unchanged)

    async def remove_administrators(
        self, *, coordinator_id: str, user_ids: Iterable[str]
    ) -> CoordinatorChange:
        """Take the administrator role from people added in Slack (coordinators only; audited)."""
        await self.require_coordinator_role(coordinator_id)
        wanted = list(dict.fromkeys(user_ids))
        fixed = [u for u in wanted if u in self._administrators_from_settings]
        if fixed:
            raise AdministratorFromSettings(fixed)
        changed: list[str] = []
        unchanged: list[str] = []
        async with self._db.transaction() as tx:
            for user_id in wanted:
                if not await tx.roles.remove_administrator(user_id):
                    unchanged.append(user_id)
                    continue
                changed.append(user_id)
                await tx.tracking.audit(
                    actor_id=coordinator_id,
                    action="administrator removed",
                    detail=f"<@{user_id}>",
                    now=self._clock.now(),
                )
        self._homes.changed(*changed)
        return CoordinatorChange(changed=changed, unchanged=unchanged)
