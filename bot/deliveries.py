"""The one engine for messages that go out later: check-ins, reminders, announcements.

Every scheduled message is a row with its due time and state; the database is the
truth. The scheduler only asks "what is due now?" (see ``bot.jobs``). Sending claims
the row first (due → sending, a conditional update), so each message goes out once
even with two app instances on one database; a claim whose process died mid-send is
marked unconfirmed, never sent a second time (checked on every run, not only at start),
and so is a send Slack answered too late (it may have posted it).

A message recorded together with a decision (a requester's notice, a coordinator's
alert) is handed to :meth:`Deliveries.deliver_now` right after the commit, and picked
up by the next run if that fails or the process stops first.

Each area registers a sender for its kinds of message; a sender builds the card from
the current state of the database (so an edited event's reminder shows the new time)
and raises :class:`~bot.errors.DeliveryFailed` when the message no longer applies.

Pacing (``bot.pacing``): what is due goes out in priority order (decided notices first, then the
rest by due time), several at once, each when the :class:`~bot.pacing.Pacer` lets it: one a second
per person or channel, within a workspace budget that slows on Slack's 429s and speeds up again.
Notices (and offers, sent by ``bot.peer_requests.offers``) are urgent: they never wait for that
budget, only for a ``Retry-After`` hold.

Stopping (SIGTERM): :meth:`Deliveries.request_stop` ends a burst before the next claim, waking
a pacing pause at once; the messages in hand are finished and settled, and what was not claimed
stays due for the next process. A send still under way when the app gives up waiting (see
``PeerSupportApp.stop``) stays claimed and becomes unconfirmed: Slack may have posted it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.errors import DeliveryFailed
from bot.failures import failure
from bot.metrics import DeliveryObserver
from bot.pacing import Pacer, PacingPolicy
from bot.ports import Clock
from storage.db import Database
from storage.models import MessageRef, ScheduledKind, ScheduledMessage, ScheduledState

log = logging.getLogger(__name__)

# Transient failures are retried with growing pauses, then given up with the reason recorded.
MAX_ATTEMPTS = 6

Sender = Callable[[ScheduledMessage], Awaitable[MessageRef]]


@dataclass(frozen=True)
class DeliveryPolicy:
    """How scheduled messages are delivered."""

    grace: timedelta  # later than this after its due time, a message is marked missed
    rate_per_second: float  # the workspace budget's ceiling (it adapts below it on 429s)
    claim_lease: timedelta = timedelta(minutes=2)
    # Kinds never marked missed: their sender decides at send time whether they still apply.
    never_missed: frozenset[ScheduledKind] = frozenset()
    # Urgent kinds (one-off notices): sent first and as they come, never waiting for the workspace
    # budget; the others go out in bursts, paced to Slack's limits.
    unpaced: frozenset[ScheduledKind] = frozenset()
    concurrency: int = 8  # paced sends in flight at once

    def pacing(self) -> PacingPolicy:
        """The pacer's budgets."""
        return PacingPolicy(ceiling=self.rate_per_second, concurrency=self.concurrency)


