"""The on-call rota: who is on call for which weekly hours, kept by coordinators.

Outside service hours an urgent request is offered to whoever is on call first, then to the
supporters who take after-hours requests (``bot.peer_requests.routing``); with nobody at all, the
coordinators are alerted at once and the requester is told so. Shifts repeat weekly, in the
program's time zone (``PEER_TIMEZONE``); a span whose end is not after its start runs past
midnight. Every change is one unit of work with its audit entry.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from bot.errors import InvalidForm, NoSuchShift
from bot.ports import Clock, HomeRefresh
from bot.roles import Roles
from bot.service_hours import ServiceHours, day_names, parse_days, parse_span
from storage.db import Database, Tx
from storage.models import OnCallShift

log = logging.getLogger(__name__)

# More shifts than this is a mistake, not a rota (and a modal shows them all).
MAX_SHIFTS = 50


@dataclass(frozen=True)
class ShiftForm:
    """What a coordinator typed, before validation."""

    user_id: str | None
    days: str | None
    hours: str | None


def describe_shift(shift: OnCallShift) -> str:
    """``Mon-Fri 18:00-08:00`` (the person is mentioned by the caller)."""

    def hhmm(minutes: int) -> str:
        return f"{minutes // 60:02d}:{minutes % 60:02d}"

    return f"{day_names(shift.days)} {hhmm(shift.start_minute)}-{hhmm(shift.end_minute)}"


async def on_call_at(tx: Tx, hours: ServiceHours, at: datetime) -> list[str]:
    """Who is on call at ``at`` (each once, in the rota's order)."""
    local = hours.local(at)
    people: list[str] = []
    for shift in await tx.oncall.shifts():
        if shift.covers(local) and shift.user_id not in people:
            people.append(shift.user_id)
    return people


class OnCallRota:
    """Coordinators add, list and remove on-call shifts."""

    def __init__(
        self, *, db: Database, clock: Clock, roles: Roles, hours: ServiceHours, homes: HomeRefresh
    ) -> None:
        self._db = db
        self._clock = clock
        self._roles = roles
        self._hours = hours
        self._homes = homes

    async def shifts(self, *, coordinator_id: str) -> tuple[list[OnCallShift], list[str]]:
        """Every shift, and who is on call now."""
        await self._roles.require_coordinator_role(coordinator_id)
        async with self._db.read() as tx:
            return await tx.oncall.shifts(), await on_call_at(tx, self._hours, self._clock.now())

    async def add(self, *, coordinator_id: str, form: ShiftForm) -> OnCallShift:
        """Validate and store one shift (errors by field: ``person``, ``days``, ``hours``)."""
        await self._roles.require_coordinator_role(coordinator_id)
        errors: dict[str, str] = {}
        if not form.user_id:
            errors["person"] = "Please choose who is on call."
        days: frozenset[int] = frozenset()
        try:
            days = parse_days(form.days or "")
        except ValueError:
            errors["days"] = "Please give days like Mon-Fri, Sat,Sun, Fri or daily."
        start = end = 0
        try:
            start, end = parse_span(form.hours or "")
        except ValueError as bad:
            errors["hours"] = f"Please give the hours as HH:MM-HH:MM ({bad})."
        now = self._clock.now()
        async with self._db.transaction() as tx:
            if not errors and len(await tx.oncall.shifts()) >= MAX_SHIFTS:
                errors["person"] = f"The rota already has {MAX_SHIFTS} shifts; remove one first."
            if errors or form.user_id is None:
                raise InvalidForm(errors)
            shift = await tx.oncall.add(
                user_id=form.user_id,
                days=days,
                start_minute=start,
                end_minute=end,
                created_by=coordinator_id,
                now=now,
            )
            await tx.tracking.audit(
                actor_id=coordinator_id,
                action="on-call added",
                detail=f"#{shift.id} <@{shift.user_id}> {describe_shift(shift)}",
                now=now,
            )
        log.info("on-call shift %s added", shift.id)
        self._homes.changed(coordinators=True)
        return shift

    async def remove(self, *, coordinator_id: str, shift_id: int) -> OnCallShift:
        """Remove one shift by its number."""
        await self._roles.require_coordinator_role(coordinator_id)
        now = self._clock.now()
        async with self._db.transaction() as tx:
            shift = await tx.oncall.remove(shift_id)
            if shift is None:
                raise NoSuchShift(shift_id)
            await tx.tracking.audit(
                actor_id=coordinator_id,
                action="on-call removed",
                detail=f"#{shift.id} <@{shift.user_id}> {describe_shift(shift)}",
                now=now,
            )
        log.info("on-call shift %s removed", shift.id)
        self._homes.changed(coordinators=True)
        return shift
