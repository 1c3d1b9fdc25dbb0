"""Confidential tracking: anonymous contacts, suppressed statistics, the audit log and retention.

Nothing here returns a row about a person who asked for help: statistics are
aggregates with small counts suppressed, and the purge removes what identified
a request once the retention period is over.
"""

from __future__ import annotations

import logging
import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from bot.choices import choice
from bot.concerns import TOPIC as CONCERN_TOPIC
from bot.errors import InvalidForm, InvalidPeriod, NotOnRoster
from bot.failures import quietly
from bot.periods import Period, parse_period
from bot.ports import Clock, RetentionNotifier
from bot.roles import Roles
from bot.service_hours import ServiceHours
from bot.suppression import Breakdown, Cell, breakdown, single
from storage.db import Database
from storage.models import AnnouncementKind, Area, AuditEntry, ContactChannel, Referral
from storage.sql import InconsistentRecords

log = logging.getLogger(__name__)

MAX_CONTACT_MINUTES = 24 * 60


@dataclass(frozen=True)
class ContactForm:
    """A contact a supporter logs by hand, before validation."""

    occurred_on: str | None
    minutes: str | None
    areas: tuple[str, ...]
    channel: str | None
    referral: str | None


@dataclass(frozen=True)
class IncidentLine:
    """Check-ins of one incident in the period (suppressed)."""

    name: str
    sent: Cell
    answered: Cell


@dataclass(frozen=True)
class StatsReport:
    """``/peer stats``: aggregates only, small counts suppressed."""

    period: Period
    min_count: int
    requests: Cell
    accepted: Cell
    escalated: Cell
    cancelled: Cell
    median_to_accept: timedelta | None
    contacts: Cell
    supporter_minutes: int | None
    areas: Breakdown
    referrals: Breakdown
    channels: Breakdown
    supporter_hours: list[tuple[str, float]]
    checkins: list[IncidentLine]
    # Events that started in the period, per kind: how many were held (public), and how many
    # said they were going (suppressed like any count of people).
    events_held: dict[AnnouncementKind, int]
    going: Breakdown


@dataclass(frozen=True)
class MonthlyAreas:
    """Contacts per month and area, each month suppressed on its own (for the export)."""

    period: Period
    min_count: int
    months: list[str]
    areas: list[Area]
    rows: dict[str, Breakdown]


