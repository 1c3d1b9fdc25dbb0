"""Process roles, and the work the web process hands to the worker through the database.

``python -m bot`` runs one process doing everything (:attr:`ProcessRole.BOTH`, the default).
``python -m bot web`` only answers Slack: it verifies, validates, stores and acks;
``python -m bot worker`` does the rest: routing, offers, notices, Home refreshes, the scheduler,
deliveries, recovery. Between them is the database, never memory: the web process stores a row
and wakes the worker (PostgreSQL ``NOTIFY``; on SQLite the worker asks the file every
``PEER_WORKER_POLL`` seconds whether another process committed, ``PRAGMA data_version``, which
reads no table, and only then looks for work: about 1% of a core at the default 25 ms); the
periodic sweep is the safety net.

The rule of the web role: after the ack it makes no Slack call but those that answer the person
who acted, on the surface they acted on, and that would be useless later: ``views.open`` (a
``trigger_id`` lives 3 s), ``chat.postEphemeral`` to the clicker (a refusal, "Gathering the
numbers…"), ``views.publish`` of the Home its viewer just opened (``app_home_opened``), and
``chat.update`` of the very message clicked when only its clicker sees it; plus the reads that
build or check that answer before the ack (``users.list`` names for the request modal's picker,
``conversations.info`` for an event's channel). Everything that reaches anyone else, or follows
from a decision (routing, offers, notices, cards redrawn, other Homes, files), is a row the worker
claims. Bolt's own ``auth.test`` (once per process) is the one other call.

What becomes a row: a new request is already one (``pending``: the worker routes it); a recorded
notice is one (``scheduled_messages``: the worker's delivery run claims it); everything else is a
``handoffs`` row of a :class:`HandoffKind` and ids only (never a note or a name), which the worker
claims (a conditional update), does, and deletes. A claim whose worker died is taken again after
the lease: each kind's work is idempotent (routing and deliveries claim their own steps).

Woken, a worker does only what is short and urgent in its loop: new requests, the urgent notices
due, the quick handoffs. Long work runs beside it (an incident's preparation, ``_ALONGSIDE``; the
check-ins and reminders due, by the scheduler's delivery job), so a request that comes in while a
wave is held up at Slack, or while thousands of rows are stored, is routed at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping
from datetime import timedelta
from enum import StrEnum
from typing import Any

from bot.background import Background
from bot.failures import failure
from bot.ports import Clock
from storage.db import Database

log = logging.getLogger(__name__)

WAKE_CHANNEL = "peer_support_work"
LISTENING_POLL_SECONDS = 1.0


class ProcessRole(StrEnum):
    """What one process does (``python -m bot [web|worker]``)."""

    BOTH = "both"  # the embedded default: everything in one process, as before the roles
    WEB = "web"  # the HTTP front only
    WORKER = "worker"  # everything after the ack; serves /healthz (and /metrics) only

    @property
    def serves_slack(self) -> bool:
        """Whether this process answers Slack's requests."""
        return self is not ProcessRole.WORKER

    @property
    def works(self) -> bool:
        """Whether this process routes, sends and runs the scheduler."""
        return self is not ProcessRole.WEB


class HandoffKind(StrEnum):
    """Work after an ack that the web role hands to the worker."""

    START_REQUEST = "start_request"  # the pending request is the row: the web role only wakes
    CLOSE_REQUEST = "close_request"
    SEND_OFFER = "send_offer"  # a coordinator's hand-to
    HOMES = "homes"  # Home tabs to publish again
    CLICK = "click"  # a button's work, replayed by the worker through its Bolt app
    RETRY_WAITING = "retry_waiting"  # the roster changed: waiting requests are tried again
    RELEASE_SUPPORTER = "release_supporter"  # away, suspended or removed: their offers move on
    PREPARE_INCIDENT = "prepare_incident"  # an incident's people looked up, its check-ins scheduled
    PUBLISH_EVENTS = "publish_events"  # events stored and not yet posted
    REDRAW_EVENT = "redraw_event"  # an edited or cancelled event's post
    ALERT_CONCERN = "alert_concern"  # the coordinators' DMs about a concern (never who raised it)
    ASK_COORDINATORS = "ask_coordinators"  # a volunteer's review DMs
    DECIDE_VOLUNTEER = "decide_volunteer"  # a coordinator's decision from Home: the DMs redrawn, told
    SCHEDULE_CHANGE = "schedule_change"  # check-ins added to an incident (rows carry dedupe keys)
    SHARE_RESOURCES = "share_resources"  # a holder's share, checked again and sent
    REDRAW = "redraw"  # offer cards and coordinators' alerts drawn again after a decision
    RELEASED = "released"  # a supporter no longer holds a request: the relay ends its conversation


