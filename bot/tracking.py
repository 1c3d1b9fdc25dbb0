"""Confidential tracking: anonymous contacts, suppressed statistics, the audit log and retention.

Nothing here returns a row about a person who asked for help: statistics are
aggregates with small counts suppressed, and the purge removes what identified
a request once the retention period is over.

Why this module runs past 400 lines: a quarter's report and the report of several quarters
(:func:`_combined`, made of the published figures only) must list the same figures; kept side by
side, a figure added to one is seen missing from the other.
"""

from __future__ import annotations

import logging
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from bot.choices import choice
from bot.concerns import TOPIC as CONCERN_TOPIC
from bot.errors import InvalidForm, InvalidPeriod, NotOnRoster, NotPublished
from bot.failures import quietly
from bot.periods import NotPublishedYet, Period, Publication, Quarter, parse_publication
from bot.ports import Clock, RetentionNotifier
from bot.roles import Roles
from bot.service_hours import ServiceHours
from bot.suppression import Breakdown, Cell, breakdown, combine, combine_breakdowns, single
from storage.db import Database
from storage.models import AnnouncementKind, Area, AuditEntry, ContactChannel, Referral, TalkAnswer
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
    kind: str = ""  # the incident's kind (the quarterly report's uptake by kind sums these lines)


@dataclass(frozen=True)
class StatsReport:
    """``/peer stats``: aggregates of closed quarters only, small counts suppressed.

    A report over several quarters (a year) holds each quarter's report, and its own figures
    are sums of those published figures only (``combine``): it can tell nothing they do not.
    """

    publication: Publication
    min_count: int
    requests: Cell
    accepted: Cell
    escalated: Cell
    cancelled: Cell
    median_to_accept: timedelta | None
    contacts: Cell
    supporter_minutes: Cell  # everyone's time together; each supporter sees only their own
    areas: Breakdown
    referrals: Breakdown
    channels: Breakdown
    checkins: list[IncidentLine]
    # Events that started in the period, per kind: how many were held (public), and how many
    # said they were going (suppressed like any count of people).
    events_held: dict[AnnouncementKind, int]
    going: Breakdown
    # Requesters' answers to "Did talking help?", counted in the quarter they were given.
    talk_helped: Breakdown = Breakdown(cells={}, total=Cell(0))
    # Offers made and accepted per supporter role (the role when offered; "" for none recorded).
    offers_by_role: Breakdown = Breakdown(cells={}, total=Cell(0))
    accepts_by_role: Breakdown = Breakdown(cells={}, total=Cell(0))
    quarters: tuple[StatsReport, ...] = ()

    @property
    def period(self) -> Period:
        """The dates the report covers."""
        return self.publication.period


@dataclass(frozen=True)
class AreasByQuarter:
    """Contacts per closed quarter and area, as published (for the export)."""

    publication: Publication
    min_count: int
    areas: list[Area]
    rows: dict[str, Breakdown]  # by quarter label, in order

    @property
    def period(self) -> Period:
        """The dates the export covers."""
        return self.publication.period


