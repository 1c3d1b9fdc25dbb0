"""Keeping supporters' training current: when it lapses, and the reminders before and on that day.

A supporter's training counts from their latest basic course or refresher and is
valid for ``PEER_TRAINING_VALID_DAYS``. On the day it lapses they stop receiving
offers (``RosterRepository.eligible``). Reminders are computed by the sweep from the
roster itself and scheduled under a key naming the person, the lapse date and the
stage, so each is scheduled once ever; the delivery engine sends it once, and the
sender checks again that it still applies (a refresher recorded meanwhile moves the
lapse date and silences the old reminder).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from bot.deliveries import Deliveries
from bot.errors import DeliveryFailed
from bot.ports import Clock, HomeRefresh, NoHomeRefresh, RosterNotifier, TrainingReminderCard
from bot.service_hours import ServiceHours
from storage.db import Database
from storage.models import MessageRef, ScheduledKind, ScheduledMessage, Supporter
from storage.schedule_repository import NewScheduled

log = logging.getLogger(__name__)

# Reminded this long before the training lapses, and again on the day.
REMINDER_LEAD = timedelta(days=30)


class TrainingState(StrEnum):
    """Where a supporter's training stands."""

    UNTRAINED = "untrained"  # selected, basic course not recorded yet
    CURRENT = "current"
    DUE_SOON = "due_soon"  # lapses within REMINDER_LEAD
    LAPSED = "lapsed"


class ReminderStage(StrEnum):
    """The two reminders of one lapse date."""

    BEFORE = "before"
    LAPSED = "lapsed"


@dataclass(frozen=True)
class TrainingPolicy:
    """How long training stays valid."""

    valid_days: int

    def lapses_on(self, trained_on: date | None) -> date | None:
        """The day training from ``trained_on`` lapses (offers stop that day)."""
        return None if trained_on is None else trained_on + timedelta(days=self.valid_days)

    def trained_after(self, today: date) -> date:
        """Training must be later than this to be current today."""
        return today - timedelta(days=self.valid_days)

    def state(self, trained_on: date | None, today: date) -> TrainingState:
        """Where training from ``trained_on`` stands on ``today``."""
        lapses = self.lapses_on(trained_on)
        if lapses is None:
            return TrainingState.UNTRAINED
        if today >= lapses:
            return TrainingState.LAPSED
        if today >= lapses - REMINDER_LEAD:
            return TrainingState.DUE_SOON
        return TrainingState.CURRENT


def reminder_key(user_id: str, lapses_on: date, stage: ReminderStage) -> str:
    """The key a reminder is scheduled under: once per person, lapse date and stage."""
    return f"training:{user_id}:{lapses_on.isoformat()}:{stage}"


def parse_reminder_key(key: str) -> tuple[date, ReminderStage]:
    """The lapse date and stage of a reminder key."""
    _, _, day, stage = key.split(":")
    return date.fromisoformat(day), ReminderStage(stage)


class TrainingReminders:
    """Schedules (from the sweep) and sends the reminders that training is about to lapse or has."""

    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        hours: ServiceHours,
        notifier: RosterNotifier,
        deliveries: Deliveries,
        policy: TrainingPolicy,
        homes: HomeRefresh | None = None,
    ) -> None:
        self._db = db
        self._clock = clock
        self._hours = hours
        self._notifier = notifier
        self._policy = policy
        self._homes: HomeRefresh = homes or NoHomeRefresh()
        deliveries.register([ScheduledKind.TRAINING_REMINDER], self._send)

    async def schedule_due(self) -> int:
        """Schedule every reminder whose day has come (once ever each); returns how many were new."""
        now = self._clock.now()
        today = self._hours.today(now)
        # Inside program hours: a reminder found at midnight waits for the morning.
        due_at = self._hours.next_opening(now)
        async with self._db.transaction() as tx:
            rows = [
                NewScheduled(
                    kind=ScheduledKind.TRAINING_REMINDER,
                    recipient_id=s.user_id,
                    due_at=due_at,
                    seq=1 if stage == ReminderStage.LAPSED else 0,
                    dedupe_key=reminder_key(s.user_id, lapses, stage),
                )
                for s in await tx.roster.all()
                if (lapses := self._policy.lapses_on(s.trained_on)) is not None
                and (stage := self._stage(lapses, today)) is not None
            ]
            added = await tx.schedule.schedule(rows)
        if added:
            log.info("%d training reminder(s) scheduled", added)
            # Someone's training just became due or lapsed: their Home and the roster glance show it.
            self._homes.changed(*(r.recipient_id for r in rows), coordinators=True)
        return added

    def _stage(self, lapses: date, today: date) -> ReminderStage | None:
        if today >= lapses:
            return ReminderStage.LAPSED
        if today >= lapses - REMINDER_LEAD:
            return ReminderStage.BEFORE
        return None

    async def _send(self, message: ScheduledMessage) -> MessageRef:
        if message.dedupe_key is None:
            raise DeliveryFailed("no key")
        lapses, stage = parse_reminder_key(message.dedupe_key)
        async with self._db.read() as tx:
            supporter: Supporter | None = await tx.roster.get(message.recipient_id)
        today = self._hours.today(self._clock.now())
        # Off the roster, or a refresher moved the date, or the day passed: it no longer applies.
        if supporter is None or self._policy.lapses_on(supporter.trained_on) != lapses:
            raise DeliveryFailed("no longer applies")
        if self._stage(lapses, today) != stage:
            raise DeliveryFailed("no longer applies")
        card = TrainingReminderCard(lapses_on=lapses, lapsed=stage == ReminderStage.LAPSED)
        return await self._notifier.send_training_reminder(message.recipient_id, card)