# Kinds whose row is already stored when they are handed off.
_STORED = frozenset({HandoffKind.START_REQUEST})
# Kinds whose work sends without a claim of its own: a worker that died in the middle of one may
# have sent some of it, so its row is dropped rather than done again (as a scheduled message is
# marked unconfirmed). Every other kind is safe to do again (its steps claim or deduplicate).
_AT_MOST_ONCE = frozenset(
    {HandoffKind.ALERT_CONCERN, HandoffKind.ASK_COORDINATORS, HandoffKind.SHARE_RESOURCES}
)

# Kinds whose work is long (an incident's thousands of rows, stored in paced chunks: seconds): run
# beside the worker's loop rather than in it, so a request that comes in meanwhile is routed at once
# instead of waiting for them. Their row is finished when they are, as any other.
_ALONGSIDE = frozenset({HandoffKind.PREPARE_INCIDENT, HandoffKind.SCHEDULE_CHANGE})

Job = Callable[[Mapping[str, Any]], Coroutine[Any, Any, None]]


class Handoff:
    """Runs work after an ack here (both, worker) or hands it to the worker as a row (web)."""

    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        background: Background,
        role: ProcessRole,
        lease: timedelta = timedelta(minutes=2),
    ) -> None:
        self._db = db
        self._clock = clock
        self._background = background
        self.role = role
        self.lease = lease  # a claim older than this belongs to a worker that died
        self._jobs: dict[HandoffKind, Job] = {}
        # Rows this process is doing beside its loop: never claimed again here while they run, even
        # once their lease is over (a preparation that outlasts it is slow, not dead).
        self._alongside: set[int] = set()

    def register(self, kind: HandoffKind, job: Job) -> None:
        """What the work of ``kind`` is, given its ids."""
        self._jobs[kind] = job

    @property
    def registered(self) -> frozenset[HandoffKind]:
        """The kinds with a job."""
        return frozenset(self._jobs)

    async def submit(self, kind: HandoffKind, **args: Any) -> None:
        """Do this after the ack: stored and handed on in the web role (before the ack returns,
        so an acked click is never lost), else started here in the background."""
        if self.role is ProcessRole.WORKER:
            # Inside the work of a claimed row (a replayed click, another handoff): done before
            # that row is finished, so a worker that dies in between leaves it to be claimed again.
            await self.run_now(kind, args)
            return
        if self.role is ProcessRole.BOTH:
            self._background.spawn(self._jobs[kind](args), name=str(kind))
            return
        if kind not in _STORED:
            async with self._db.transaction() as tx:
                await tx.handoffs.add(kind, args, self._clock.now())
        self.wake()

    async def run_now(self, kind: HandoffKind, args: Mapping[str, Any]) -> None:
        """Do the work of ``kind`` here and now; a failure is logged (what called it goes on)."""
        try:
            await self._jobs[kind](args)
        except Exception as exc:  # noqa: BLE001 - logged; the sweep retries what routing left
            log.error("%s failed: %s", kind, failure(exc))

    def wake(self) -> None:
        """Wake the worker now (PostgreSQL ``NOTIFY``; SQLite's worker polls), after the ack."""
        if self._db.dialect == "postgresql":
            self._background.spawn(self._db.notify(WAKE_CHANNEL), name="wake_worker")

    async def run_due(
        self,
        *,
        stopping: Callable[[], bool],
        limit: int = 200,
        after_alongside: Callable[[], Awaitable[None]] | None = None,
    ) -> int:
        """Claim and do the rows waiting, oldest first: each in turn, except the long kinds, which
        run beside the caller (each awaits ``after_alongside`` when it ends); returns how many
        were claimed."""
        now = self._clock.now()
        stale = now - self.lease
        async with self._db.read() as tx:
            rows = await tx.handoffs.claimable(stale, limit)
        done = 0
        for row in rows:
            if stopping():
                break  # what is not claimed stays due for the next worker
            if row.id in self._alongside:
                continue
            async with self._db.transaction() as tx:
                if not await tx.handoffs.claim(row.id, self._clock.now(), stale):
                    continue  # another worker has it
                if row.claimed and row.kind in _AT_MOST_ONCE:
                    await tx.handoffs.finish(row.id)
                    log.warning(
                        "handoff %s (%s) was cut off by a stopped worker: not done again", row.id, row.kind
                    )
                    continue
            # A failure is logged and the row dropped, not retried forever; so is a kind this
            # worker does not know (a newer web process during a rolling deploy).
            try:
                kind = HandoffKind(row.kind)
            except ValueError:
                log.error("handoff %s: a kind this worker does not know; dropped", row.id)
                kind = None
            if kind in _ALONGSIDE:
                self._alongside.add(row.id)
                work = self._beside(kind, row.id, row.args, then=after_alongside)
                self._background.spawn(work, name=str(kind))
            else:
                await self._do_and_finish(kind, row.id, row.args)
            done += 1
        return done

    async def _beside(
        self,
        kind: HandoffKind,
        row_id: int,
        args: Mapping[str, Any],
        then: Callable[[], Awaitable[None]] | None,
    ) -> None:
        try:
            await self._do_and_finish(kind, row_id, args, then=then)
        finally:
            self._alongside.discard(row_id)

    async def _do_and_finish(
        self,
        kind: HandoffKind | None,
        row_id: int,
        args: Mapping[str, Any],
        then: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        """Do a claimed row's work (none for an unknown kind), then delete the row. If the process
        stops in between, the row stays claimed and is taken again once its lease is over."""
        if kind is not None:
            await self.run_now(kind, args)
        async with self._db.transaction() as tx:
            await tx.handoffs.finish(row_id)
        if then is not None:
            await then()


class WorkerLoop:
    """The worker's wake-up: on a NOTIFY (PostgreSQL) or every ``poll`` seconds (one cheap read),
    pick up handoffs, start new requests, and send the notices that are due."""

    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        handoff: Handoff,
        start_request: Callable[[int], Awaitable[object]],
        deliver: Callable[[], Awaitable[None]],
        notice_kinds: Iterable[str],
        poll_seconds: float,
        background: Background,
    ) -> None:
        self._db = db
        self._clock = clock
        self._handoff = handoff
        self._start_request = start_request
        self._deliver = deliver
        self._notice_kinds = frozenset(notice_kinds)
        self._poll = poll_seconds
        self._background = background
        self._wake = asyncio.Event()
        self._stop = asyncio.Event()
        self._unlisten: Callable[[], Awaitable[None]] | None = None
        self._task: asyncio.Task[None] | None = None
        # The newest request this worker has started: a request routed to "wait" stays pending,
        # and is the sweep's to retry, not every poll's. Only saves reads: routing claims its steps.
        self._seen_request = 0

    async def start(self) -> None:
        """Listen (PostgreSQL) and start the loop (inside the running loop)."""
        self._unlisten = await self._db.listen(WAKE_CHANNEL, self._wake.set)
        if self._unlisten is not None:
            # NOTIFY wakes it: the poll (a real query there) is only a fallback.
            self._poll = max(self._poll, LISTENING_POLL_SECONDS)
        self._task = self._background.spawn(self._run(), name="worker_loop")

    def wake(self) -> None:
        """Look for work now."""
        self._wake.set()

    async def _run(self) -> None:
        busy = False
        while not self._stop.is_set():
            if not busy:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=self._poll)
            if self._stop.is_set():
                break
            busy = False
            try:
                # Woken (NOTIFY), or another process wrote to the file: then one real look. After
                # work, look again at once: what came in meanwhile does not wait for the next poll.
                woken = self._wake.is_set() or await self._db.changed_elsewhere()
                self._wake.clear()
                if woken and await self._waiting():
                    await self.pump()
                    busy = True
            except Exception as exc:  # noqa: BLE001 - the next wake tries again
                log.error("worker: picking up work failed: %s", failure(exc))

    async def _waiting(self) -> bool:
        now = self._clock.now()
        async with self._db.read() as tx:
            return await tx.handoffs.work_waiting(
                stale_before=now - self._handoff.lease,
                after_request_id=self._seen_request,
                now=now,
                notice_kinds=self._notice_kinds,
            )

    async def pump(self) -> None:
        """Do what is waiting: new requests first (someone is waiting for a peer), then the notices
        due, then the other handoffs (clicks, Home tabs, cards); then, if a handoff was done, the
        notices it recorded (and the delivery job armed for what it scheduled). A long handoff (an
        incident's preparation) runs beside the loop and does that last step when it ends."""
        async with self._db.read() as tx:
            new = await tx.handoffs.pending_request_ids(self._seen_request)
        for request_id in new:
            if self._stop.is_set():
                return
            await self._start_request(request_id)
            self._seen_request = max(self._seen_request, request_id)
        if not self._stop.is_set():
            await self._deliver()
        done = await self._handoff.run_due(stopping=self._stop.is_set, after_alongside=self._deliver)
        if done and not self._stop.is_set():
            await self._deliver()

    async def stop(self) -> None:
        """Claim nothing more; the item in hand finishes (the app drains the background)."""
        self._stop.set()
        self._wake.set()
        if self._unlisten is not None:
            unlisten, self._unlisten = self._unlisten, None
            with contextlib.suppress(Exception):
                await unlisten()