@dataclass(frozen=True)
class RequestGlance:
    """Open requests as a coordinator's Home shows them: as they stood at the start of the day,
    small counts hidden, so the Home does not move when someone asks."""

    as_of: datetime
    waiting: Cell
    escalated: Cell
    held: Cell


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
        supporter_roles: tuple[str, ...] = (),
    ) -> None:
        # PEER_ROLES: offers and accepts are counted per role ("" for none, or one no longer listed).
        self._supporter_roles = supporter_roles
        self._db = db
        self._notifier = notifier
        self._clock = clock
        self._roles = roles
        self._hours = hours
        self._k = min_count
        self._retention = retention

    @property
    def min_count(self) -> int:
        """K: the smallest count published."""
        return self._k

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

    def publication(self, text: str | None) -> Publication:
        """Which closed quarters ``text`` asks for, relative to today in the program's time zone."""
        try:
            return parse_publication(text, today=self._hours.today(self._clock.now()))
        except NotPublishedYet as exc:
            raise NotPublished(str(exc)) from None
        except ValueError as exc:
            raise InvalidPeriod(str(exc)) from None

    async def stats(self, *, coordinator_id: str, publication: Publication) -> StatsReport:
        """The statistics of closed quarters, suppressed (coordinators and administrators)."""
        await self._roles.require_statistics_role(coordinator_id)
        reports = [await self.quarter_report(q) for q in publication.quarters]
        if len(reports) == 1:
            return reports[0]
        return _combined(publication, reports, self._k)

    def instants(self, quarter: Quarter) -> tuple[datetime, datetime]:
        """The quarter's start and end as instants in the program's time zone."""
        return self._instants(quarter.start, quarter.end)

    async def quarter_report(self, quarter: Quarter) -> StatsReport:
        """One closed quarter's statistics, for a caller that checked the role."""
        k = self._k
        start, end = self._instants(quarter.start, quarter.end)
        async with self._db.read() as tx:
            counts = await tx.tracking.request_counts(start, end)
            waits = await tx.tracking.accept_seconds(start, end)
            groups = await tx.tracking.contact_groups(start, end)
            areas = await tx.tracking.contacts_by_area(start, end)
            checkins = await tx.tracking.checkins_by_incident(start, end, min_people=k)
            attendance = await tx.announcements.attendance(start, end)
            talk = await tx.tracking.talk_answers(quarter.start)
            by_role = await tx.tracking.offers_by_role(start, end, roles=self._supporter_roles)
        contacts = sum(g.count for g in groups)
        minutes = sum(g.minutes for g in groups)
        referrals, channels = Counter[str](), Counter[str]()
        for g in groups:
            referrals[g.referral] += g.count
            channels[g.channel] += g.count
        contacts_cell = single(contacts, k)
        return StatsReport(
            publication=Publication((quarter,), quarter.label),
            min_count=k,
            requests=single(counts.made, k),
            accepted=single(counts.accepted, k),
            escalated=single(counts.escalated, k),
            cancelled=single(counts.cancelled, k),
            median_to_accept=timedelta(seconds=statistics.median(waits)) if len(waits) >= k else None,
            contacts=contacts_cell,
            # Time follows the contacts: with few contacts, the minutes would say how long one took.
            supporter_minutes=Cell(minutes) if contacts_cell.value is not None else contacts_cell,
            areas=breakdown({str(a): areas.get(str(a), 0) for a in Area}, k),
            referrals=breakdown({str(r): referrals.get(str(r), 0) for r in Referral}, k),
            channels=breakdown({str(c): channels.get(str(c), 0) for c in ContactChannel}, k),
            checkins=[
                IncidentLine(name=c.name, sent=single(c.sent, k), answered=single(c.answered, k), kind=c.kind)
                for c in checkins
            ],
            events_held={AnnouncementKind(kind): held for kind, (held, _) in attendance.items()},
            going=breakdown({kind: going for kind, (_, going) in attendance.items()}, k),
            talk_helped=breakdown({str(a): talk.get(str(a), 0) for a in TalkAnswer}, k),
            offers_by_role=breakdown({r: n for r, (n, _) in by_role.items()}, k),
            accepts_by_role=breakdown({r: n for r, (_, n) in by_role.items()}, k),
        )

    async def request_glance(self) -> RequestGlance:
        """Open requests at the start of today (program time zone), suppressed."""
        today = self._hours.today(self._clock.now())
        as_of, _ = self._instants(today, today)
        async with self._db.read() as tx:
            counts = await tx.requests.open_as_of(as_of)
        k = self._k
        return RequestGlance(
            as_of=as_of,
            waiting=single(counts.waiting, k),
            escalated=single(counts.escalated, k),
            held=single(counts.held, k),
        )

    async def your_minutes(self, supporter_id: str) -> int:
        """The minutes a supporter recorded this quarter so far (theirs alone to see)."""
        quarter = Quarter.of(self._hours.today(self._clock.now()))
        start, end = self._instants(quarter.start, quarter.end)
        async with self._db.read() as tx:
            return await tx.tracking.supporter_minutes(supporter_id, start, end)

    async def by_quarter(self, *, coordinator_id: str, publication: Publication) -> AreasByQuarter:
        """Contacts per quarter and area for the export: the published quarter figures themselves
        (coordinators and administrators)."""
        report = await self.stats(coordinator_id=coordinator_id, publication=publication)
        quarters = report.quarters or (report,)
        return AreasByQuarter(
            publication=publication,
            min_count=self._k,
            areas=list(Area),
            rows={q.publication.label: q.areas for q in quarters},
        )

    async def export_recorded(self, *, coordinator_id: str, publication: Publication) -> None:
        """Note in the audit log that a coordinator exported a period's aggregates."""
        await self.record(
            actor_id=coordinator_id, action="export", detail=f"aggregates for {publication.label}"
        )

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
        ended, concerns a coordinator acted on, who went to past events (the count stays), who an
        incident touched and how each answered (counts of large plans stay), who opened their
        Home, and volunteers' notes.
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
            incidents = await tx.incidents.ended_before(cutoff)
            for incident in incidents:
                # A plan of fewer than K people is in no statistic: nothing of it needs keeping.
                await tx.incidents.forget_people(incident.id, keep_counts=incident.people >= self._k, now=now)
            viewers, notes = await tx.tracking.purge_people(before=cutoff)
        if purged or concerns or rsvps or incidents or viewers or notes:
            # secure_delete zeroes freed space in the file; the checkpoint removes the WAL's copies.
            await self._db.checkpoint()
            log.info(
                "retention: purged %d request(s), %d concern(s), %d RSVP(s), %d incident(s),"
                " %d Home viewer(s), %d volunteer note(s)",
                len(purged),
                concerns,
                rsvps,
                len(incidents),
                viewers,
                notes,
            )
        return len(purged)

    def _instants(self, start: date, end: date) -> tuple[datetime, datetime]:
        tz = self._hours.tz
        return datetime.combine(start, time(0), tzinfo=tz), datetime.combine(end, time(0), tzinfo=tz)


