"""Follow-up after critical incidents, bereavements and illness: check-ins over weeks and months.

Every check-in is a row with its due time and state; the database is the truth.
The engine in ``bot.deliveries`` claims each due row and calls back here to send it,
so each check-in goes out once even with two app instances on one database.

Why this module runs past 400 lines: an incident's whole follow-up (the form, the plan, each
check-in's sending, its answer and the incident's close) changes the same rows; kept together,
the one path from "incident registered" to "last check-in answered" reads top to bottom.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.bulk import Breather, BulkPolicy
from bot.deliveries import Deliveries
from bot.durations import format_plan, parse_plan
from bot.errors import (
    AlreadyAnswered,
    DeliveryFailed,
    IncidentNotFound,
    InvalidForm,
    NotYourCheckin,
)
from bot.failures import failure
from bot.peer_requests import RequestForm, RequestService
from bot.ports import (
    CheckinCard,
    CheckinNotifier,
    Clock,
    DebriefCard,
    Directory,
    FollowUpCard,
    HomeRefresh,
    IncidentReady,
    NoHomeRefresh,
)
from bot.roles import Roles
from bot.service_hours import ServiceHours
from storage.db import Database
from storage.models import (
    Affected,
    Area,
    CheckinAnswer,
    ContactMode,
    Incident,
    IncidentKind,
    IncidentState,
    MessageRef,
    ScheduledKind,
    ScheduledMessage,
    ScheduledState,
    Urgency,
)
from storage.schedule_repository import NewScheduled
from storage.sql import InconsistentRecords
from storage.unit_of_work import Tx

log = logging.getLogger(__name__)

# An incident still preparing this long after it was logged failed its lookups: the sweep retries it,
# waiting twice as long after each failure (up to RETRY_AT_MOST), so an outage costs few lookups.
STALLED_AFTER = timedelta(minutes=2)
RETRY_AT_MOST = timedelta(hours=1)
# Preparing an incident stores each person's first check-in; each later step of the plan is stored
# this long before its time (every row still due at its own time in its own window). Storing all
# six steps at once was 12,000 rows for 2,000 people in about a second, and on a shared database
# server every other office's /peer waited for the cores it took (bench/README.md).
STORED_AHEAD = timedelta(hours=1)

NAME_MAX = 80
PLACE_MAX = 120
# What "I'd like to talk to a peer" asks about, by kind of incident.
_TALK_AREA = {
    IncidentKind.CRITICAL_INCIDENT: Area.TRAUMA,
    IncidentKind.BEREAVEMENT: Area.GRIEF,
    IncidentKind.ILLNESS: Area.HEALTH,
}


# Check-ins due this long after an incident speak of the first days; later ones, of what comes back.
EARLY_UNTIL = timedelta(days=14)
WORDING_MAX = 500
DEFAULT_WORDING: dict[IncidentKind, tuple[str, str]] = {
    IncidentKind.CRITICAL_INCIDENT: (
        "In the first days it's common to sleep badly, replay what happened, feel on edge or numb, or"
        " want to be alone. What helps: routine, rest, moving, time with people you trust, and talking"
        " it through when you're ready.",
        "It's normal for things to come back around anniversaries, court dates and verdicts, or when a"
        " case like it crosses your desk. That isn't a setback.",
    ),
    IncidentKind.BEREAVEMENT: (
        "Early grief can be tiring and unpredictable: trouble concentrating, waves of feeling, or"
        " nothing at all. What helps: go easy on yourself, accept practical help, and keep some routine.",
        "Grief often comes back around anniversaries, birthdays and holidays, long after others seem"
        " to have moved on. That's normal.",
    ),
    IncidentKind.ILLNESS: (
        "Early on, worry, tiredness and a lot to arrange are common. What helps: let people help with"
        " practical things, and keep work as light as you need it to be.",
        "It's normal for things to come back around appointments, results and anniversaries. Coming"
        " back to work can be a step of its own.",
    ),
}


def is_early(offset: timedelta) -> bool:
    """Whether a step of a plan speaks of the first days."""
    return offset < EARLY_UNTIL


# People named one by one in an incident (more: name a channel whose members are all affected).
MAX_PEOPLE = 100


@dataclass(frozen=True)
class CheckinPolicy:
    """Check-in settings."""

    plans: Mapping[IncidentKind, tuple[timedelta, ...]]
    window: ServiceHours  # PEER_CHECKIN_HOURS, applied in each recipient's own time zone
    program_tz: ZoneInfo
    bulk: BulkPolicy = BulkPolicy()  # how an incident's rows are stored: in paced chunks


@dataclass(frozen=True)
class IncidentForm:
    """What the coordinator entered, before validation."""

    kind: str | None
    name: str | None
    occurred_on: str | None
    user_ids: frozenset[str] = frozenset()
    channel_id: str | None = None
    plan: str | None = None
    debrief_date: str | None = None
    debrief_time: str | None = None
    debrief_place: str | None = None


@dataclass(frozen=True)
class IncidentProgress:
    """An open incident as coordinators see it: counts only."""

    incident: Incident
    people: int
    counts: dict[ScheduledState, int]
    next_step_at: datetime | None  # from the plan, not from anyone's answers
    unstored: int = 0  # check-ins of later steps, stored as each step comes (see STORED_AHEAD)

    @property
    def steps(self) -> int:
        """Check-ins in the plan, per person."""
        return len(self.incident.offsets)

    @property
    def sent(self) -> int:
        """Check-ins delivered (answered ones included)."""
        return self.counts.get(ScheduledState.SENT, 0) + self.answered

    @property
    def due(self) -> int:
        """Check-ins still to go out (those of steps not yet stored included)."""
        due = self.counts.get(ScheduledState.DUE, 0) + self.counts.get(ScheduledState.SENDING, 0)
        return due + self.unstored

    @property
    def answered(self) -> int:
        """Check-ins answered (any answer)."""
        return self.counts.get(ScheduledState.ANSWERED, 0)


@dataclass(frozen=True)
class _Stored:
    """What a run of paced chunks stored."""

    rows: int
    chunks: int
    rested: float  # seconds paused between chunks


@dataclass(frozen=True)
class StepFollowUp:
    """One step of an incident's plan: its check-ins by what became of them (counts, unsuppressed)."""

    seq: int
    offset: timedelta  # after the incident was logged
    due: int  # still to go out
    sent: int  # delivered, answered or not
    ok: int
    talk: int
    stop: int
    not_answered: int
    unreached: int  # missed, failed or unconfirmed: never known to have arrived


