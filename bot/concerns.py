"""Concern for a colleague: anyone may say they are worried about someone.

Coordinators get it by DM and either reach out gently themselves or ask a supporter
to. The colleague is never told who raised it, and the bot never messages them about
it. Who raised it is kept only if they agreed to be contacted; otherwise it is not
stored at all. The person who raised it is thanked and given the resources.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.errors import ConcernHandled, ConcernNotFound, InvalidForm, SupporterCannotTakeRequest
from bot.failures import failure, quietly
from bot.ports import Clock, ConcernNotifier, HomeRefresh, NoHomeRefresh
from bot.roles import Roles
from storage.db import Database
from storage.models import Concern, ConcernState
from storage.sql import InconsistentRecords

log = logging.getLogger(__name__)

NOTE_MAX = 500
TOPIC = "concern"  # of the coordinators' copies of the alert


@dataclass(frozen=True)
class ConcernForm:
    """What the worried colleague entered, before validation."""

    subject_id: str | None
    note: str | None
    contact_me: bool  # coordinators may contact them about it (else they stay anonymous)


class ConcernService:
    """Raises concerns, alerts coordinators, and records who acted."""

    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        roles: Roles,
        notifier: ConcernNotifier,
        homes: HomeRefresh | None = None,
    ) -> None:
        self._db = db
        self._clock = clock
        self._roles = roles
        self._notifier = notifier
        self._homes: HomeRefresh = homes or NoHomeRefresh()

    async def raise_concern(self, *, raiser_id: str, form: ConcernForm) -> int:
        """Store a concern; :meth:`alert` tells the coordinators and thanks the raiser."""
        errors: dict[str, str] = {}
        note = (form.note or "").strip() or None
        if not form.subject_id:
            errors["subject"] = "Please choose the colleague you're worried about."
        elif form.subject_id == raiser_id:
            errors["subject"] = (
                "It sounds like this is about you. Type `/peer` to talk privately with a peer supporter."
            )
        elif not [c for c in await self._roles.all_coordinators() if c != form.subject_id]:
            errors["subject"] = "There's no other coordinator to tell. Please contact the EAP about this."
        if note is not None and len(note) > NOTE_MAX:
            errors["note"] = f"Please keep the note to {NOTE_MAX} characters."
        if errors:
            raise InvalidForm(errors)
        if form.subject_id is None:
            raise InconsistentRecords("missing: form.subject_id")
        async with self._db.transaction() as tx:
            concern_id = await tx.concerns.create(
                subject_id=form.subject_id,
                raised_by=raiser_id if form.contact_me else None,
                note=note,
                now=self._clock.now(),
            )
        log.info("concern %s raised", concern_id)
        return concern_id

    async def thank(self, *, raiser_id: str) -> None:
        """Thank the person who raised a concern, with the resources."""
        await quietly(self._notifier.concern_thanks(raiser_id), "concern_thanks")

    async def alert(self, *, concern_id: int) -> None:
        """DM every coordinator but the colleague concerned."""
        async with self._db.read() as tx:
            concern = await tx.concerns.get(concern_id)
        if concern is None:
            return
        for coordinator_id in await self._roles.all_coordinators():
            if coordinator_id == concern.subject_id:
                continue  # a coordinator never learns that someone is worried about them
            try:
                ref = await self._notifier.send_concern_alert(coordinator_id, concern)
            except Exception as exc:  # noqa: BLE001 - the other coordinators still get it
                log.warning("concern %s: an alert failed: %s", concern_id, failure(exc))
                continue
            async with self._db.transaction() as tx:
                await tx.roles.add_copy(TOPIC, concern_id, coordinator_id, ref)
        self._homes.changed(coordinators=True)

    async def take(self, *, coordinator_id: str, concern_id: int) -> Concern:
        """The coordinator will reach out themselves."""
        return await self._handle(coordinator_id, concern_id, ConcernState.TAKEN, None)

    async def hand_to(self, *, coordinator_id: str, concern_id: int, supporter_id: str) -> Concern:
        """The coordinator asks a supporter to reach out; the supporter is told whom, never who raised it."""
        await self._roles.require_coordinator_role(coordinator_id)
        async with self._db.read() as tx:
            concern = await tx.concerns.get(concern_id)
            supporter = await tx.roster.get(supporter_id)
        if concern is None or concern.subject_id == coordinator_id:
            raise ConcernNotFound()
        if supporter is None or supporter.suspended or supporter_id == concern.subject_id:
            raise SupporterCannotTakeRequest()
        handled = await self._handle(coordinator_id, concern_id, ConcernState.HANDED, supporter_id)
        await quietly(
            self._notifier.ask_supporter_to_reach_out(
                supporter_id, subject_id=concern.subject_id, coordinator_id=coordinator_id
            ),
            "ask_supporter_to_reach_out",
        )
        return handled

    async def open_count(self, *, coordinator_id: str) -> int:
        """Concerns no coordinator has acted on yet (for a coordinator's Home), never counting
        those about that coordinator: the subject of a concern learns nothing of it."""
        async with self._db.read() as tx:
            return await tx.concerns.open_count(not_about=coordinator_id)

    async def _handle(
        self, coordinator_id: str, concern_id: int, target: ConcernState, supporter_id: str | None
    ) -> Concern:
        await self._roles.require_coordinator_role(coordinator_id)
        async with self._db.transaction() as tx:
            concern = await tx.concerns.get(concern_id)
            # About the coordinator themselves: answered as if it did not exist (a crafted click
            # must not let its subject see, take or silence it).
            if concern is None or concern.subject_id == coordinator_id:
                raise ConcernNotFound()
            if not await tx.concerns.handle(
                concern_id, target, by=coordinator_id, supporter_id=supporter_id, now=self._clock.now()
            ):
                raise ConcernHandled(concern.handled_by)
            # Only the concern's number: never who it is about, who raised it, or the note.
            await tx.tracking.audit(
                actor_id=coordinator_id,
                action="concern taken" if supporter_id is None else "concern handed to a supporter",
                detail=f"#{concern_id}" + (f" to <@{supporter_id}>" if supporter_id else ""),
                now=self._clock.now(),
            )
            handled = await tx.concerns.get(concern_id)
            refs = await tx.roles.copies(TOPIC, concern_id)
        if handled is None:
            raise InconsistentRecords("missing: handled")
        log.info("concern %s %s", concern_id, target)
        for ref in refs:
            await quietly(self._notifier.update_concern_alert(ref, handled), "update_concern_alert")
        self._homes.changed(coordinators=True)
        return handled
