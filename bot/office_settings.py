"""An office's own settings: what its coordinators set over the environment's values (the defaults).

The settings an office may change are the ones that differ between offices (time zone, service
hours, offer times, the lines messages carry, retention, the smallest count published), each kept
as its environment variable would hold it and checked by the same parser as the environment's
(``check``, from the composition root). An office's services are built with them, so a change
rebuilds them (``rebuild``): the next request already follows it. Every change is audited.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from bot.errors import InvalidForm
from bot.ports import Clock
from bot.roles import Roles
from storage.db import Database

__all__ = ["OfficeSetting", "OfficeSettingsService"]

log = logging.getLogger(__name__)

# Environment variable name → what is wrong with the value given for it (nothing: all good).
Check = Callable[[Mapping[str, str]], dict[str, str]]


@dataclass(frozen=True, slots=True)
class OfficeSetting:
    """One setting as an office sees it."""

    name: str  # the environment variable, e.g. ``PEER_TIMEZONE``
    value: str | None  # the office's own, as the variable would hold it; None: the environment's
    default: str  # the environment's value, as people read it


class OfficeSettingsService:
    """Coordinators read and change their office's settings."""

    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        roles: Roles,
        defaults: Mapping[str, str],
        check: Check,
        rebuild: Callable[[], Awaitable[None]],
    ) -> None:
        self._db = db
        self._clock = clock
        self._roles = roles
        self._defaults = dict(defaults)
        self._check = check
        self._rebuild = rebuild

    async def settings(self, *, coordinator_id: str) -> list[OfficeSetting]:
        """Every setting the office may change: its own value, if it set one, and the default."""
        await self._roles.require_coordinator_role(coordinator_id)
        async with self._db.read() as tx:
            values = await tx.office_settings.values()
        return [OfficeSetting(name, values.get(name), default) for name, default in self._defaults.items()]

    async def save(self, *, coordinator_id: str, values: Mapping[str, str | None]) -> list[str]:
        """Set each setting given a value, and put each given none back to the environment's; raises
        :class:`InvalidForm` naming every value that does not parse (nothing is changed then).
        Returns the names that changed."""
        await self._roles.require_coordinator_role(coordinator_id)
        wanted = {
            name: value.strip()
            for name, value in values.items()
            if name in self._defaults and value is not None and value.strip()
        }
        errors = self._check(wanted)
        if errors:
            raise InvalidForm(errors)
        now = self._clock.now()
        async with self._db.transaction() as tx:
            before = await tx.office_settings.values()
            changed = sorted(name for name in self._defaults if before.get(name) != wanted.get(name))
            for name in changed:
                if name in wanted:
                    await tx.office_settings.put(name, wanted[name], changed_by=coordinator_id, now=now)
                else:
                    await tx.office_settings.reset(name)
            if changed:
                await tx.tracking.audit(
                    actor_id=coordinator_id, action="settings changed", detail=", ".join(changed), now=now
                )
        if changed:
            log.info("office settings changed: %s", ", ".join(changed))
            await self._rebuild()
        return changed

    async def shares_with_association(self, *, coordinator_id: str) -> bool:
        """Whether the office shares its published statistics with the association now."""
        await self._roles.require_coordinator_role(coordinator_id)
        async with self._db.read() as tx:
            return await tx.office_settings.shares_with_association(self._clock.now())

    async def share_with_association(self, *, coordinator_id: str, shared: bool) -> bool:
        """Start or stop sharing the office's published statistics with the association (sums
        across offices, see :mod:`bot.association`); audited. Whether it changed."""
        await self._roles.require_coordinator_role(coordinator_id)
        now = self._clock.now()
        async with self._db.transaction() as tx:
            if await tx.office_settings.shares_with_association(now) == shared:
                return False
            await tx.office_settings.share_with_association(shared, now=now)
            await tx.tracking.audit(
                actor_id=coordinator_id,
                action="association statistics",
                detail="shared from now on" if shared else "no longer shared",
                now=now,
            )
        log.info("office statistics %s with the association", "shared" if shared else "no longer shared")
        return True
