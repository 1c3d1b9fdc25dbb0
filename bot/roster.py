"""The roster of peer supporters: selection, training, availability, suspension and retirement.

Coordinators change it by typed command or from their Home's modals; both call the same methods
here, each change audited in its unit of work. A modal's submission is claimed in that same unit
(by Slack's view id), so a form submitted twice acts once. Coordinators see the roster's load as it
stood at the start of the day, in bands (:class:`LoadBand`), never live.

Why this module runs past 400 lines: every change a coordinator or supporter makes to the roster
(add, train, suspend, remove, away, available, reachability) shares the same shape (check the role,
one unit of work with its audit row, redraw the Homes, retry waiting requests); kept together, the
roster's rules read in one place.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from bot.errors import DateNotInFuture, InvalidForm, NotOnRoster, Suspended
from bot.handoff import Handoff, HandoffKind
from bot.peer_requests import RequestService
from bot.ports import Clock, Directory, HomeRefresh, NoHomeRefresh
from bot.roles import Roles
from bot.service_hours import ServiceHours
from bot.training import TrainingPolicy, TrainingState
from storage.db import Database, Tx
from storage.models import MessageRef, ScheduledKind, Supporter, Training, TrainingKind

log = logging.getLogger(__name__)

TRAINING_NAME_MAX = 80
# A training date further back than this is a slip of the date picker, not a record.
TRAINING_OLDEST = timedelta(days=3653)  # ten years
# How often the roster is checked for deactivated Slack accounts, and the flag they get.
REACH_CHECK_EVERY = timedelta(hours=6)
DEACTIVATED = "deactivated"


@dataclass(frozen=True)
class RosterChange:
    """What a roster command changed."""

    added: list[str]
    updated: list[str]
    removed: list[str]
    not_found: list[str]


class _Repeated(Exception):
    """The same form was submitted before (a double click, a retry): its unit of work is rolled back."""


async def _claim(tx: Tx, submission: str | None, now: datetime) -> None:
    """Claim a submitted form (Slack's view id) in the unit of work that acts on it, once ever."""
    if submission is not None and not await tx.relay.claim_submission(submission, now=now):
        raise _Repeated()


NOTHING = RosterChange(added=[], updated=[], removed=[], not_found=[])


class LoadBand(StrEnum):
    """A supporter's load as coordinators see it: the requests they held at the start of the day, in
    coarse bands. Never live: a load that moved between two looks would tell a coordinator that a
    supporter just took a request (docs/threat-model.md, finding 16)."""

    NONE = "none"
    LIGHT = "light"  # 1 or 2
    HEAVY = "heavy"  # 3 or more


def load_band(held: int) -> LoadBand:
    """The band of ``held`` requests."""
    if held <= 0:
        return LoadBand.NONE
    return LoadBand.LIGHT if held <= 2 else LoadBand.HEAVY


@dataclass(frozen=True)
class RosterEntry:
    """One supporter as coordinators (and they themselves) see them."""

    supporter: Supporter
    available: bool
    training: TrainingState
    lapses_on: date | None
    trainings: list[Training] = field(default_factory=list)
    # Requests held at the start of today, banded (coordinators' views only; never live).
    load: LoadBand = LoadBand.NONE

    @property
    def advanced(self) -> list[Training]:
        """Advanced trainings (e.g. CISM), oldest first."""
        return [t for t in self.trainings if t.kind == TrainingKind.ADVANCED]

    @property
    def gets_offers(self) -> bool:
        """Whether requests can be offered to them now (bar capacity and hours)."""
        s = self.supporter
        current = self.training in (TrainingState.CURRENT, TrainingState.DUE_SOON)
        return current and self.available and not s.suspended and s.unreachable is None


class RosterService:
    """Coordinators manage the roster and its trainings; supporters manage their own availability."""

    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        hours: ServiceHours,
        roles: Roles,
        requests: RequestService,
        handoff: Handoff,
        training: TrainingPolicy,
        directory: Directory,
        homes: HomeRefresh | None = None,
    ) -> None:
        self._db = db
        self._handoff = handoff
        self._clock = clock
        self._hours = hours
        self._roles = roles
        self._requests = requests
        self._training = training
        self._directory = directory
        self._homes: HomeRefresh = homes or NoHomeRefresh()
        self._last_reach_check: datetime | None = None

    async def add(
        self,
        *,
        coordinator_id: str,
        user_ids: Iterable[str],
        trained_on: date | None,
        submission: str | None = None,
    ) -> RosterChange:
        """Put people on the roster (or record their basic course).

        ``submission`` names the form submitted (Slack's view id): submitted again, it changes
        nothing and returns an empty change.
        """
        await self._roles.require_coordinator_role(coordinator_id)
        self._check_training_date(trained_on)
        try:
            added, updated = await self._add(coordinator_id, user_ids, trained_on, submission)
        except _Repeated:
            log.info("roster: an add submitted again, not recorded twice")
            return NOTHING
        log.info("roster: %d added, %d updated", len(added), len(updated))
        self._homes.changed(*added, *updated, coordinators=True)
        await self._retry_waiting()
        return RosterChange(added=added, updated=updated, removed=[], not_found=[])

    async def _add(
        self, coordinator_id: str, user_ids: Iterable[str], trained_on: date | None, submission: str | None
    ) -> tuple[list[str], list[str]]:
        added: list[str] = []
        updated: list[str] = []
        async with self._db.transaction() as tx:
            for user_id in dict.fromkeys(user_ids):
                is_new = await tx.roster.add(user_id, now=self._clock.now())
                if trained_on is not None:
                    await tx.roster.record_training(
                        user_id,
                        kind=TrainingKind.BASIC,
                        name="",
                        completed_on=trained_on,
                        recorded_by=coordinator_id,
                        now=self._clock.now(),
                    )
                (added if is_new else updated).append(user_id)
                trained = f" trained {trained_on:%Y-%m-%d}" if trained_on else ""
                await tx.tracking.audit(
                    actor_id=coordinator_id,
                    action="roster add" if is_new else "roster update",
                    detail=f"<@{user_id}>{trained}",
                    now=self._clock.now(),
                )
            await _claim(tx, submission, self._clock.now())
        return added, updated

    async def record_training(
        self,
        *,
        coordinator_id: str,
        user_ids: Iterable[str],
        kind: TrainingKind,
        completed_on: date,
        name: str = "",
        submission: str | None = None,
    ) -> RosterChange:
        """Record a training for supporters; a basic course or refresher makes their training current.

        ``submission`` names the form submitted (Slack's view id): submitted again, it records
        nothing and returns an empty change.
        """
        await self._roles.require_coordinator_role(coordinator_id)
        self._check_training_date(completed_on)
        name = name.strip()
        if kind == TrainingKind.ADVANCED and not name:
            raise InvalidForm({"name": "Name the advanced training, e.g. CISM group crisis intervention."})
        if len(name) > TRAINING_NAME_MAX:
            raise InvalidForm({"name": f"Please keep the training's name to {TRAINING_NAME_MAX} characters."})
        try:
            async with self._db.transaction() as tx:
                updated, not_found = await self._record(
                    tx, coordinator_id, user_ids, kind, completed_on, name
                )
                if updated:  # a form naming nobody on the roster may be corrected and sent again
                    await _claim(tx, submission, self._clock.now())
        except _Repeated:
            log.info("roster: a training submitted again, not recorded twice")
            return NOTHING
        log.info("roster: %s training recorded for %d supporter(s)", kind, len(updated))
        self._homes.changed(*updated, coordinators=True)
        await self._retry_waiting()
        return RosterChange(added=[], updated=updated, removed=[], not_found=not_found)

    async def _record(
        self,
        tx: Tx,
        coordinator_id: str,
        user_ids: Iterable[str],
        kind: TrainingKind,
        completed_on: date,
        name: str,
    ) -> tuple[list[str], list[str]]:
        updated: list[str] = []
        not_found: list[str] = []
        for user_id in dict.fromkeys(user_ids):
            recorded = await tx.roster.record_training(
                user_id,
                kind=kind,
                name=name if kind == TrainingKind.ADVANCED else "",
                completed_on=completed_on,
                recorded_by=coordinator_id,
                now=self._clock.now(),
            )
            (updated if recorded else not_found).append(user_id)
            if recorded:
                named = f" {name}" if kind == TrainingKind.ADVANCED else ""
                await tx.tracking.audit(
                    actor_id=coordinator_id,
                    action="training recorded",
                    detail=f"<@{user_id}> {kind}{named} completed {completed_on:%Y-%m-%d}",
                    now=self._clock.now(),
                )
        return updated, not_found

    async def remove(self, *, coordinator_id: str, user_ids: Iterable[str]) -> RosterChange:
        """Retire people from the roster; what they held goes back to the rotation.

        The program's statistics (requests, minutes, referrals) keep their rows.
        """
        await self._roles.require_coordinator_role(coordinator_id)
        removed: list[str] = []
        not_found: list[str] = []
        async with self._db.transaction() as tx:
            for user_id in dict.fromkeys(user_ids):
                if await tx.roster.remove(user_id):
                    removed.append(user_id)
                    await tx.tracking.audit(
                        actor_id=coordinator_id,
                        action="roster remove",
                        detail=f"<@{user_id}>",
                        now=self._clock.now(),
                    )
                else:
                    not_found.append(user_id)
        log.info("roster: %d removed", len(removed))
        self._homes.changed(*removed, coordinators=True)
        for user_id in removed:
            # What they held or were offered goes back to the rotation; nothing is stranded.
            await self._handoff.submit(HandoffKind.RELEASE_SUPPORTER, supporter_id=user_id, hand_back=True)
        return RosterChange(added=[], updated=[], removed=removed, not_found=not_found)

    async def submitted_before(self, submission: str) -> bool:
        """Whether this form (Slack's view id) was already acted on: a second copy of it that finds
        its change made is the same submission, not a mistake to answer with an error."""
        async with self._db.read() as tx:
            return await tx.relay.submission_claimed(submission)

    async def suspend(
        self, *, coordinator_id: str, user_ids: Iterable[str], suspended: bool, submission: str | None = None
    ) -> RosterChange:
        """Pause (or resume) offers to supporters; a pause passes their open offers on.

        ``submission`` names the form submitted (Slack's view id): submitted again, it changes
        nothing and returns an empty change.
        """
        await self._roles.require_coordinator_role(coordinator_id)
        updated: list[str] = []
        not_found: list[str] = []
        try:
            async with self._db.transaction() as tx:
                for user_id in dict.fromkeys(user_ids):
                    if not await tx.roster.set_suspended(user_id, suspended):
                        not_found.append(user_id)
                        continue
                    updated.append(user_id)
                    await tx.tracking.audit(
                        actor_id=coordinator_id,
                        action="supporter suspended" if suspended else "supporter resumed",
                        detail=f"<@{user_id}>",
                        now=self._clock.now(),
                    )
                    if not suspended:
                        # A coordinator resuming someone vouches they can be reached again.
                        await tx.roster.set_unreachable(user_id, None)
                if updated:
                    await _claim(tx, submission, self._clock.now())
        except _Repeated:
            log.info("roster: a suspension submitted again, not recorded twice")
            return NOTHING
        log.info("roster: %d %s", len(updated), "suspended" if suspended else "resumed")
        self._homes.changed(*updated, coordinators=True)
        if suspended:
            for user_id in updated:
                await self._handoff.submit(
                    HandoffKind.RELEASE_SUPPORTER, supporter_id=user_id, hand_back=False
                )
        else:
            await self._retry_waiting()
        return RosterChange(added=[], updated=updated, removed=[], not_found=not_found)

    async def entries(self, *, coordinator_id: str) -> list[RosterEntry]:
        """The roster with training, availability and load as of the start of the day, banded
        (coordinators only)."""
        await self._roles.require_coordinator_role(coordinator_id)
        start_of_day = datetime.combine(self._hours.today(self._clock.now()), time(0), tzinfo=self._hours.tz)
        async with self._db.read() as tx:
            supporters = await tx.roster.all()
            trainings = await tx.roster.trainings()
            held = await tx.requests.held_as_of(start_of_day)
        # In the order they joined, never the rotation's: the rotation moves with every offer, so
        # its order would show who was just offered or took a request.
        supporters.sort(key=lambda s: (s.added_at, s.user_id))
        return [
            self._entry(
                s,
                [t for t in trainings if t.user_id == s.user_id],
                load=load_band(held.get(s.user_id, 0)),
            )
            for s in supporters
        ]

    async def due(self, *, coordinator_id: str) -> list[RosterEntry]:
        """Supporters whose training has lapsed or lapses soon, soonest first."""
        entries = await self.entries(coordinator_id=coordinator_id)
        due = [e for e in entries if e.training in (TrainingState.LAPSED, TrainingState.DUE_SOON)]
        return sorted(due, key=lambda e: (e.lapses_on or date.min, e.supporter.user_id))

    async def entry(self, user_id: str) -> RosterEntry | None:
        """A supporter's own entry (their training status), if on the roster."""
        async with self._db.read() as tx:
            supporter = await tx.roster.get(user_id)
            trainings = await tx.roster.trainings([user_id]) if supporter else []
        return None if supporter is None else self._entry(supporter, trainings)

    async def get(self, user_id: str) -> Supporter | None:
        """The supporter, if on the roster."""
        async with self._db.read() as tx:
            return await tx.roster.get(user_id)

    async def set_away(self, *, user_id: str, until: date | None) -> None:
        """Pause offers to a supporter; their open offers move on to someone else."""
        if until is not None and until <= self._hours.today(self._clock.now()):
            raise DateNotInFuture()
        async with self._db.transaction() as tx:
            if not await tx.roster.set_away(user_id, until=until):
                raise NotOnRoster()
        self._homes.changed(user_id, coordinators=True)
        await self._handoff.submit(HandoffKind.RELEASE_SUPPORTER, supporter_id=user_id, hand_back=False)

    async def set_available(self, *, user_id: str) -> list[MessageRef]:
        """Resume offers to a supporter; waiting requests are tried again at once.

        Returns where the app told them they were set away (the only messages the caller may
        redraw to say they are back: never a location a click claims). Raises :class:`Suspended`
        (after clearing their own away) if a coordinator paused them.
        """
        async with self._db.transaction() as tx:
            if not await tx.roster.set_available(user_id):
                raise NotOnRoster()
            # Saying they are back shows they are reachable again.
            await tx.roster.set_unreachable(user_id, None)
            supporter = await tx.roster.get(user_id)
            notices = await tx.schedule.sent_refs(user_id, ScheduledKind.SUPPORTER_SET_AWAY)
        self._homes.changed(user_id, coordinators=True)
        if supporter is not None and supporter.suspended:
            raise Suspended()
        await self._retry_waiting()
        return notices

    async def set_after_hours(self, *, user_id: str, enabled: bool) -> None:
        """Opt a supporter in or out of offers outside service hours."""
        async with self._db.transaction() as tx:
            if not await tx.roster.set_after_hours(user_id, enabled):
                raise NotOnRoster()
        if enabled:
            await self._retry_waiting()

    async def check_reachable(self, *, every: timedelta = REACH_CHECK_EVERY) -> None:
        """Flag supporters whose Slack account was deactivated, before a request fails over to them.

        Looked up in bulk (``users.list``) at most every ``every``; an account found active
        again is cleared of that flag.
        """
        now = self._clock.now()
        if self._last_reach_check is not None and now - self._last_reach_check < every:
            return
        async with self._db.read() as tx:
            supporters = await tx.roster.all()
        if not supporters:
            return
        self._last_reach_check = now
        profiles = await self._directory.profiles({s.user_id for s in supporters})
        changed = False
        async with self._db.transaction() as tx:
            for s in supporters:
                profile = profiles.get(s.user_id)
                if profile is None:
                    continue  # not in the answer: nothing learned
                if not profile.active:
                    changed |= await tx.roster.set_unreachable(s.user_id, DEACTIVATED)
                elif s.unreachable == DEACTIVATED:
                    changed |= await tx.roster.set_unreachable(s.user_id, None)
        if changed:
            log.info("roster: reachability of supporters changed")
            self._homes.changed(coordinators=True)
            await self._retry_waiting()

    def _entry(
        self, supporter: Supporter, trainings: list[Training], *, load: LoadBand = LoadBand.NONE
    ) -> RosterEntry:
        today = self._hours.today(self._clock.now())
        return RosterEntry(
            supporter=supporter,
            available=_available(supporter, today),
            training=self._training.state(supporter.trained_on, today),
            lapses_on=self._training.lapses_on(supporter.trained_on),
            trainings=trainings,
            load=load,
        )

    def _check_training_date(self, completed_on: date | None) -> None:
        if completed_on is None:
            return
        today = self._hours.today(self._clock.now())
        if completed_on > today:
            raise InvalidForm({"date": "A training date can't be in the future."})
        if completed_on < today - TRAINING_OLDEST:
            raise InvalidForm({"date": "That date is more than ten years ago: please check it."})

    async def _retry_waiting(self) -> None:
        # Someone may have become eligible: waiting requests are tried again, after the reply.
        await self._handoff.submit(HandoffKind.RETRY_WAITING)


def _available(supporter: Supporter, today: date) -> bool:
    if not supporter.away:
        return True
    return supporter.away_until is not None and supporter.away_until <= today