class Deliveries:
    """Claims what is due, hands each message to the sender of its kind, records the outcome."""

    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        policy: DeliveryPolicy,
        observer: DeliveryObserver | None = None,
        pacer: Pacer | None = None,
    ) -> None:
        self._db = db
        self.pacer = pacer or Pacer(policy.pacing())
        self._clock = clock
        self._policy = policy
        self._observer = observer
        self._senders: dict[ScheduledKind, Sender] = {}
        self._before: list[Callable[[], Awaitable[object]]] = []
        self._stop = asyncio.Event()

    def register(self, kinds: Iterable[ScheduledKind], sender: Sender) -> None:
        """Route messages of ``kinds`` to ``sender`` (each kind has exactly one)."""
        for kind in kinds:
            if kind in self._senders:
                raise ValueError(f"a sender for {kind} is already registered")
            self._senders[kind] = sender

    def before_each_run(self, work: Callable[[], Awaitable[object]]) -> None:
        """Run ``work`` at the start of every delivery run (not a run of notices only): what stores
        messages shortly before they are due (an incident's later check-ins) runs where they go out."""
        self._before.append(work)

    def request_stop(self) -> None:
        """Finish the message in hand and claim no more (the app is stopping)."""
        self._stop.set()

    @property
    def stopping(self) -> bool:
        """Whether the app asked deliveries to stop."""
        return self._stop.is_set()

    async def deliver_due(self, *, limit: int = 500, only: frozenset[ScheduledKind] | None = None) -> int:
        """Send what is due now (of the ``only`` kinds, if given), once each, paced for Slack's
        limits; returns how many were sent."""
        if only is None:
            for work in self._before:
                try:
                    await work()
                except Exception as exc:  # noqa: BLE001 - what is stored already still goes out
                    log.error("before deliveries: %s", failure(exc))
        now = self._clock.now()
        async with self._db.transaction() as tx:
            # Every run, not only at start: a claim younger than the lease at a restart would
            # otherwise stay "sending" until the next restart.
            abandoned = await tx.schedule.abandon_stale_claims(now - self._policy.claim_lease)
            missed = await tx.schedule.miss_older_than(
                now - self._policy.grace, except_kinds=self._policy.never_missed
            )
            due = await tx.schedule.due(now, limit, first=self._policy.unpaced, only=only)
        if abandoned:
            log.warning(
                "%d scheduled message(s) were mid-send when a process stopped: unconfirmed", abandoned
            )
        if missed:
            log.warning("%d scheduled message(s) missed: due longer ago than the grace period", missed)
        # Urgent notices come first, then the rest by due time (the query's order).
        in_flight = asyncio.Semaphore(self.pacer.policy.concurrency)

        async def send(message: ScheduledMessage) -> bool:
            async with in_flight:
                if self.stopping:
                    return False
                await self.pacer.acquire(
                    message.recipient_id, urgent=message.kind in self._policy.unpaced, stop=self._stop
                )
                if self.stopping:
                    return False
                return await self._deliver(message)

        results = await asyncio.gather(*(send(message) for message in due))
        return sum(results)

    async def deliver_notices(self) -> int:
        """Send only the urgent notices due (never paced), not the check-ins and reminders around
        them: what a worker does when woken, so a wave held up at Slack never holds it up."""
        return await self.deliver_due(only=self._policy.unpaced)

    async def deliver_now(self, message_ids: Iterable[int]) -> None:
        """Send these messages at once (just recorded with a decision); what fails is retried later."""
        for message_id in message_ids:
            async with self._db.read() as tx:
                message = await tx.schedule.get(message_id)
            if message is not None and message.state == ScheduledState.DUE:
                await self.pacer.acquire(message.recipient_id, urgent=True)
                await self._deliver(message)

    async def _deliver(self, message: ScheduledMessage) -> bool:
        now = self._clock.now()
        async with self._db.transaction() as tx:
            if not await tx.schedule.claim(message.id, now):
                return False  # another worker (or instance) holds it
        sender = self._senders.get(ScheduledKind(message.kind))
        try:
            if sender is None:
                raise DeliveryFailed("no sender for this kind")
            ref = await sender(message)
        except DeliveryFailed as refused:
            async with self._db.transaction() as tx:
                await tx.schedule.settle(message.id, ScheduledState.SKIPPED, now=now, reason=refused.reason)
            self._observed("skipped")
            log.info("scheduled message %s skipped (%s)", message.id, refused.reason)
            return False
        except TimeoutError:
            # Slack may have posted it and been slow to say so: never risk sending it twice.
            async with self._db.transaction() as tx:
                await tx.schedule.settle(
                    message.id, ScheduledState.UNCONFIRMED, now=now, reason="no answer from Slack in time"
                )
            self._observed("unconfirmed")
            log.warning(
                "scheduled message %s unconfirmed: Slack did not answer in time",
                message.id,
                extra={"message_id": message.id},
            )
            return False
        except Exception as exc:  # noqa: BLE001 - Slack down or rate-limited beyond the retries: try later
            attempts = message.attempts + 1
            async with self._db.transaction() as tx:
                if attempts >= MAX_ATTEMPTS:
                    await tx.schedule.settle(
                        message.id, ScheduledState.FAILED, now=now, reason=type(exc).__name__
                    )
                else:
                    retry_at = self._clock.now() + timedelta(seconds=30 * 2**attempts)
                    await tx.schedule.settle(message.id, ScheduledState.DUE, now=now, due_at=retry_at)
            self._observed("failed" if attempts >= MAX_ATTEMPTS else "retry")
            log.warning(
                "scheduled message %s not delivered (%s), attempt %d",
                message.id,
                failure(exc),
                attempts,
            )
            return False
        sent_at = self._clock.now()
        async with self._db.transaction() as tx:
            await tx.schedule.settle(
                message.id, ScheduledState.SENT, now=sent_at, channel_id=ref.channel_id, ts=ref.ts
            )
        self._observed("sent", sent_at - message.due_at)
        log.info("scheduled message %s sent", message.id, extra={"message_id": message.id})
        return True

    def _observed(self, outcome: str, latency: timedelta | None = None) -> None:
        if self._observer is not None:
            self._observer.delivered(outcome, latency)

    async def recover(self) -> None:
        """At start: claims abandoned mid-send are marked unconfirmed (never resent, so never twice)."""
        async with self._db.transaction() as tx:
            abandoned = await tx.schedule.abandon_stale_claims(self._clock.now() - self._policy.claim_lease)
        if abandoned:
            log.warning(
                "%d scheduled message(s) were mid-send when a process stopped: marked unconfirmed", abandoned
            )

    async def next_due_at(self) -> datetime | None:
        """When the next scheduled message falls due."""
        async with self._db.read() as tx:
            return await tx.schedule.next_due_at()