def sum_reports(publication: Publication, reports: Sequence[StatsReport], k: int) -> StatsReport:
    """Several reports as one, made of their published figures only: several quarters of one
    office, or one quarter of several offices (:mod:`bot.association`)."""
    return _combined(publication, reports, k)


def _combined(publication: Publication, reports: Sequence[StatsReport], k: int) -> StatsReport:
    """Several quarters as one report, made of their published figures only."""
    medians = [r.median_to_accept for r in reports]
    lines: dict[str, list[IncidentLine]] = {}
    for r in reports:
        for line in r.checkins:
            lines.setdefault(line.name, []).append(line)
    held: Counter[AnnouncementKind] = Counter()
    for r in reports:
        held.update(r.events_held)
    going_kinds = sorted({kind for r in reports for kind in r.going.cells})
    goings = [
        Breakdown(
            cells={kind: r.going.cells.get(kind, Cell(0)) for kind in going_kinds},
            total=r.going.total,
        )
        for r in reports
    ]
    return StatsReport(
        publication=publication,
        min_count=k,
        requests=combine(r.requests for r in reports),
        accepted=combine(r.accepted for r in reports),
        escalated=combine(r.escalated for r in reports),
        cancelled=combine(r.cancelled for r in reports),
        # A median of medians is not a median: shown for one quarter only.
        median_to_accept=medians[0] if len(medians) == 1 else None,
        contacts=combine(r.contacts for r in reports),
        supporter_minutes=combine(r.supporter_minutes for r in reports),
        areas=combine_breakdowns([r.areas for r in reports]),
        referrals=combine_breakdowns([r.referrals for r in reports]),
        channels=combine_breakdowns([r.channels for r in reports]),
        checkins=[
            IncidentLine(
                name=name,
                # A quarter without the incident's line sent none: a published zero.
                sent=combine(x.sent for x in group),
                answered=combine(x.answered for x in group),
                kind=group[0].kind,
            )
            for name, group in lines.items()
        ],
        events_held=dict(held),
        going=combine_breakdowns(goings),
        talk_helped=combine_breakdowns([r.talk_helped for r in reports]),
        offers_by_role=combine_breakdowns([r.offers_by_role for r in reports]),
        accepts_by_role=combine_breakdowns([r.accepts_by_role for r in reports]),
        quarters=tuple(reports),
    )
