"""Events the program announces: trainings, guest speakers, gatherings, with RSVPs and reminders.

An event's post and its reminders are scheduled messages (``bot.deliveries``): the post
is due at once, each reminder at its lead time before the start. So each goes out once,
across restarts and instances; an edit that moves the start cancels the reminders still
due and schedules new ones under the event's next revision, and a cancellation drops them.
Senders read the event as it is when they send, and post nothing for an event that was
cancelled or has started.

Posts show how many are going, never who. For sensitive kinds (grief and holiday
gatherings, debriefs) coordinators see only the count too.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.deliveries import Deliveries
from bot.errors import DeliveryFailed, EventNotFound, EventStarted, InvalidForm
from bot.failures import failure
from bot.ports import AnnouncementNotifier, ChannelAccess, ChannelProblem, Clock, HomeRefresh, NoHomeRefresh
from bot.roles import Roles
from storage.announcement_repository import EventFields
from storage.db import Database
from storage.models import (
    Announcement,
    AnnouncementKind,
    AnnouncementState,
    MessageRef,
    ScheduledKind,
    ScheduledMessage,
)
from storage.schedule_repository import NewScheduled
from storage.sql import InconsistentRecords

log = logging.getLogger(__name__)

TITLE_MAX = 80
PLACE_MAX = 120
DESCRIPTION_MAX = 1500

_CHANNEL_PROBLEMS = {
    ChannelProblem.NOT_FOUND: (
        "I can't see that channel. For a private channel, invite me first: type"
        " `/invite @Peer Support` in it."
    ),
    ChannelProblem.NOT_A_MEMBER: (
        "I'm not in that channel yet: type `/invite @Peer Support` in it, then try again."
    ),
    ChannelProblem.ARCHIVED: "That channel is archived. Please choose another.",
}


@dataclass(frozen=True)
class EventPolicy:
    """Event settings."""

    tz: ZoneInfo  # the program's time zone: dates and times in the modal are read in it
    reminder_leads: tuple[timedelta, ...]  # PEER_EVENT_REMINDERS, longest first


@dataclass(frozen=True)
class EventForm:
    """What the coordinator entered, before validation."""

    title: str | None
    kind: str | None
    day: str | None
    start: str | None
    end: str | None = None
    place: str | None = None
    description: str | None = None
    channel_id: str | None = None  # only when announcing; an edit keeps the channel


@dataclass(frozen=True)
class EventListing:
    """An upcoming event as a coordinator sees it: names, unless the kind is sensitive."""

    announcement: Announcement
    attendees: list[str] | None  # None for sensitive kinds: the count only


@dataclass(frozen=True)
class RsvpResult:
    """What a click on RSVP did."""

    going: bool
    count: int
    title: str


class AnnouncementService:
    """Announces, edits and cancels events; takes RSVPs; posts reminders."""

    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        roles: Roles,
        notifier: AnnouncementNotifier,
        channels: ChannelAccess,
        deliveries: Deliveries,
        policy: EventPolicy,
        homes: HomeRefresh | None = None,
    ) -> None:
        self._db = db
        self._clock = clock
        self._roles = roles
        self._notifier = notifier
        self._channels = channels
        self._deliveries = deliveries
        self._policy = policy
        self._homes: HomeRefresh = homes or NoHomeRefresh()
        # One redraw of a post at a time, reading the count inside: the last redraw shows the truth.
        self._redraw_locks: dict[int, asyncio.Lock] = {}
        deliveries.register([ScheduledKind.ANNOUNCEMENT], self._send_post)
        deliveries.register([ScheduledKind.EVENT_REMINDER], self._send_reminder)

    # Coordinators

    async def announce(self, *, coordinator_id: str, form: EventForm) -> int:
        """Validate and store an event, with its post and reminders scheduled; :meth:`publish` posts it."""
        await self._roles.require_coordinator_role(coordinator_id)
        fields, errors = self._validate(form)
        if not form.channel_id:
            errors["channel"] = "Please choose the channel to announce it in."
        elif "channel" not in errors:
            problem = await self._channels.posting_problem(form.channel_id)
            if problem is not None:
                errors["channel"] = _CHANNEL_PROBLEMS[problem]
        if errors:
            raise InvalidForm(errors)
        if fields is None or form.channel_id is None:
            raise InconsistentRecords("missing: fields or form.channel_id")
        now = self._clock.now()
        async with self._db.transaction() as tx:
            event_id = await tx.announcements.create(
                fields, channel_id=form.channel_id, created_by=coordinator_id, now=now
            )
            post = NewScheduled(
                kind=ScheduledKind.ANNOUNCEMENT,
                recipient_id=form.channel_id,
                due_at=now,
                announcement_id=event_id,
                dedupe_key=f"event:{event_id}:post",
            )
            await tx.schedule.schedule(
                [post, *self._reminders(event_id, form.channel_id, 0, fields.starts_at)]
            )
            await tx.tracking.audit(
                actor_id=coordinator_id,
                action="event created",
                detail=self._audit_detail(event_id, fields.title, fields.starts_at),
                now=now,
            )
        log.info("event %s announced", event_id)
        self._homes.changed(coordinator_id, coordinators=True)
        return event_id

    def _audit_detail(self, event_id: int, title: str, starts_at: datetime) -> str:
        """What the audit log says of an event: its number, title and start (never who is going)."""
        return f"#{event_id} {title}, starts {starts_at.astimezone(self._policy.tz):%Y-%m-%d %H:%M}"

    async def publish(self) -> None:
        """Post what is due now (a new announcement) without waiting for the next scheduler run."""
        await self._deliveries.deliver_due()

    async def edit(self, *, coordinator_id: str, announcement_id: int, form: EventForm) -> None:
        """Change an event; a moved start reschedules the reminders still to come."""
        await self._roles.require_coordinator_role(coordinator_id)
        fields, errors = self._validate(form)
        if errors:
            raise InvalidForm(errors)
        if fields is None:
            raise InconsistentRecords("missing: fields")
        now = self._clock.now()
        async with self._db.transaction() as tx:
            event = await tx.announcements.get(announcement_id)
            if event is None or event.state != AnnouncementState.SCHEDULED:
                raise EventNotFound()
            attendees = await tx.announcements.attendees(announcement_id)
            moved = fields.starts_at != event.starts_at
            await tx.announcements.update(announcement_id, fields, new_revision=moved, now=now)
            if moved:
                await tx.announcements.cancel_due(announcement_id, [ScheduledKind.EVENT_REMINDER])
                await tx.schedule.schedule(
                    self._reminders(announcement_id, event.channel_id, event.revision + 1, fields.starts_at)
                )
            await tx.tracking.audit(
                actor_id=coordinator_id,
                action="event edited",
                detail=self._audit_detail(announcement_id, fields.title, fields.starts_at),
                now=now,
            )
        log.info("event %s edited%s", announcement_id, "; reminders rescheduled" if moved else "")
        self._homes.changed(*attendees, coordinators=True)

    async def cancel(self, *, coordinator_id: str, announcement_id: int) -> Announcement:
        """Cancel an event: reminders (and a post not yet out) are dropped."""
        await self._roles.require_coordinator_role(coordinator_id)
        async with self._db.transaction() as tx:
            if not await tx.announcements.cancel(announcement_id, now=self._clock.now()):
                raise EventNotFound()
            dropped = await tx.announcements.cancel_due(
                announcement_id, [ScheduledKind.EVENT_REMINDER, ScheduledKind.ANNOUNCEMENT]
            )
            event = await tx.announcements.get(announcement_id)
            attendees = await tx.announcements.attendees(announcement_id)
            if event is None:
                raise InconsistentRecords("missing: event")
            await tx.tracking.audit(
                actor_id=coordinator_id,
                action="event cancelled",
                detail=self._audit_detail(announcement_id, event.title, event.starts_at),
                now=self._clock.now(),
            )
        log.info("event %s cancelled; %d scheduled post(s) dropped", announcement_id, dropped)
        self._homes.changed(*attendees, coordinators=True)
        return event

    async def for_edit(self, *, coordinator_id: str, announcement_id: int) -> Announcement:
        """An upcoming event, to prefill the edit modal."""
        await self._roles.require_coordinator_role(coordinator_id)
        async with self._db.read() as tx:
            event = await tx.announcements.get(announcement_id)
        if event is None or event.state != AnnouncementState.SCHEDULED or self._started(event):
            raise EventNotFound()
        return event

    async def listing(self, *, coordinator_id: str) -> list[EventListing]:
        """Upcoming events with who is going; for sensitive kinds, the count only."""
        await self._roles.require_coordinator_role(coordinator_id)
        async with self._db.read() as tx:
            events = await tx.announcements.upcoming(self._clock.now())
            return [
                EventListing(
                    announcement=e,
                    attendees=None if e.sensitive else await tx.announcements.attendees(e.id),
                )
                for e in events
            ]

    # Everyone

    async def upcoming(self, *, user_id: str, limit: int = 5) -> tuple[list[Announcement], set[int]]:
        """Upcoming events, and which of them the person is going to."""
        async with self._db.read() as tx:
            events = await tx.announcements.upcoming(self._clock.now(), limit=limit)
            going = await tx.announcements.going_to(user_id, [e.id for e in events])
        return events, going

    async def toggle_rsvp(self, *, announcement_id: int, user_id: str) -> RsvpResult:
        """Put the person in or take them out; the post's count is redrawn by :meth:`redraw`."""
        async with self._db.transaction() as tx:
            event = await tx.announcements.get(announcement_id)
            if event is None or event.state != AnnouncementState.SCHEDULED:
                raise EventNotFound()
            if self._started(event):
                raise EventStarted()
            going = await tx.announcements.toggle_rsvp(announcement_id, user_id, now=self._clock.now())
            count = (await tx.announcements.get(announcement_id) or event).going
        self._homes.changed(user_id, coordinators=True)
        return RsvpResult(going=going, count=count, title=event.title)

    async def redraw(self, *, announcement_id: int) -> None:
        """Redraw the event's post as it stands now (count, edit, cancellation)."""
        lock = self._redraw_locks.setdefault(announcement_id, asyncio.Lock())
        async with lock:
            async with self._db.read() as tx:
                event = await tx.announcements.get(announcement_id)
                ref = await tx.announcements.post_ref(announcement_id)
            if event is None or ref is None:
                return  # not posted yet: the post will show the current state when it goes out
            try:
                await self._notifier.update_announcement(ref, event)
            except Exception as exc:  # noqa: BLE001 - the change is recorded; the next redraw catches up
                log.warning("event %s redraw failed: %s", announcement_id, failure(exc))

    # Senders (called by the delivery engine)

    async def _send_post(self, message: ScheduledMessage) -> MessageRef:
        event = await self._current(message)
        try:
            return await self._notifier.post_announcement(event)
        except DeliveryFailed as refused:
            try:
                await self._notifier.announcement_failed(
                    event.created_by, announcement_id=event.id, title=event.title, reason=refused.reason
                )
            except Exception as exc:  # noqa: BLE001 - the skip is recorded either way
                log.warning("event %s: failure notice failed: %s", event.id, failure(exc))
            raise

    async def _send_reminder(self, message: ScheduledMessage) -> MessageRef:
        event = await self._current(message)
        if message.dedupe_key != _reminder_key(event.id, event.revision, message.seq):
            raise DeliveryFailed("the event moved")
        return await self._notifier.post_event_reminder(event, lead=timedelta(seconds=message.seq))

    async def _current(self, message: ScheduledMessage) -> Announcement:
        async with self._db.read() as tx:
            event = await tx.announcements.get(message.announcement_id or 0)
        if event is None or event.state != AnnouncementState.SCHEDULED:
            raise DeliveryFailed("event cancelled")
        if self._started(event):
            raise DeliveryFailed("event already started")
        return event

    # Internals

    def _started(self, event: Announcement) -> bool:
        return self._clock.now() >= event.starts_at

    def _reminders(
        self, event_id: int, channel_id: str, revision: int, starts_at: datetime
    ) -> list[NewScheduled]:
        now = self._clock.now()
        return [
            NewScheduled(
                kind=ScheduledKind.EVENT_REMINDER,
                recipient_id=channel_id,
                due_at=starts_at - lead,
                announcement_id=event_id,
                # The lead itself, in seconds: the reminder says it even if the setting changes later.
                seq=int(lead.total_seconds()),
                dedupe_key=_reminder_key(event_id, revision, int(lead.total_seconds())),
            )
            for lead in self._policy.reminder_leads
            # A reminder whose moment has passed would arrive late: the announcement is enough.
            if starts_at - lead > now
        ]

    def _validate(self, form: EventForm) -> tuple[EventFields | None, dict[str, str]]:
        errors: dict[str, str] = {}
        title = _text(form.title, TITLE_MAX, "title", "Please give the event a title.", errors)
        place = _text(
            form.place, PLACE_MAX, "place", "Please say where it is (a room, or a video link).", errors
        )
        description = (form.description or "").strip() or None
        if description is not None and len(description) > DESCRIPTION_MAX:
            errors["description"] = f"Please keep the description to {DESCRIPTION_MAX} characters."
        try:
            kind: AnnouncementKind | None = AnnouncementKind(form.kind or "")
        except ValueError:
            kind = None
            errors["kind"] = "Please choose what kind of event it is."
        starts_at = self._moment(form.day, form.start)
        if starts_at is None:
            errors["date"] = "Please pick the date and the start time."
        elif starts_at <= self._clock.now():
            errors["date"] = "That time has passed. Please pick a date and time in the future."
        ends_at = None
        if form.end:
            ends_at = self._moment(form.day, form.end)
            if ends_at is None:
                errors["end"] = "Please pick the end time, or leave it empty."
            elif starts_at is not None and ends_at <= starts_at:
                errors["end"] = "The end must come after the start."
        if errors:
            return None, errors
        if not title or not place or not kind or not starts_at:
            raise InconsistentRecords("a validated event form lost a field")
        return EventFields(
            title=title, kind=kind, starts_at=starts_at, ends_at=ends_at, place=place, description=description
        ), errors

    def _moment(self, day: str | None, at: str | None) -> datetime | None:
        try:
            return datetime.combine(
                date.fromisoformat(day or ""), time.fromisoformat(at or ""), self._policy.tz
            )
        except ValueError:
            return None


def _text(value: str | None, limit: int, field: str, missing: str, errors: dict[str, str]) -> str | None:
    text = (value or "").strip() or None
    if text is None:
        errors[field] = missing
    elif len(text) > limit:
        errors[field] = f"Please keep it to {limit} characters."
    return text


def _reminder_key(event_id: int, revision: int, lead_seconds: int) -> str:
    return f"event:{event_id}:r{revision}:{lead_seconds}s"
