"""The quarterly report for the elected prosecutor's desk: one closed quarter against the one before.

Every figure is a published statistic or a sum of published ones (``bot.suppression``), so
the report can tell nothing ``/peer stats`` does not: contacts by area, supporter time in
total, referrals, requests by urgency and how fast they were accepted, check-in uptake by
incident kind (sums of the per-incident lines, plans of at least K people only), training
compliance as the quarter ended, events held and how many went, the answers to "Did talking
help?", and the change against the previous quarter where both figures are shown. Nothing in it
names or counts one person.

Training compliance cannot be worked out again later (a supporter removed since leaves the
roster), so it is frozen in ``quarter_figures`` the first time a closed quarter's report is
made; the sweep also freezes the last closed quarter's soon after it ends.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from bot.errors import InvalidPeriod
from bot.periods import Publication, Quarter
from bot.ports import Clock
from bot.roles import Roles
from bot.service_hours import ServiceHours
from bot.suppression import Breakdown, Cell, breakdown, combine, single
from bot.tracking import StatsReport, TrackingService
from bot.training import TrainingPolicy
from storage.db import Database
from storage.models import IncidentKind, TrainingKind, Urgency


@dataclass(frozen=True)
class UrgencyLine:
    """Requests of one urgency in the quarter, and the median wait of those accepted."""

    urgency: Urgency
    made: Cell
    accepted: Cell
    median_to_accept: timedelta | None  # shown only when at least K were accepted


@dataclass(frozen=True)
class UptakeLine:
    """Check-ins after incidents of one kind: sent and answered (sums of published lines)."""

    kind: IncidentKind
    sent: Cell
    answered: Cell

    @property
    def share_answered(self) -> int | None:
        """Percent answered, when both figures are shown and some were sent."""
        if self.sent.value and self.answered.value is not None:
            return round(100 * self.answered.value / self.sent.value)
        return None


@dataclass(frozen=True)
class TrainingFigures:
    """The roster's training as the quarter ended (counts of supporters, suppressed)."""

    status: Breakdown  # "current" and "not_current", with the roster as total
    lapsing_next_quarter: Cell

    @property
    def share_current(self) -> int | None:
        """Percent of supporters with current training, when shown."""
        total, current = self.status.total.value, self.status.cells["current"].value
        if total and current is not None:
            return round(100 * current / total)
        return None


@dataclass(frozen=True)
class QuarterFigures:
    """Everything the report shows for one quarter."""

    stats: StatsReport
    urgency: list[UrgencyLine]
    uptake: list[UptakeLine]
    training: TrainingFigures

    @property
    def quarter(self) -> Quarter:
        """The quarter these figures are of."""
        return self.stats.publication.quarters[0]


@dataclass(frozen=True)
class QuarterlyReport:
    """The report: the quarter asked for, and the one before it for the change."""

    current: QuarterFigures
    previous: QuarterFigures
    min_count: int
    made_on: date


def change(now: Cell, before: Cell) -> int | None:
    """The change between two published figures; None unless both are shown."""
    if now.value is None or before.value is None:
        return None
    return now.value - before.value


class QuarterlyReports:
    """Builds the quarterly report (coordinators and administrators)."""

    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        roles: Roles,
        tracking: TrackingService,
        training: TrainingPolicy,
        hours: ServiceHours,
    ) -> None:
        self._hours = hours
        self._db = db
        self._clock = clock
        self._roles = roles
        self._tracking = tracking
        self._training = training

    async def report(self, *, user_id: str, publication: Publication) -> QuarterlyReport:
        """The report of the one closed quarter ``publication`` names."""
        await self._roles.require_statistics_role(user_id)
        if len(publication.quarters) != 1:
            raise InvalidPeriod("the quarterly report covers one completed quarter, e.g. 2026-Q3")
        quarter = publication.quarters[0]
        return QuarterlyReport(
            current=await self._figures(quarter),
            previous=await self._figures(quarter.previous()),
            min_count=self._tracking.min_count,
            made_on=self._hours.today(self._clock.now()),
        )

    async def freeze_last_closed(self, today: date) -> None:
        """Freeze the training figures of the quarter that ended last (the sweep calls this)."""
        await self._training_figures(Quarter.of(today).previous())

    async def _figures(self, quarter: Quarter) -> QuarterFigures:
        k = self._tracking.min_count
        stats = await self._tracking.quarter_report(quarter)
        start, end = self._tracking.instants(quarter)
        async with self._db.read() as tx:
            by_urgency = await tx.tracking.requests_by_urgency(start, end)
        made = breakdown({str(u): by_urgency[u].made if u in by_urgency else 0 for u in Urgency}, k)
        accepted = breakdown({str(u): by_urgency[u].accepted if u in by_urgency else 0 for u in Urgency}, k)
        urgency = []
        for u in Urgency:
            waits = by_urgency[u].accept_seconds if u in by_urgency else ()
            urgency.append(
                UrgencyLine(
                    urgency=u,
                    made=made.cells[str(u)],
                    accepted=accepted.cells[str(u)],
                    median_to_accept=(
                        timedelta(seconds=statistics.median(waits))
                        if len(waits) >= k and accepted.cells[str(u)].value is not None
                        else None
                    ),
                )
            )
        uptake = [
            UptakeLine(
                kind=kind,
                sent=combine(line.sent for line in stats.checkins if line.kind == kind),
                answered=combine(line.answered for line in stats.checkins if line.kind == kind),
            )
            for kind in IncidentKind
        ]
        return QuarterFigures(
            stats=stats, urgency=urgency, uptake=uptake, training=await self._training_figures(quarter)
        )

    async def _training_figures(self, quarter: Quarter) -> TrainingFigures:
        k = self._tracking.min_count
        async with self._db.read() as tx:
            frozen = await tx.tracking.frozen_figures(quarter.label)
        if not {"supporters", "current", "lapsing_next"} <= set(frozen):
            frozen = await self._freeze_training(quarter)
        current, supporters = frozen["current"], frozen["supporters"]
        return TrainingFigures(
            status=breakdown({"current": current, "not_current": supporters - current}, k),
            lapsing_next_quarter=single(frozen["lapsing_next"], k),
        )

    async def _freeze_training(self, quarter: Quarter) -> dict[str, int]:
        end_instant = self._tracking.instants(quarter)[1]
        last_day = quarter.end - timedelta(days=1)
        async with self._db.transaction() as tx:
            supporters = [s for s in await tx.roster.all() if s.added_at < end_instant]
            trainings = await tx.roster.trainings([s.user_id for s in supporters])
            latest: dict[str, date] = {}
            for t in trainings:
                counts = t.kind in (TrainingKind.BASIC, TrainingKind.REFRESHER)
                if counts and t.completed_on <= last_day and t.recorded_at < end_instant:
                    latest[t.user_id] = max(latest.get(t.user_id, t.completed_on), t.completed_on)
            lapses = [self._training.lapses_on(latest.get(s.user_id)) for s in supporters]
            figures = {
                "supporters": len(supporters),
                "current": sum(1 for d in lapses if d is not None and d > last_day),
                "lapsing_next": _within(lapses, quarter.end, quarter.next().end),
            }
            await tx.tracking.freeze_figures(quarter.label, figures, now=self._clock.now())
            # Another caller may have frozen them first: theirs stand.
            return await tx.tracking.frozen_figures(quarter.label)


def _within(days: Iterable[date | None], start: date, end: date) -> int:
    return sum(1 for d in days if d is not None and start <= d < end)
