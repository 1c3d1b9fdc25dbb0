"""Statistics across offices, for the association that runs the deployment (issue 21, part 5).

The association's administrators (``PEER_ASSOCIATION_ADMINISTRATORS``, people of the deployment
rather than of an office, named by team id and user id) see sums over the offices that share
their statistics (each office's coordinators switch it on in ``/peer settings``; off by default).
What is summed is each office's *published* figures of closed quarters, exactly as its own
``/peer stats`` shows them (its own time zone and smallest count), with the same rule as a year
of one office (:func:`bot.suppression.combine`): a sum is shown only when every office's part
was shown. So nothing hidden in one office can be worked out from the sum, even by someone who
knows every other office's figures: they recover at most that office's published figures.

Never per person and never per office: no office is named, incidents (whose names could say
which office) are left out, and no median is shown (a median of medians is not one). A quarter
counts the offices that shared as it closed (switching later changes no published quarter, so
two views can never be subtracted to give one office's figures), and a quarter with fewer of
them than the deployment's smallest count (``PEER_MIN_COUNT``) gives no figures at all. A sum
that misses an office that could not be read is never shown: it would differ from the full one
by that office's figures.

A quarter's figures, once shown, are kept (``association_quarters``, in the deployment's database)
and shown the same ever after, whatever happens in the offices later: one that changes its time
zone or smallest count (which move its own published figures), stops sharing, or leaves the
deployment. Two views of one quarter are always equal, so no difference of two can single out one
office.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from pydantic import TypeAdapter

from bot.errors import (
    InvalidPeriod,
    NotAnAssociationAdministrator,
    NotPublished,
    OfficesUnavailable,
    TooFewOffices,
)
from bot.failures import failure
from bot.periods import NotPublishedYet, Publication, Quarter, parse_publication
from bot.ports import Clock
from bot.service_hours import ServiceHours
from bot.tracking import StatsReport, TrackingService, sum_reports
from storage.db import Database

__all__ = ["AssociationReport", "AssociationStatistics", "Member"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Member:
    """One office as the association's statistics read it: its own published figures."""

    tracking: TrackingService
    hours: ServiceHours
    db: Database


# A quarter's figures as kept in the database (JSON).
_FIGURES: TypeAdapter[StatsReport] = TypeAdapter(StatsReport)

# Every office of the deployment (raises when one cannot be opened: no partial sums).
Members = Callable[[], Awaitable[Sequence[Member]]]


@dataclass(frozen=True)
class AssociationReport:
    """Sums of the published figures of the offices that share them, per closed quarter."""

    figures: StatsReport  # no incident lines, no median; a year holds its quarters' sums
    offices: tuple[int, ...]  # per quarter, how many offices' figures are summed (never below the minimum)
    min_offices: int


class AssociationStatistics:
    """``/peer association [quarter]``: the deployment's statistics across offices."""

    def __init__(
        self,
        *,
        administrators: frozenset[tuple[str, str]],
        members: Members,
        db: Database,
        clock: Clock,
        min_offices: int,
    ) -> None:
        # ``db``: where the figures of each quarter are kept once shown (the deployment's database).
        self._db = db
        self._administrators = administrators
        self._members = members
        self._clock = clock
        self._min = min_offices

    def is_administrator(self, *, team_id: str | None, user_id: str) -> bool:
        """Whether this person of this workspace is an association administrator."""
        return team_id is not None and (team_id.upper(), user_id.upper()) in self._administrators

    async def publication(self, text: str | None) -> Publication:
        """Which closed quarters ``text`` asks for: closed in every office (the westernmost's today)."""
        now = self._clock.now()
        members = await self._read_members()
        today = min((m.hours.today(now) for m in members), default=now.date())
        try:
            return parse_publication(text, today=today)
        except NotPublishedYet as exc:
            raise NotPublished(str(exc)) from None
        except ValueError as exc:
            raise InvalidPeriod(str(exc)) from None

    async def report(
        self, *, team_id: str | None, user_id: str, publication: Publication
    ) -> AssociationReport:
        """The sums across the offices that shared each quarter as it closed; raises
        :class:`TooFewOffices` when a quarter has fewer of them than the minimum."""
        if not self.is_administrator(team_id=team_id, user_id=user_id):
            raise NotAnAssociationAdministrator()
        quarters: list[StatsReport] = []
        counts: list[int] = []
        for quarter in publication.quarters:
            offices, summed = await self._quarter(quarter)
            if summed is None:
                raise TooFewOffices(quarter.label, self._min)
            counts.append(offices)
            quarters.append(summed)
        figures = quarters[0] if len(quarters) == 1 else self._sum(publication, quarters)
        log.info("association statistics for %s read", publication.label)
        return AssociationReport(figures=figures, offices=tuple(counts), min_offices=self._min)

    async def _quarter(self, quarter: Quarter) -> tuple[int, StatsReport | None]:
        """The quarter's figures as first shown (summed and kept now if never shown before); None
        when too few offices shared it."""
        async with self._db.read() as tx:
            kept = await tx.association.frozen(quarter.label)
        if kept is None:
            members = await self._read_members()
            reports = [await m.tracking.quarter_report(quarter) for m in members if await _shared(m, quarter)]
            summed = None
            if len(reports) >= self._min:
                # Each office's own report is summed and dropped: nothing per office is kept.
                summed = self._sum(Publication((quarter,), quarter.label), reports)
                summed = dataclasses.replace(summed, quarters=())
            figures = None if summed is None else _FIGURES.dump_json(summed).decode()
            async with self._db.transaction() as tx:
                # Another instance may have kept it first: its figures are the ones shown.
                await tx.association.freeze(
                    quarter.label, offices=len(reports), figures=figures, now=self._clock.now()
                )
                kept = await tx.association.frozen(quarter.label)
            if kept is None:
                raise RuntimeError("a quarter's figures were kept and are not there")
        offices, figures = kept
        return offices, None if figures is None else _FIGURES.validate_json(figures)

    def _sum(self, publication: Publication, reports: Sequence[StatsReport]) -> StatsReport:
        # Incidents are named by their office: their lines would say which office a figure is from.
        parts = [dataclasses.replace(r, checkins=[], quarters=()) for r in reports]
        return dataclasses.replace(
            sum_reports(publication, parts, self._min), median_to_accept=None, checkins=[]
        )

    async def _read_members(self) -> Sequence[Member]:
        try:
            return await self._members()
        except Exception as exc:  # noqa: BLE001 - whatever it was, no partial sum is shown
            log.error("association statistics: an office could not be read: %s", failure(exc))
            raise OfficesUnavailable() from None


async def _shared(member: Member, quarter: Quarter) -> bool:
    """Whether the office shared its statistics as the quarter closed (its own time zone)."""
    _, end = member.tracking.instants(quarter)
    async with member.db.read() as tx:
        return await tx.office_settings.shares_with_association(end)