@dataclass(frozen=True)
class IncidentFollowUp:
    """An incident's follow-up as its coordinators see it: counts per step of the plan."""

    incident: Incident
    people: int
    steps: tuple[StepFollowUp, ...]
    wording: tuple[str, str] = ("", "")  # what early and later check-ins say


@dataclass(frozen=True)
class IncidentChange:
    """What a coordinator changed on an open incident: whom to add, and its plan (before validation)."""

    user_ids: frozenset[str] = frozenset()
    plan: str | None = None
    wording_early: str | None = None  # None: left as it is; empty: back to the kind's
    wording_later: str | None = None


@dataclass(frozen=True)
class IncidentChanged:
    """A change stored: the people new to the incident and the steps added to the plan that are due
    now or soon (their check-ins are scheduled by :meth:`CheckinService.schedule_change`; later ones
    are stored as they come, like every step), and how many were cancelled."""

    incident_id: int
    added: tuple[str, ...]
    new_steps: tuple[int, ...]
    cancelled: int


class CheckinService:
    """Registers incidents, schedules and delivers check-ins, and takes their answers."""

    def __init__(
        self,
        *,
        db: Database,
        notifier: CheckinNotifier,
        directory: Directory,
        clock: Clock,
        roles: Roles,
        requests: RequestService,
        deliveries: Deliveries,
        policy: CheckinPolicy,
        homes: HomeRefresh | None = None,
    ) -> None:
        self._db = db
        self._homes: HomeRefresh = homes or NoHomeRefresh()
        self._notifier = notifier
        self._directory = directory
        self._clock = clock
        self._roles = roles
        self._requests = requests
        self._policy = policy
        self._windows: dict[str, ServiceHours] = {}
        # Per incident whose preparation failed: when to try again, and the pause after that.
        # In memory: it only spaces out retries (the database decides who prepares).
        self._backoff: dict[int, tuple[datetime, timedelta]] = {}
        deliveries.register(
            [ScheduledKind.CHECKIN, ScheduledKind.DEBRIEF_INVITE, ScheduledKind.FOLLOW_UP], self._send
        )
        deliveries.before_each_run(self.store_coming_steps)

    def wording(self, incident: Incident) -> tuple[str, str]:
        """What the incident's early and later check-ins say: its own wording, else its kind's."""
        early, later = DEFAULT_WORDING[incident.kind]
        return incident.wording_early or early, incident.wording_later or later

    def default_plan(self, kind: IncidentKind) -> list[timedelta]:
        """The default plan of a kind of incident."""
        return list(self._policy.plans[kind])

    # Registering an incident

    async def register_incident(self, *, coordinator_id: str, form: IncidentForm) -> int:
        """Validate and store an incident (preparing); :meth:`prepare` schedules its check-ins."""
        await self._roles.require_coordinator_role(coordinator_id)
        kind, name, occurred_on, plan, debrief_at, place, errors = self._validate(form)
        if errors:
            raise InvalidForm(errors)
        if kind is None or name is None or occurred_on is None or plan is None:
            raise InconsistentRecords("a validated incident form lost a field")
        async with self._db.transaction() as tx:
            incident_id = await tx.incidents.create_incident(
                kind=kind,
                name=name,
                occurred_on=occurred_on,
                offsets=[int(d.total_seconds()) for d in plan],
                channel_id=form.channel_id,
                debrief_at=debrief_at,
                debrief_place=place,
                created_by=coordinator_id,
                member_ids=form.user_ids,
                now=self._clock.now(),
            )
            await tx.tracking.audit(
                actor_id=coordinator_id,
                action="incident created",
                detail=f"#{incident_id} {name} ({kind.value.replace('_', ' ')}), {len(plan)} check-ins each",
                now=self._clock.now(),
            )
        log.info("incident %s registered", incident_id)
        self._homes.changed(coordinators=True)  # their Homes list the open incidents
        return incident_id

    async def prepare(self, *, incident_id: int) -> None:
        """Resolve who is affected, look up their time zones in bulk, and store each person's first
        check-in (later steps are stored as they come: :meth:`store_coming_steps`)."""
        async with self._db.read() as tx:
            incident = await tx.incidents.get_incident(incident_id)
            listed = set(await tx.incidents.members(incident_id)) if incident else set()
        if incident is None or incident.state != IncidentState.PREPARING:
            return
        members = set(listed)
        if incident.channel_id:
            members.update(await self._directory.channel_members(incident.channel_id))
        profiles = await self._directory.profiles(members)
        # Apps in the channel (this one included) are nobody to check in with, not people missed.
        apps = {u for u in members if u in profiles and profiles[u].bot}
        members -= apps
        reachable = sorted(u for u in members if u in profiles and profiles[u].active)
        skipped = sorted(members - set(reachable))
        # Everyone in one time zone gets the first check-in at the same moment: worked out once per
        # zone, not once per person.
        first_at = incident.created_at + timedelta(seconds=incident.offsets[0]) if incident.offsets else None
        due_times: dict[str | None, datetime] = {}

        def rows_of(user_id: str) -> list[NewScheduled]:
            rows = []
            if first_at is not None:
                tz = profiles[user_id].tz
                if tz not in due_times:
                    due_times[tz] = self._window(tz).next_opening(first_at)
                rows.append(
                    NewScheduled(
                        kind=ScheduledKind.CHECKIN,
                        recipient_id=user_id,
                        due_at=due_times[tz],
                        incident_id=incident.id,
                        seq=1,
                    )
                )
            if incident.debrief_at is not None:
                rows.append(
                    NewScheduled(
                        kind=ScheduledKind.DEBRIEF_INVITE,
                        recipient_id=user_id,
                        due_at=incident.created_at,
                        incident_id=incident.id,
                    )
                )
            return rows

        def skipped_row(user_id: str) -> list[NewScheduled]:
            return [
                NewScheduled(
                    kind=ScheduledKind.CHECKIN,
                    recipient_id=user_id,
                    due_at=incident.created_at,
                    incident_id=incident.id,
                    seq=0,
                    state=ScheduledState.SKIPPED,
                    reason="deactivated or unknown",
                )
            ]

        # The rows are made and stored a chunk at a time, each chunk its own short transaction,
        # paced (``bot.bulk``): stored as fast as the database takes them, a large incident's rows
        # keep a database core busy and every other office's /peer on that server waits for one.
        # Each chunk also records its people as every later step needs them (where they are,
        # whether they can be reached): written in one go, 2,000 of them held a core as long.
        # Every row carries a dedupe key and members are upserted, so a repeat, or another instance
        # preparing the same incident, adds nothing; the incident is claimed last, so exactly one
        # preparer reports it.
        bulk = self._policy.bulk
        per_person = (first_at is not None) + (incident.debrief_at is not None)
        step = max(1, bulk.rows_per_chunk // max(per_person, 1))
        people = [(Affected(user_id=u, tz=profiles[u].tz), rows_of) for u in reachable] + [
            (Affected(user_id=u, skipped=True), skipped_row) for u in skipped
        ]
        breather = Breather(bulk.share)
        for start in range(0, len(people), step):
            async with breather.chunk():
                some = people[start : start + step]
                chunk = [row for person, make in some for row in make(person.user_id)]
                async with self._db.transaction() as tx:
                    await tx.schedule.schedule(chunk)
                    await tx.incidents.add_members(incident.id, [person for person, _ in some])
        async with self._db.transaction() as tx:
            ready = await tx.incidents.set_incident_state(
                incident.id, IncidentState.OPEN, only_from=IncidentState.PREPARING, now=self._clock.now()
            )
            if ready:
                # Picked by name, yet an app: kept as skipped, nobody to check in with.
                await tx.incidents.add_members(
                    incident.id, [Affected(user_id=u, skipped=True) for u in apps & listed]
                )
                await tx.incidents.set_steps_stored(incident.id, min(1, len(incident.offsets)))
            else:
                current = await tx.incidents.get_incident(incident.id)
                if current is not None and current.state == IncidentState.CLOSED:
                    # Closed while this preparer was storing rows: nothing of it may go out.
                    await tx.schedule.cancel_due(incident_id=incident.id)
        if not ready:
            return
        checkins = len(reachable) * len(incident.offsets)
        log.info(
            "incident %s: %d check-ins planned (the first step stored), %d people skipped"
            " (%d chunks, paused %.3f s)",
            incident.id,
            checkins,
            len(skipped),
            -(-len(people) // step),
            breather.rested,
        )
        summary = IncidentReady(
            incident_id=incident.id,
            name=incident.name,
            people=len(members),
            skipped=len(skipped),
            checkins=checkins,
            first_due=min(due_times.values(), default=None),
        )
        try:
            await self._notifier.incident_ready(incident.created_by, summary)
        except Exception as exc:  # noqa: BLE001 - the schedule stands even if this note fails
            log.warning("incident %s: summary to coordinator failed: %s", incident.id, failure(exc))

    async def store_coming_steps(self) -> None:
        """Store the check-ins of every open incident's plan steps that come due within
        :data:`STORED_AHEAD` (run before each delivery run, so a step is stored before it is due)."""
        now = self._clock.now()
        async with self._db.read() as tx:
            incidents = await tx.incidents.incidents_in([IncidentState.OPEN])
        for incident in incidents:
            for seq in range(incident.steps_stored + 1, len(incident.offsets) + 1):
                at = incident.created_at + timedelta(seconds=incident.offsets[seq - 1])
                if at - STORED_AHEAD > now:
                    break
                try:
                    if not await self._store_step(incident, seq, at):
                        break
                except Exception as exc:  # noqa: BLE001 - the next run tries again; others go on
                    log.warning("incident %s: storing step %d failed: %s", incident.id, seq, failure(exc))
                    break

    async def _store_step(self, incident: Incident, seq: int, at: datetime) -> bool:
        """Store step ``seq`` for everyone still checked in with, each due at ``at`` in their own
        window (a missed time stays missed: the grace rules apply as to any row); True once stored."""
        async with self._db.read() as tx:
            people = await tx.incidents.to_check_in(incident.id)
        due_times: dict[str | None, datetime] = {}
        rows = []
        for person in people:
            if person.tz not in due_times:
                due_times[person.tz] = self._window(person.tz).next_opening(at)
            rows.append(
                NewScheduled(
                    kind=ScheduledKind.CHECKIN,
                    recipient_id=person.user_id,
                    due_at=due_times[person.tz],
                    incident_id=incident.id,
                    seq=seq,
                )
            )
        stored = await self._store_rows(incident.id, rows)
        if stored is None:
            return False  # closed meanwhile
        async with self._db.transaction() as tx:
            await tx.incidents.set_steps_stored(incident.id, seq)
        log.info(
            "incident %s: step %d stored, %d check-ins (%d chunks, paused %.3f s)",
            incident.id,
            seq,
            stored.rows,
            stored.chunks,
            stored.rested,
        )
        return True

    async def _store_rows(
        self,
        incident_id: int,
        rows: Sequence[NewScheduled],
        *,
        first: Callable[[Tx], Awaitable[None]] | None = None,
    ) -> _Stored | None:
        """Store an open incident's rows in paced chunks (``bot.bulk``), each its own short
        transaction that checks the incident is still open and leaves out the people who asked to
        stop and the steps no longer in its plan: closing, a stop or a shorter plan cancels what
        is due, so what was stored before it is cancelled and nothing after it is stored. Runs
        ``first`` in the first chunk's transaction. None if the incident closed meanwhile."""
        size = self._policy.bulk.rows_per_chunk
        breather = Breather(self._policy.bulk.share)
        stored = chunks = 0
        for start in range(0, max(len(rows), 1), size):
            async with breather.chunk(), self._db.transaction() as tx:
                current = await tx.incidents.get_incident(incident_id)
                if current is None or current.state != IncidentState.OPEN:
                    return None
                if first is not None and start == 0:
                    await first(tx)
                stopped = await tx.incidents.stopped(incident_id)
                steps = len(current.offsets)
                chunk = [
                    r for r in rows[start : start + size] if r.recipient_id not in stopped and r.seq <= steps
                ]
                stored += await tx.schedule.schedule(chunk)
                chunks += 1
        return _Stored(rows=stored, chunks=chunks, rested=breather.rested)

    # Delivering (the engine in bot.deliveries claims each message and calls this)

    async def _send(self, message: ScheduledMessage) -> MessageRef:
        if message.kind == ScheduledKind.FOLLOW_UP:
            requester = None
            if message.request_id is not None:
                async with self._db.read() as tx:
                    request = await tx.requests.get(message.request_id)
                # Identity only if this supporter held the request (and it has not been purged),
                # and never for an anonymous request whose requester kept their name private.
                if request is not None and request.assignee_id == message.recipient_id and request.named:
                    requester = request.requester_id
            card = FollowUpCard(request_id=message.request_id or 0, requester_id=requester)
            return await self._notifier.send_follow_up(message.recipient_id, card)
        async with self._db.read() as tx:
            incident = await tx.incidents.get_incident(message.incident_id or 0)
        if incident is None:
            raise DeliveryFailed("incident gone")
        if message.kind == ScheduledKind.DEBRIEF_INVITE:
            if incident.debrief_at is None:
                raise InconsistentRecords("missing: incident.debrief_at")
            debrief = DebriefCard(
                incident_name=incident.name, at=incident.debrief_at, place=incident.debrief_place or ""
            )
            return await self._notifier.send_debrief_invite(message.recipient_id, debrief)
        return await self._notifier.send_checkin(
            message.recipient_id, self._card(message, incident, incident.people)
        )

    def _card(
        self,
        message: ScheduledMessage,
        incident: Incident,
        people: int,
        answer: CheckinAnswer | None = None,
        request_made: bool | None = None,
    ) -> CheckinCard:
        return CheckinCard(
            message_id=message.id,
            incident_name=incident.name,
            kind=incident.kind,
            personal=people == 1,
            seq=message.seq,
            total=len(incident.offsets),
            note=self.wording(incident)[0 if _early_step(incident, message.seq) else 1],
            answer=answer,
            request_made=request_made,
        )

    # Answers

    async def answer(self, *, message_id: int, user_id: str, answer: CheckinAnswer) -> None:
        """Record an answer (as a count only), redraw the check-in, and act on it."""
        async with self._db.transaction() as tx:
            message = await tx.schedule.get(message_id)
            if message is None or message.recipient_id != user_id or message.kind != ScheduledKind.CHECKIN:
                raise NotYourCheckin()
            if not await tx.schedule.transition(
                message.id, ScheduledState.ANSWERED, only_from=[ScheduledState.SENT], now=self._clock.now()
            ):
                raise AlreadyAnswered()
            if message.incident_id is None:
                raise InconsistentRecords("missing: message.incident_id")
            await tx.incidents.count_answer(message.incident_id, answer, seq=message.seq)
            if answer == CheckinAnswer.STOP:
                await tx.schedule.cancel_due(incident_id=message.incident_id, recipient_id=user_id)
                await tx.incidents.stop_checkins(message.incident_id, user_id)
            incident = await tx.incidents.get_incident(message.incident_id)
        if incident is None:
            raise InconsistentRecords("missing: incident")
        log.info("check-in %s answered", message.id)
        request_made = None
        if answer == CheckinAnswer.TALK:
            request_made = await self._ask_for_peer(user_id, incident)
        if message.channel_id and message.message_ts:
            ref = MessageRef(channel_id=message.channel_id, ts=message.message_ts)
            card = self._card(message, incident, incident.people, answer=answer, request_made=request_made)
            try:
                await self._notifier.update_checkin(ref, card)
            except Exception as exc:  # noqa: BLE001 - the answer is recorded either way
                log.warning("check-in %s redraw failed: %s", message.id, failure(exc))

    async def _ask_for_peer(self, user_id: str, incident: Incident) -> bool:
        form = RequestForm(
            area=_TALK_AREA[incident.kind],
            urgency=Urgency.THIS_WEEK,
            contact=ContactMode.SLACK,
            incident_id=incident.id,
        )
        return await self._requests.ask_for_peer(requester_id=user_id, form=form)

    # Coordinators

    async def incidents(self, *, coordinator_id: str) -> list[IncidentProgress]:
        """Open incidents with their progress, as counts."""
        await self._roles.require_coordinator_role(coordinator_id)
        now = self._clock.now()
        async with self._db.read() as tx:
            incidents = await tx.incidents.incidents_in([IncidentState.PREPARING, IncidentState.OPEN])
            return [
                IncidentProgress(
                    incident=i,
                    people=i.people,
                    counts=await tx.schedule.progress(i.id),
                    unstored=sum((await _unstored(tx, i)).values()),
                    next_step_at=next(
                        (
                            i.created_at + timedelta(seconds=offset)
                            for offset in sorted(i.offsets)
                            if i.created_at + timedelta(seconds=offset) > now
                        ),
                        None,
                    ),
                )
                for i in incidents
            ]

    async def open_incidents(self, *, coordinator_id: str) -> list[Incident]:
        """Incidents still followed up (being scheduled or open), oldest first, without counts (the
        coordinator's Home lists them, each with a way to its follow-up view)."""
        await self._roles.require_coordinator_role(coordinator_id)
        async with self._db.read() as tx:
            return await tx.incidents.incidents_in([IncidentState.PREPARING, IncidentState.OPEN])

    async def follow_up(self, *, coordinator_id: str, incident_id: int) -> IncidentFollowUp:
        """How an incident's follow-up is reaching people, per step of its plan (raw counts: the
        view suppresses them, and shows nothing per step for a plan too small for statistics)."""
        await self._roles.require_coordinator_role(coordinator_id)
        async with self._db.read() as tx:
            incident = await tx.incidents.get_incident(incident_id)
            if incident is None:
                raise IncidentNotFound()
            people = await tx.incidents.people(incident_id)
            states = await tx.schedule.progress_by_step(incident_id)
            answers = await tx.incidents.step_answers(incident_id)
            unstored = await _unstored(tx, incident)
        steps = []
        for seq, offset in enumerate(incident.offsets, start=1):
            state = states.get(seq, {})
            answer = answers.get(seq, {})
            steps.append(
                StepFollowUp(
                    seq=seq,
                    offset=timedelta(seconds=offset),
                    due=state.get(ScheduledState.DUE, 0)
                    + state.get(ScheduledState.SENDING, 0)
                    + unstored.get(seq, 0),
                    sent=state.get(ScheduledState.SENT, 0) + state.get(ScheduledState.ANSWERED, 0),
                    ok=answer.get(CheckinAnswer.OK, 0),
                    talk=answer.get(CheckinAnswer.TALK, 0),
                    stop=answer.get(CheckinAnswer.STOP, 0),
                    not_answered=state.get(ScheduledState.SENT, 0),
                    unreached=sum(
                        state.get(s, 0)
                        for s in (ScheduledState.MISSED, ScheduledState.FAILED, ScheduledState.UNCONFIRMED)
                    ),
                )
            )
        return IncidentFollowUp(
            incident=incident, people=people, steps=tuple(steps), wording=self.wording(incident)
        )

    async def change_incident(
        self, *, coordinator_id: str, incident_id: int, change: IncidentChange
    ) -> IncidentChanged:
        """Add people to an open incident and extend or shorten its plan; what is no longer in the
        plan is cancelled at once, the new check-ins are scheduled by :meth:`schedule_change`.

        A plan changes only at its end: steps are added after the last one or removed from the end,
        and a step already due cannot be removed (its check-ins went out).
        """
        await self._roles.require_coordinator_role(coordinator_id)
        errors: dict[str, str] = {}
        if len(change.user_ids) > MAX_PEOPLE:
            errors["people"] = f"Choose up to {MAX_PEOPLE} people at a time."
        plan = None
        if change.plan and change.plan.strip():
            try:
                plan = [int(d.total_seconds()) for d in parse_plan(change.plan)]
            except ValueError as exc:
                errors["plan"] = f"Couldn't read the plan: {exc}."
        wording = {}
        for field, text in (("wording_early", change.wording_early), ("wording_later", change.wording_later)):
            if text is not None and len(text.strip()) > WORDING_MAX:
                errors[field] = f"Please keep it to {WORDING_MAX} characters (it has {len(text.strip())})."
            elif text is not None:
                wording[field] = text.strip()
        now = self._clock.now()
        async with self._db.transaction() as tx:
            incident = await tx.incidents.get_incident(incident_id)
            if incident is None or incident.state == IncidentState.CLOSED:
                raise IncidentNotFound()
            if incident.state != IncidentState.OPEN:
                errors["people"] = "Its check-ins are still being scheduled; try again in a minute."
            old = list(incident.offsets)
            new = old if plan is None else plan
            if "plan" not in errors and new != old:
                if new[: len(old)] != old and old[: len(new)] != new:
                    errors["plan"] = (
                        "Add check-ins after the last one or remove them from the end; the steps"
                        f" before stay as they are ({format_plan([timedelta(seconds=o) for o in old])})."
                    )
                elif len(new) < len(old) and incident.created_at + timedelta(seconds=old[len(new)]) <= now:
                    errors["plan"] = f"Check-in {len(new) + 1} is already due or sent; it can't be removed."
            if errors:
                raise InvalidForm(errors)
            members = set(await tx.incidents.members(incident_id))
            added = tuple(sorted(change.user_ids - members))
            cancelled = 0
            # Steps added after a plan whose steps are all stored, and due now or soon, are stored
            # by schedule_change (from now, if their time has passed: the coordinator just added
            # them); the later ones as they come, like every step.
            stored = min(incident.steps_stored, len(old))
            soon: tuple[int, ...] = ()
            if len(new) > len(old) and stored == len(old):
                soon = tuple(
                    seq
                    for seq in range(len(old) + 1, len(new) + 1)
                    if incident.created_at + timedelta(seconds=new[seq - 1]) - STORED_AHEAD <= now
                )
            if new != old:
                if len(new) < len(old):
                    # What the removed steps would have sent: the rows stored, and those still to come.
                    unstored = await tx.schedule.not_yet_stored(incident_id, stored=stored, steps=len(old))
                    cancelled = sum(n for seq, n in unstored.items() if seq > len(new))
                    cancelled += await tx.schedule.cancel_due(incident_id=incident_id, after_seq=len(new))
                await tx.incidents.set_offsets(
                    incident_id,
                    new,
                    steps_stored=min(stored, len(new)) + len(soon),
                    only_from=IncidentState.OPEN,
                )
            defaults = DEFAULT_WORDING[incident.kind]
            early = wording.get("wording_early", incident.wording_early or defaults[0]) or defaults[0]
            later = wording.get("wording_later", incident.wording_later or defaults[1]) or defaults[1]
            reworded = (early, later) != self.wording(incident)
            if reworded:
                await tx.incidents.set_wording(
                    incident_id,
                    early=None if early == defaults[0] else early,
                    later=None if later == defaults[1] else later,
                )
            if not added and new == old and not reworded:
                return IncidentChanged(incident_id=incident_id, added=(), new_steps=(), cancelled=0)
            await tx.tracking.audit(
                actor_id=coordinator_id,
                action="incident changed",
                detail=f"#{incident_id}: {len(added)} people added, a plan of {len(old)} -> {len(new)}"
                f" check-ins, {cancelled} cancelled{', wording changed' if reworded else ''}",
                now=now,
            )
        log.info("incident %s changed: %d added, plan %d -> %d", incident_id, len(added), len(old), len(new))
        return IncidentChanged(incident_id=incident_id, added=added, new_steps=soon, cancelled=cancelled)

    async def schedule_change(self, changed: IncidentChanged) -> None:
        """Schedule exactly the check-ins a change adds: the added steps due now or soon for everyone
        still checked in with, and the whole plan for the people added (from the moment they were
        added: the first days after hearing of it matter to them too). Rows carry dedupe keys, so a
        repeat adds nothing.
        """
        if not changed.added and not changed.new_steps:
            return
        async with self._db.read() as tx:
            incident = await tx.incidents.get_incident(changed.incident_id)
            staying = (
                [p.user_id for p in await tx.incidents.to_check_in(changed.incident_id)]
                if changed.new_steps
                else []
            )
        if incident is None or incident.state != IncidentState.OPEN:
            return
        profiles = await self._directory.profiles(set(staying) | set(changed.added))

        def reachable(user_id: str) -> bool:
            return user_id in profiles and profiles[user_id].active and not profiles[user_id].bot

        now = self._clock.now()
        rows: list[NewScheduled] = []
        for user_id in staying:
            if reachable(user_id) and user_id not in changed.added:
                window = self._window(profiles[user_id].tz)
                rows += [
                    NewScheduled(
                        kind=ScheduledKind.CHECKIN,
                        recipient_id=user_id,
                        due_at=window.next_opening(
                            max(incident.created_at + timedelta(seconds=incident.offsets[seq - 1]), now)
                        ),
                        incident_id=incident.id,
                        seq=seq,
                    )
                    for seq in changed.new_steps
                    if seq <= len(incident.offsets)
                ]
        people = [u for u in changed.added if not (u in profiles and profiles[u].bot)]
        for user_id in people:
            if not reachable(user_id):
                rows.append(
                    NewScheduled(
                        kind=ScheduledKind.CHECKIN,
                        recipient_id=user_id,
                        due_at=now,
                        incident_id=incident.id,
                        seq=0,
                        state=ScheduledState.SKIPPED,
                        reason="deactivated or unknown",
                    )
                )
                continue
            window = self._window(profiles[user_id].tz)
            rows += [
                NewScheduled(
                    kind=ScheduledKind.CHECKIN,
                    recipient_id=user_id,
                    due_at=window.next_opening(now + timedelta(seconds=offset)),
                    incident_id=incident.id,
                    seq=seq,
                )
                for seq, offset in enumerate(incident.offsets, start=1)
            ]
        affected = [
            Affected(user_id=u, tz=profiles[u].tz) if reachable(u) else Affected(user_id=u, skipped=True)
            for u in people
        ]

        async def add_people(tx: Tx) -> None:
            await tx.incidents.add_members(incident.id, affected)

        # Paced chunks, as when a step is stored (a step added for 2,000 people is 2,000 rows).
        stored = await self._store_rows(incident.id, rows, first=add_people)
        if stored is None:
            return  # closed meanwhile: nothing more of it may go out
        log.info(
            "incident %s: %d check-ins added (%d chunks, paused %.3f s)",
            incident.id,
            stored.rows,
            stored.chunks,
            stored.rested,
        )

    async def close_incident(self, *, coordinator_id: str, incident_id: int) -> int:
        """Close an incident; what is still due is cancelled. Returns how many were cancelled."""
        await self._roles.require_coordinator_role(coordinator_id)
        now = self._clock.now()
        async with self._db.transaction() as tx:
            incident = await tx.incidents.get_incident(incident_id)
            # The check-ins that will not go out: those stored and due, and the later steps' to come.
            unstored = await _unstored(tx, incident) if incident is not None else {}
            closed = await tx.incidents.set_incident_state(
                incident_id, IncidentState.CLOSED, only_from=IncidentState.OPEN, now=now
            ) or await tx.incidents.set_incident_state(
                incident_id, IncidentState.CLOSED, only_from=IncidentState.PREPARING, now=now
            )
            if not closed:
                raise IncidentNotFound()
            cancelled = await tx.schedule.cancel_due(incident_id=incident_id) + sum(unstored.values())
            await tx.tracking.audit(
                actor_id=coordinator_id,
                action="incident closed",
                detail=f"#{incident_id}, {cancelled} check-ins cancelled",
                now=now,
            )
        log.info("incident %s closed; %d check-ins cancelled", incident_id, cancelled)
        self._homes.changed(coordinators=True)
        return cancelled

    # Supporters' follow-ups

    async def schedule_follow_up(self, *, request_id: int, supporter_id: str, after: timedelta) -> None:
        """Remind a supporter to check back in, ``after`` from now (inside their working hours)."""
        await self.schedule_for_supporter(
            kind=ScheduledKind.FOLLOW_UP, request_id=request_id, supporter_id=supporter_id, after=after
        )
        log.info("follow-up for request %s scheduled", request_id)

    async def schedule_for_supporter(
        self,
        *,
        kind: ScheduledKind,
        request_id: int,
        supporter_id: str,
        after: timedelta,
        dedupe_key: str | None = None,
    ) -> None:
        """Schedule a DM to a supporter about a request, ``after`` from now, inside their working hours."""
        profiles = await self._directory.profiles({supporter_id})
        profile = profiles.get(supporter_id)
        due = self._window(profile.tz if profile else None).next_opening(self._clock.now() + after)
        async with self._db.transaction() as tx:
            await tx.schedule.schedule(
                [
                    NewScheduled(
                        kind=kind,
                        recipient_id=supporter_id,
                        due_at=due,
                        request_id=request_id,
                        dedupe_key=dedupe_key,
                    )
                ]
            )

    # Start-up

    async def recover(self) -> None:
        """At start: finish incidents left preparing."""
        await self.retry_stalled(older_than=timedelta(0))

    async def retry_stalled(self, *, older_than: timedelta = STALLED_AFTER) -> None:
        """Prepare again incidents still preparing after ``older_than`` (Slack failed the lookups).

        Preparing is idempotent (rows carry dedupe keys; the incident is claimed once), so a
        retry racing the first attempt schedules nothing twice.
        """
        now = self._clock.now()
        async with self._db.read() as tx:
            preparing = await tx.incidents.incidents_in([IncidentState.PREPARING])
        for incident in preparing:
            not_before, pause = self._backoff.get(incident.id, (incident.created_at + older_than, older_than))
            if now < not_before:
                continue
            try:
                await self.prepare(incident_id=incident.id)
            except Exception as exc:  # noqa: BLE001 - a later sweep tries again
                pause = min(max(pause, STALLED_AFTER) * 2, RETRY_AT_MOST)
                self._backoff[incident.id] = (now + pause, pause)
                log.warning(
                    "incident %s: preparing failed again (%s); next try in %s",
                    incident.id,
                    failure(exc),
                    pause,
                )
            else:
                self._backoff.pop(incident.id, None)

    # Internals

    def _window(self, tz_name: str | None) -> ServiceHours:
        key = tz_name or self._policy.program_tz.key
        window = self._windows.get(key)
        if window is None:
            try:
                window = self._policy.window.in_zone(ZoneInfo(key))
            except (ZoneInfoNotFoundError, ValueError):
                window = self._policy.window.in_zone(self._policy.program_tz)
            self._windows[key] = window
        return window

    def _validate(
        self, form: IncidentForm
    ) -> tuple[
        IncidentKind | None,
        str | None,
        date | None,
        list[timedelta] | None,
        datetime | None,
        str | None,
        dict[str, str],
    ]:
        errors: dict[str, str] = {}
        try:
            kind: IncidentKind | None = IncidentKind(form.kind or "")
        except ValueError:
            kind = None
            errors["kind"] = "Please choose what happened."
        name = (form.name or "").strip() or None
        if name is None:
            errors["name"] = "Please give it a name, e.g. “Courthouse shooting, Dec 2”."
        elif len(name) > NAME_MAX:
            errors["name"] = f"Please keep the name to {NAME_MAX} characters."
        occurred_on = _date(form.occurred_on)
        today = self._clock.now().astimezone(self._policy.program_tz).date()
        if occurred_on is None:
            errors["occurred_on"] = "Please pick the date."
        elif occurred_on > today:
            errors["occurred_on"] = "That date is in the future."
        if not form.user_ids and not form.channel_id:
            errors["people"] = "Choose the people affected, or a channel whose members are all affected."
        elif len(form.user_ids) > MAX_PEOPLE:
            # A crafted submission could carry thousands: bounded, and said so in the modal.
            errors["people"] = (
                f"Choose up to {MAX_PEOPLE} people, or a channel whose members are all affected."
            )
        plan = None
        if form.plan and form.plan.strip():
            try:
                plan = parse_plan(form.plan)
            except ValueError as exc:
                errors["plan"] = f"Couldn't read the plan: {exc}."
        elif kind is not None:
            plan = self.default_plan(kind)
        debrief_at, place = self._debrief(form, errors)
        return kind, name, occurred_on, plan, debrief_at, place, errors

    def _debrief(self, form: IncidentForm, errors: dict[str, str]) -> tuple[datetime | None, str | None]:
        given = [bool(form.debrief_date), bool(form.debrief_time), bool((form.debrief_place or "").strip())]
        if not any(given):
            return None, None
        if not all(given):
            errors["debrief"] = "For a debrief, give its date, time and place (or leave all three empty)."
            return None, None
        day = _date(form.debrief_date)
        try:
            at_time = time.fromisoformat(form.debrief_time or "")
        except ValueError:
            at_time = None
        place = (form.debrief_place or "").strip()
        if day is None or at_time is None:
            errors["debrief"] = "Please pick the debrief's date and time."
            return None, None
        if len(place) > PLACE_MAX:
            errors["debrief"] = f"Please keep the place to {PLACE_MAX} characters."
        at = datetime.combine(day, at_time, tzinfo=self._policy.program_tz)
        if at <= self._clock.now():
            errors["debrief"] = "The debrief must be in the future."
        return at, place


async def _unstored(tx: Tx, incident: Incident) -> dict[int, int]:
    """Per later step of an open incident's plan: its check-ins not yet stored (none once closed)."""
    if incident.state != IncidentState.OPEN:
        return {}
    steps = len(incident.offsets)
    return await tx.schedule.not_yet_stored(incident.id, stored=incident.steps_stored, steps=steps)


def _early_step(incident: Incident, seq: int) -> bool:
    offsets = incident.offsets
    return is_early(timedelta(seconds=offsets[seq - 1])) if 0 < seq <= len(offsets) else True


def _date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text or "")
    except ValueError:
        return None
