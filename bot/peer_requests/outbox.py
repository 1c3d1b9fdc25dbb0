"""The outbox: what a unit of work decided to send, sent once it has committed.

Every part of the request service fills an :class:`Outbox` inside its transaction and hands it to
:meth:`Outgoing.send` after the commit, so messages go out only from the caller that won, and a
failure to send never undoes a committed decision. New offers are the exception: ``routing``
delivers them itself, because what it does next depends on whether Slack took them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.failures import quietly
from bot.handoff import Handoff, HandoffKind, ProcessRole
from bot.peer_requests.notices import Notices
from bot.peer_requests.offers import OfferDms
from bot.peer_requests.shared import ConversationHooks
from bot.ports import HomeRefresh
from storage.models import ConversationEnd, Offer, PeerRequest


@dataclass
class Outbox:
    """Messages decided inside a unit of work, sent once it has committed."""

    new_offers: list[Offer] = field(default_factory=list)
    redraw: list[Offer] = field(default_factory=list)
    # Whose Home tab shows something that changed (and whether coordinators' counts did).
    homes: set[str | None] = field(default_factory=set)
    coordinators: bool = False
    # A request that was escalated and no longer waits: its alerts are redrawn ("offered"/"withdrawn").
    resolved: tuple[PeerRequest, str] | None = None
    notices_of: int | None = None  # a request whose recorded notices are due
    notice_keys: list[str] = field(default_factory=list)  # notices about a supporter (no request)


class Outgoing:
    """Sends what an :class:`Outbox` holds (but its new offers), and tells the relay of releases."""

    def __init__(
        self, *, offers: OfferDms, notices: Notices, homes: HomeRefresh, handoff: Handoff | None = None
    ) -> None:
        self._offers = offers
        self._notices = notices
        self._homes = homes
        self._hooks: ConversationHooks | None = None
        # In the web role, what would call Slack (cards, alerts, the relay) is handed to the worker.
        self._handoff = handoff if handoff is not None and handoff.role is ProcessRole.WEB else None

    def attach_conversations(self, hooks: ConversationHooks) -> None:
        """Let the relay hear when anonymous requests are assigned and released."""
        self._hooks = hooks

    async def send(self, outbox: Outbox) -> None:
        """Redraw cards, refresh Homes, redraw resolved alerts and send recorded notices, in that order."""
        if outbox.new_offers:
            # Only routing makes offers, and it delivers them before calling this.
            raise ValueError("new offers are delivered by routing")
        if self._handoff is not None and (outbox.redraw or outbox.resolved):
            request, resolution = outbox.resolved or (None, None)
            await self._handoff.submit(
                HandoffKind.REDRAW,
                offer_ids=[offer.id for offer in outbox.redraw],
                resolved_request_id=request.id if request else None,
                resolution=resolution,
            )
        else:
            await self.redraw(
                offer_ids=[offer.id for offer in outbox.redraw],
                resolved_request_id=outbox.resolved[0].id if outbox.resolved else None,
                resolution=outbox.resolved[1] if outbox.resolved else None,
            )
        if outbox.homes or outbox.coordinators:
            self._homes.changed(*outbox.homes, coordinators=outbox.coordinators)
        if outbox.notices_of is not None:
            await self._notices.send_for_request(outbox.notices_of)
        if outbox.notice_keys:
            await self._notices.send_keyed(outbox.notice_keys)

    async def redraw(
        self, *, offer_ids: list[int], resolved_request_id: int | None, resolution: str | None
    ) -> None:
        """Redraw offer cards, and the alerts of a request that no longer waits."""
        for offer_id in offer_ids:
            await self._offers.redraw(offer_id)
        if resolved_request_id is not None and resolution is not None:
            await self._notices.resolve_alerts_of(resolved_request_id, resolution)

    async def assigned(self, request_id: int) -> None:
        """An anonymous request was accepted: the relay opens its conversation."""
        if self._hooks is not None:
            await quietly(
                self._hooks.request_assigned(request_id=request_id), "open_conversation", request_id
            )

    async def released(self, request_id: int, supporter_id: str, why: ConversationEnd) -> None:
        """The supporter no longer holds the request: the relay ends their conversation, if any."""
        if self._handoff is not None:
            await self._handoff.submit(
                HandoffKind.RELEASED, request_id=request_id, supporter_id=supporter_id, why=str(why)
            )
        elif self._hooks is not None:
            await quietly(
                self._hooks.request_released(request_id=request_id, supporter_id=supporter_id, why=why),
                "end_conversation",
                request_id,
            )
