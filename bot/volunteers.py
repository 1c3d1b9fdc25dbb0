"""Selection: anyone may offer to become a peer supporter; a coordinator approves or declines.

Every coordinator gets the offer by DM; the first decision wins (a conditional update),
every copy of the review is redrawn with it, and the volunteer is told. An approved
volunteer joins the roster untrained: offers start once their basic course is recorded.
"""

from __future__ import annotations

import logging

from bot.errors import (
    AlreadyDecided,
    AlreadyOnRoster,
    AlreadyVolunteered,
    DeliveryFailed,
    InvalidForm,
    VolunteerNotFound,
)
from bot.failures import quietly
from bot.ports import Clock, HomeRefresh, NoHomeRefresh, RosterNotifier, VolunteerCard
from bot.roles import Roles
from storage.db import Database
from storage.models import Volunteer, VolunteerState
from storage.sql import InconsistentRecords

log = logging.getLogger(__name__)

NOTE_MAX = 500
TOPIC = "volunteer"  # of the coordinators' copies of the review DM


class VolunteerService:
    """Offers to volunteer and the coordinators' decisions on them."""

    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        roles: Roles,
        notifier: RosterNotifier,
        homes: HomeRefresh | None = None,
    ) -> None:
        self._db = db
        self._clock = clock
        self._roles = roles
        self._notifier = notifier
        self._homes: HomeRefresh = homes or NoHomeRefresh()

    async def volunteer(self, *, user_id: str, note: str | None) -> Volunteer:
        """Record an offer to volunteer; :meth:`ask_coordinators` sends it for review."""
        note = (note or "").strip() or None
        if note is not None and len(note) > NOTE_MAX:
            raise InvalidForm({"note": f"Please keep the note to {NOTE_MAX} characters."})
        async with self._db.transaction() as tx:
            if await tx.roster.get(user_id) is not None:
                raise AlreadyOnRoster()
            volunteer = await tx.roles.add_volunteer(user_id, note=note, now=self._clock.now())
        if volunteer is None:
            raise AlreadyVolunteered()
        log.info("volunteer %s recorded", volunteer.id)
        self._homes.changed(user_id, coordinators=True)
        return volunteer

    async def ask_coordinators(self, *, volunteer_id: int) -> None:
        """DM every coordinator the review, and remember where each landed."""
        async with self._db.read() as tx:
            volunteer = await tx.roles.get_volunteer(volunteer_id)
        if volunteer is None:
            return
        card = _card(volunteer)
        for coordinator_id in await self._roles.all_coordinators():
            try:
                ref = await self._notifier.send_volunteer_review(coordinator_id, card)
            except DeliveryFailed as refused:
                log.warning("volunteer %s: a review DM failed (%s)", volunteer_id, refused.reason)
                continue
            async with self._db.transaction() as tx:
                await tx.roles.add_copy(TOPIC, volunteer_id, coordinator_id, ref)

    async def decide(self, *, coordinator_id: str, volunteer_id: int, approve: bool) -> Volunteer:
        """Approve (the volunteer joins the roster, untrained) or decline; the first decision wins."""
        await self._roles.require_coordinator_role(coordinator_id)
        now = self._clock.now()
        target = VolunteerState.APPROVED if approve else VolunteerState.DECLINED
        async with self._db.transaction() as tx:
            volunteer = await tx.roles.get_volunteer(volunteer_id)
            if volunteer is None:
                raise VolunteerNotFound()
            if not await tx.roles.decide_volunteer(volunteer_id, target, decided_by=coordinator_id, now=now):
                raise AlreadyDecided(volunteer.decided_by)
            if approve:
                await tx.roster.add(volunteer.user_id, now=now)
            await tx.tracking.audit(
                actor_id=coordinator_id,
                action="volunteer approved" if approve else "volunteer declined",
                detail=f"<@{volunteer.user_id}>",  # never their note
                now=now,
            )
            decided = await tx.roles.get_volunteer(volunteer_id)
            refs = await tx.roles.copies(TOPIC, volunteer_id)
        if decided is None:
            raise InconsistentRecords("missing: decided")
        log.info("volunteer %s %s", volunteer_id, target)
        self._homes.changed(decided.user_id, coordinators=True)
        card = _card(decided)
        for ref in refs:
            await quietly(self._notifier.update_volunteer_review(ref, card), "update_volunteer_review")
        await quietly(
            self._notifier.volunteer_decided(decided.user_id, approved=approve), "volunteer_decided"
        )
        return decided

    async def pending(self, *, coordinator_id: str) -> list[Volunteer]:
        """Volunteers waiting for a decision (coordinators only)."""
        await self._roles.require_coordinator_role(coordinator_id)
        async with self._db.read() as tx:
            return await tx.roles.pending_volunteers()

    async def pending_of(self, user_id: str) -> Volunteer | None:
        """The person's own offer, if still waiting."""
        async with self._db.read() as tx:
            return await tx.roles.pending_volunteer_of(user_id)


def _card(volunteer: Volunteer) -> VolunteerCard:
    return VolunteerCard(
        volunteer_id=volunteer.id,
        user_id=volunteer.user_id,
        note=volunteer.note,
        state=VolunteerState(volunteer.state),
        decided_by=volunteer.decided_by,
    )