class TrackingService:
    """Contacts, statistics, exports, the audit log and the retention purge."""

    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        roles: Roles,
        hours: ServiceHours,
        min_count: int,
        retention: timedelta,
        notifier: RetentionNotifier,
    ) -> None:
        self._db = db
        self._notifier = notifier
        self._clock = clock
        self._roles = roles
        self._hours = hours
        self._k = min_count
        self._retention = retention

    # Contacts

    async def log_contact(self, *, supporter_id: str, form: ContactForm) -> int:
        """Record a contact that happened outside the bot (walk-in, phone…); returns its id."""
        today = self._hours.today(self._clock.now())
        errors: dict[str, str] = {}
        try:
            occurred_on = date.fromisoformat(form.occurred_on or "")
        except ValueError:
            occurred_on = None
            errors["occurred_on"] = "Please pick the date."
        if occurred_on is not None and occurred_on > today:
            errors["occurred_on"] = "That date is in the future."
        elif occurred_on is not None and occurred_on < today - timedelta(days=366):
            errors["occurred_on"] = "That is more than a year ago."
        text = (form.minutes or "").strip()
        minutes = int(text) if text.isdigit() and len(text) < 6 else 0
        if not 1 <= minutes <= MAX_CONTACT_MINUTES:
            errors["minutes"] = f"Please enter whole minutes, from 1 to {MAX_CONTACT_MINUTES}."
        areas = [a for a in (choice(Area, x) for x in form.areas) if a is not None]
        if not areas or len(areas) != len(form.areas):
            errors["areas"] = "Please choose at least one area of need."
        channel = choice(ContactChannel, form.channel)
        if channel is None:
            errors["channel"] = "Please choose how it happened."
        referral = choice(Referral, form.referral)
        if referral is None:
            errors["referral"] = "Please choose the referral made (or none)."
        if errors:
            raise InvalidForm(errors)
        if occurred_on is None or channel is None or referral is None:
            raise InconsistentRecords("a validated contact form lost a field")
        async with self._db.transaction() as tx:
            if await tx.roster.get(supporter_id) is None:
                raise NotOnRoster()
            contact_id = await tx.tracking.add_contact(
                occurred_on=occurred_on,
                minutes=minutes,
                channel=channel,
                referral=referral,
                supporter_id=supporter_id,
                areas=areas,
                incident_id=None,
                now=self._clock.now(),
            )
        log.info("contact %s logged", contact_id)
        return contact_id

    # Statistics

    def period(self, text: str | None) -> Period:
        """Parse a period, relative to today in the program's time zone."""
        try:
            return parse_period(text, today=self._hours.today(self._clock.now()))
        except ValueError as exc:
            raise InvalidPeriod(str(exc)) from None

    async def stats(self, *, coordinator_id: str, period: Period) -> StatsReport:
        """The period's statistics, suppressed (coordinators only)."""
        await self._roles.require_coordinator_role(coordinator_id)
        k = self._k
        start, end = self._instants(period)
        async with self._db.read() as tx:
            counts = await tx.tracking.request_counts(start, end)
            waits = await tx.tracking.accept_seconds(start, end)
            groups = await tx.tracking.contact_groups(period.start, period.end)
            areas = await tx.tracking.contacts_by_area(period.start, period.end)
            checkins = await tx.tracking.checkins_by_incident(start, end)
            attendance = await tx.announcements.attendance(start, end)
        contacts = sum(g.count for g in groups)
        minutes = sum(g.minutes for g in groups)
        referrals, channels, per_supporter = Counter[str](), Counter[str](), Counter[str]()
        for g in groups:
            referrals[g.referral] += g.count
            channels[g.channel] += g.count
            per_supporter[g.supporter_id] += g.minutes
        contacts_cell = single(contacts, k)
        return StatsReport(
            period=period,
            min_count=k,
            requests=single(counts.made, k),
            accepted=single(counts.accepted, k),
            escalated=single(counts.escalated, k),
            cancelled=single(counts.cancelled, k),
            median_to_accept=timedelta(seconds=statistics.median(waits)) if len(waits) >= k else None,
            contacts=contacts_cell,
            supporter_minutes=minutes if contacts_cell.value is not None else None,
            areas=breakdown({str(a): areas.get(str(a), 0) for a in Area}, k),
            referrals=breakdown({str(r): referrals.get(str(r), 0) for r in Referral}, k),
            channels=breakdown({str(c): channels.get(str(c), 0) for c in ContactChannel}, k),
            supporter_hours=sorted(((s, m / 60) for s, m in per_supporter.items()), key=lambda x: -x[1]),
            checkins=[
                IncidentLine(name=c.name, sent=single(c.sent, k), answered=single(c.answered, k))
                for c in checkins
            ],
            events_held={AnnouncementKind(kind): held for kind, (held, _) in attendance.items()},
            going=breakdown({kind: going for kind, (_, going) in attendance.items()}, k),
        )

    async def monthly_areas(self, *, coordinator_id: str, period: Period) -> MonthlyAreas:
        """Contacts per month and area for the export (coordinators only)."""
        await self._roles.require_coordinator_role(coordinator_id)
        async with self._db.read() as tx:
            cells = await tx.tracking.contacts_by_month_and_area(period.start, period.end)
        months = _months(period)
        areas = list(Area)
        rows = {m: breakdown({str(a): cells.get((m, str(a)), 0) for a in areas}, self._k) for m in months}
        return MonthlyAreas(period=period, min_count=self._k, months=months, areas=areas, rows=rows)

    async def export_recorded(self, *, coordinator_id: str, period: Period) -> None:
        """Note in the audit log that a coordinator exported a period's aggregates."""
        await self.record(actor_id=coordinator_id, action="export", detail=f"aggregates for {period.label}")

    # Audit

    async def record(self, *, actor_id: str, action: str, detail: str) -> None:
        """Record a coordinator action (never request content)."""
        async with self._db.transaction() as tx:
            await tx.tracking.audit(actor_id=actor_id, action=action, detail=detail, now=self._clock.now())

    async def audit_log(self, *, coordinator_id: str, limit: int = 25) -> list[AuditEntry]:
        """The latest coordinator actions (coordinators only)."""
        await self._roles.require_coordinator_role(coordinator_id)
        async with self._db.read() as tx:
            return await tx.tracking.audit_entries(limit)

    # Retention

    async def purge(self) -> int:
        """Forget what identified people once the retention period has passed: requests that
        ended, concerns a coordinator acted on, and who went to past events (the count stays).
        Returns how many requests were purged."""
        now = self._clock.now()
        cutoff = now - self._retention
        # The coordinators' copies of a concern about to be forgotten keep no name or note either:
        # redrawn first, so a stop before the purge leaves them to be redrawn by the next one.
        async with self._db.read() as tx:
            alerts = await tx.concerns.handled_alerts(handled_before=cutoff, copies_topic=CONCERN_TOPIC)
        for ref in alerts:
            await quietly(self._notifier.forget_concern_alert(ref), "forget_concern_alert")
        async with self._db.transaction() as tx:
            purged = await tx.tracking.purge_requests(ended_before=cutoff, now=now)
            concerns = await tx.concerns.purge_handled(handled_before=cutoff, copies_topic=CONCERN_TOPIC)
            rsvps = await tx.announcements.purge_rsvps(ended_before=cutoff)
        if purged or concerns or rsvps:
            # secure_delete zeroes freed space in the file; the checkpoint removes the WAL's copies.
            await self._db.checkpoint()
            log.info(
                "retention: purged %d request(s), %d concern(s), %d RSVP(s)", len(purged), concerns, rsvps
            )
        return len(purged)

    def _instants(self, period: Period) -> tuple[datetime, datetime]:
        tz = self._hours.tz
        return datetime.combine(period.start, time(0), tzinfo=tz), datetime.combine(
            period.end, time(0), tzinfo=tz
        )


def _months(period: Period) -> list[str]:
    months: list[str] = []
    day = period.start.replace(day=1)
    while day < period.end:
        months.append(f"{day:%Y-%m}")
        day = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    return months
