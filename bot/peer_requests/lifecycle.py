"""A request's life outside routing: making it, the requester's view and withdrawal, the holder's
view and close.

The states and the transitions allowed between them are defined once, in ``storage.models``
(``RequestState`` and the request repository's conditional ``transition``); nothing here restates
them. Routing moves a request among supporters (``routing``); this module starts and ends it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from bot.choices import choice
from bot.errors import AlreadyHasOpenRequest, InconsistentRecords, InvalidForm, NoOpenRequest, NotHeldByYou
from bot.matching import Preferences, key
from bot.peer_requests.notices import record_notice
from bot.peer_requests.outbox import Outbox, Outgoing
from bot.peer_requests.shared import MAX_EXCLUDED, RequestPolicy
from bot.peer_requests.urgent import start_urgent_clock
from bot.ports import Clock, HomeRefresh
from bot.roles import Roles
from bot.service_hours import ServiceHours
from storage.db import Database
from storage.models import (
    Area,
    ContactChannel,
    ContactMode,
    ConversationEnd,
    Offer,
    OfferState,
    PeerRequest,
    Referral,
    RequestState,
    ScheduledKind,
    Urgency,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RequestForm:
    """What the requester filled in, before validation."""

    area: str | None
    urgency: str | None
    contact: str | None
    preferred_supporter_id: str | None = None
    excluded_ids: frozenset[str] = frozenset()
    note: str | None = None
    incident_id: int | None = None  # asked from a check-in after this incident
    anonymous: bool = False  # talk through the app's relay, without the supporter seeing who
    preferences: Preferences = Preferences()  # who they'd like, validated (``bot.matching``)


@dataclass(frozen=True)
class ClosedRequest:
    """A close as stored, for what is sent after it (see :meth:`Lifecycle.announce_close`)."""

    request: PeerRequest
    offers: list[Offer]
    supporter_id: str


@dataclass(frozen=True)
class RequestStatus:
    """What a requester may see of their own request."""

    request_id: int
    state: RequestState
    assignee_id: str | None  # never for an anonymous request: the relay shows a label instead
    created_at: datetime
    anonymous: bool = False


class Lifecycle:
    """Creates, cancels and closes requests, and shows them to their requester and holder."""

    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        hours: ServiceHours,
        roles: Roles,
        policy: RequestPolicy,
        outgoing: Outgoing,
        homes: HomeRefresh,
    ) -> None:
        self._db = db
        self._clock = clock
        self._hours = hours
        self._roles = roles
        self._policy = policy
        self._outgoing = outgoing
        self._homes = homes

    # Making a request

    async def ensure_can_request(self, *, requester_id: str) -> None:
        """Raise :class:`AlreadyHasOpenRequest` if the person already has one open."""
        async with self._db.read() as tx:
            existing = await tx.requests.open_for_requester(requester_id)
        if existing is not None:
            raise AlreadyHasOpenRequest(existing.id)

    async def submit(self, *, requester_id: str, form: RequestForm) -> PeerRequest:
        """Validate and store a new request (pending); raises :class:`InvalidForm`."""
        area, urgency, contact, errors = _validate_choices(form)
        note = (form.note or "").strip() or None
        if note is not None and len(note) > self._policy.note_max_length:
            errors["note"] = (
                f"Please keep the note to {self._policy.note_max_length} characters (it has {len(note)})."
            )
        if len(form.excluded_ids) > MAX_EXCLUDED:
            # A crafted submission can carry any number; every sweep reads them (one placeholder each).
            errors["excluded"] = (
                f"Please choose at most {MAX_EXCLUDED} people (you chose {len(form.excluded_ids)})."
            )
        preferred = form.preferred_supporter_id
        prefs = form.preferences
        if preferred is not None and preferred in form.excluded_ids:
            errors["preferred_supporter"] = "You also listed this person as someone to avoid."
        elif preferred == requester_id:
            errors["preferred_supporter"] = "Please choose someone other than yourself."
        if form.anonymous and contact not in (None, ContactMode.SLACK):
            errors["contact"] = (
                "An anonymous conversation happens in Slack, through this app. Choose"
                ' "Slack message", or untick "Keep my name private".'
            )
        now = self._clock.now()
        async with self._db.transaction() as tx:
            if preferred is not None and "preferred_supporter" not in errors:
                # Only someone the team directory lists (trained, not lapsed, not suspended).
                supporter = await tx.roster.get(preferred)
                trained_after = self._policy.training.trained_after(self._hours.today(now))
                if (
                    supporter is None
                    or supporter.trained_on is None
                    or supporter.trained_on <= trained_after
                    or supporter.suspended
                ):
                    errors["preferred_supporter"] = (
                        "That person isn't on the peer supporter team. Leave this empty"
                        " and the next available supporter will be asked."
                    )
                elif prefs.avoid_unit is not None and key(supporter.unit or "") in (
                    "",
                    key(prefs.avoid_unit),
                ):
                    errors["preferred_supporter"] = (
                        "They may be in your unit, and you asked for someone outside it. Choose someone"
                        ' else, or untick "outside my unit".'
                    )
            # A choice left empty always has its error, so this only narrows the types.
            if errors or area is None or urgency is None or contact is None:
                raise InvalidForm(errors)
            existing = await tx.requests.open_for_requester(requester_id)
            if existing is not None:
                raise AlreadyHasOpenRequest(existing.id)
            request = await tx.requests.create(
                requester_id=requester_id,
                area=area,
                urgency=urgency,
                contact=contact,
                preferred_supporter_id=preferred,
                note=note,
                excluded_ids=form.excluded_ids - {requester_id},
                now=now,
                incident_id=form.incident_id,
                anonymous=form.anonymous,
                avoid_unit=prefs.avoid_unit,
                match_role=prefs.role,
                match_tags=prefs.tags,
                match_language=prefs.language,
            )
            await record_notice(tx, ScheduledKind.REQUEST_RECEIVED, requester_id, request.id, now)
            await start_urgent_clock(
                tx, request, await self._roles.coordinators_in(tx), now + self._policy.urgent_alert_after
            )
        log.info("request %s created", request.id, extra={"request_id": request.id})
        self._homes.changed(requester_id, coordinators=True)
        return request

    # The requester's view and withdrawal

    async def status(self, *, requester_id: str) -> RequestStatus | None:
        """The requester's open request, if any."""
        async with self._db.read() as tx:
            request = await tx.requests.open_for_requester(requester_id)
        if request is None:
            return None
        return RequestStatus(
            request_id=request.id,
            state=request.state,
            assignee_id=None if request.anonymous else request.assignee_id,
            created_at=request.created_at,
            anonymous=request.anonymous,
        )

    async def cancel(self, *, requester_id: str) -> int:
        """Withdraw the requester's open request; returns its id."""
        now = self._clock.now()
        async with self._db.transaction() as tx:
            request = await tx.requests.open_for_requester(requester_id)
            if request is None or not await tx.requests.transition(
                request.id, RequestState.CANCELLED, now=now, fields={"closed_at": now}
            ):
                raise NoOpenRequest()
            live = await tx.requests.offers_of(request.id, [OfferState.OPEN, OfferState.ACCEPTED])
            for offer in live:
                await tx.requests.set_offer_state(
                    offer.id,
                    OfferState.WITHDRAWN,
                    now=now,
                    only_from=[OfferState.OPEN, OfferState.ACCEPTED],
                )
            if request.state == RequestState.ASSIGNED and request.assignee_id is not None:
                # The holder is told; anyone with an open offer only sees it redrawn as withdrawn.
                await record_notice(tx, ScheduledKind.REQUEST_WITHDRAWN, request.assignee_id, request.id, now)
        log.info("request %s cancelled", request.id, extra={"request_id": request.id})
        # Coordinators' alerts (an escalation's, or the urgent-alert clock's) say it no longer waits.
        resolved = (request, "withdrawn")
        homes = {requester_id, request.assignee_id}
        await self._outgoing.send(
            Outbox(redraw=live, homes=homes, coordinators=True, resolved=resolved, notices_of=request.id)
        )
        if request.state == RequestState.ASSIGNED and request.assignee_id is not None:
            await self._outgoing.released(request.id, request.assignee_id, ConversationEnd.CANCELLED)
        return request.id

    # The holder's view and close

    async def held_by(self, *, supporter_id: str) -> list[PeerRequest]:
        """The requests a supporter holds now (theirs to see in full)."""
        async with self._db.read() as tx:
            held = [await tx.requests.get(i) for i in await tx.requests.assigned_to(supporter_id)]
        return [r for r in held if r is not None]

    async def held_request(self, *, request_id: int, user_id: str) -> PeerRequest:
        """The request if ``user_id`` holds it, else :class:`NotHeldByYou`."""
        async with self._db.read() as tx:
            request = await tx.requests.get(request_id)
        if request is None or request.state != RequestState.ASSIGNED or (request.assignee_id != user_id):
            raise NotHeldByYou()
        return request

    async def record_close(
        self, *, request_id: int, user_id: str, minutes: int, referral: Referral
    ) -> ClosedRequest:
        """Write the close (no Slack call): done before the close modal is answered, so a modal
        that closed means a close that is stored. :meth:`announce_close` does the rest."""
        now = self._clock.now()
        async with self._db.transaction() as tx:
            closed = await tx.requests.transition(
                request_id,
                RequestState.CLOSED,
                now=now,
                assignee_id=user_id,
                fields={"closed_at": now, "minutes": minutes, "referral": referral},
            )
            if not closed:
                raise NotHeldByYou()
            offers = await tx.requests.offers_of(request_id, [OfferState.ACCEPTED])
            for offer in offers:
                await tx.requests.set_offer_state(
                    offer.id, OfferState.CLOSED, now=now, only_from=[OfferState.ACCEPTED]
                )
            request = await tx.requests.get(request_id)
            if request is None:
                raise InconsistentRecords(f"request {request_id} closed but not found")
            if request.requester_id is not None:
                await record_notice(tx, ScheduledKind.REQUEST_CLOSED, request.requester_id, request.id, now)
                # One question after it, answered once and kept only as a count (bot.talk_feedback).
                await record_notice(tx, ScheduledKind.TALK_QUESTION, request.requester_id, request.id, now)
            # The anonymous trace the program keeps: no requester, no request id.
            await tx.tracking.add_contact(
                occurred_on=self._hours.today(now),
                minutes=minutes,
                channel=ContactChannel.CHECKIN if request.incident_id else ContactChannel.REQUEST,
                referral=referral,
                supporter_id=user_id,
                areas=[Area(request.area)],
                incident_id=request.incident_id,
                now=now,
            )
        log.info("request %s closed", request_id, extra={"request_id": request_id})
        return ClosedRequest(request=request, offers=offers, supporter_id=user_id)

    async def closed(self, *, request_id: int, supporter_id: str) -> ClosedRequest:
        """A close as stored, read again (the worker announces a close the web process stored)."""
        async with self._db.read() as tx:
            request = await tx.requests.get(request_id)
            offers = await tx.requests.offers_of(request_id, [OfferState.CLOSED])
        if request is None:
            raise InconsistentRecords(f"request {request_id} closed but not found")
        mine = [offer for offer in offers if offer.supporter_id == supporter_id]
        return ClosedRequest(request=request, offers=mine, supporter_id=supporter_id)

    async def announce_close(self, closed: ClosedRequest) -> None:
        """After a stored close: redraw the held card, end the conversation, tell the requester."""
        request, user_id = closed.request, closed.supporter_id
        await self._outgoing.send(
            Outbox(redraw=closed.offers, homes={user_id, request.requester_id}, coordinators=True)
        )
        await self._outgoing.released(request.id, user_id, ConversationEnd.CLOSED)
        # After the conversation's end (an anonymous requester sees it end first).
        await self._outgoing.send(Outbox(notices_of=request.id))


def _validate_choices(
    form: RequestForm,
) -> tuple[Area | None, Urgency | None, ContactMode | None, dict[str, str]]:
    errors: dict[str, str] = {}
    area = choice(Area, form.area)
    urgency = choice(Urgency, form.urgency)
    contact = choice(ContactMode, form.contact)
    if area is None:
        errors["area"] = "Please choose what this is about."
    if urgency is None:
        errors["urgency"] = "Please choose how soon you'd like to talk."
    if contact is None:
        errors["contact"] = "Please choose how you'd like to be contacted."
    return area, urgency, contact, errors
