"""The program's anonymous statistics, and contacts supporters log from outside the bot."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import TypeVar

from bot.errors import InvalidForm, NotOnRoster
from bot.ports import Clock
from bot.roles import Roles
from bot.service_hours import ServiceHours
from storage.db import Database
from storage.models import Area, Referral, Tally

log = logging.getLogger(__name__)
_E = TypeVar("_E", bound=StrEnum)

MAX_MINUTES = 24 * 60
# How far back a contact may be logged.
LOG_WINDOW = timedelta(days=90)


@dataclass(frozen=True)
class ContactForm:
    """A conversation a supporter had outside the bot, before validation."""

    minutes: str | None
    area: str | None
    referral: str | None
    day: str | None


@dataclass(frozen=True)
class ProgramStats:
    """What coordinators see of the program's numbers: counts, with small groups hidden."""

    month: Tally  # the last 30 days
    year: Tally  # the last 365 days
    min_count: int  # a count by area below this is shown as "fewer than"


class StatsService:
    """Counts for coordinators; contacts logged by supporters."""

    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        hours: ServiceHours,
        roles: Roles,
        min_count: int,
    ) -> None:
        self._db = db
        self._clock = clock
        self._hours = hours
        self._roles = roles
        self._min_count = min_count

    async def summary(self, *, coordinator_id: str) -> ProgramStats:
        """The last 30 and 365 days (coordinators only)."""
        await self._roles.require_coordinator_role(coordinator_id)
        now = self._clock.now()
        async with self._db.read() as tx:
            month = await tx.stats.tally(since=now - timedelta(days=30), until=now)
            year = await tx.stats.tally(since=now - timedelta(days=365), until=now)
        return ProgramStats(month=month, year=year, min_count=self._min_count)

    async def log_contact(self, *, supporter_id: str, form: ContactForm) -> None:
        """Record a conversation that happened outside the bot: area, minutes, referral; never who."""
        errors: dict[str, str] = {}
        minutes = (form.minutes or "").strip()
        if not (minutes.isdigit() and 0 < int(minutes) <= MAX_MINUTES):
            errors["minutes"] = f"Please enter whole minutes, from 1 to {MAX_MINUTES}."
        area = _choice(Area, form.area)
        if area is None:
            errors["area"] = "Please choose what it was about."
        referral = _choice(Referral, form.referral or Referral.NONE)
        if referral is None:
            errors["referral"] = "Please choose one of the options."
        today = self._hours.today(self._clock.now())
        try:
            day = date.fromisoformat(form.day or today.isoformat())
        except ValueError:
            day = None
        if day is None or day > today or day < today - LOG_WINDOW:
            errors["date"] = f"Please pick a day in the last {LOG_WINDOW.days} days."
        if errors:
            raise InvalidForm(errors)
        assert area is not None and referral is not None and day is not None
        async with self._db.transaction() as tx:
            if await tx.roster.get(supporter_id) is None:
                raise NotOnRoster()
            await tx.stats.log_contact(
                supporter_id=supporter_id,
                area=area,
                minutes=int(minutes),
                referral=referral,
                happened_on=day,
                now=self._clock.now(),
            )
        log.info("a contact was logged")


def _choice(enum: type[_E], value: str | None) -> _E | None:
    try:
        return enum(value or "")
    except ValueError:
        return None
