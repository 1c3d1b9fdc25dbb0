"""What the domain needs from the outside world: a clock and a way to send messages.

The Slack side implements :class:`Notifier`; the domain never sees Slack.
The cards below carry only what the recipient may see: an offer card holds
the requester and note only once that supporter has accepted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from storage.models import (
    Area,
    CheckinAnswer,
    ContactMode,
    IncidentKind,
    MessageRef,
    OfferState,
    Referral,
    Urgency,
)


class Clock(Protocol):
    """A source of the current time (aware, UTC)."""

    def now(self) -> datetime:
        """The current time."""
        ...


@dataclass(frozen=True)
class OfferCard:
    """What a supporter's offer DM shows, in the offer's current state."""

    offer_id: int
    request_id: int
    state: OfferState
    area: Area
    urgency: Urgency
    contact: ContactMode
    expires_at: datetime
    # Only set once this supporter has accepted: offers are blind until then.
    requester_id: str | None = None
    note: str | None = None
    minutes: int | None = None


@dataclass(frozen=True)
class EscalationCard:
    """What coordinators are told about a waiting request: never who, never the note."""

    request_id: int
    area: Area
    urgency: Urgency
    waiting_since: datetime


class Notifier(Protocol):
    """Sends and updates the DMs the program is made of."""

    async def send_offer(self, supporter_id: str, card: OfferCard) -> MessageRef:
        """DM a supporter an offer; returns where it landed."""
        ...

    async def update_offer(self, ref: MessageRef, card: OfferCard) -> None:
        """Redraw an offer DM in its new state."""
        ...

    async def request_received(
        self, requester_id: str, *, request_id: int, next_opening: datetime | None
    ) -> MessageRef:
        """Tell the requester what happens next (``next_opening`` when outside hours)."""
        ...

    async def request_assigned(
        self, requester_id: str, *, supporter_id: str, contact: ContactMode
    ) -> MessageRef:
        """Tell the requester who will reach out."""
        ...

    async def request_escalated(self, requester_id: str) -> MessageRef:
        """Tell the requester nobody is free yet and coordinators were alerted."""
        ...

    async def alert_coordinator(self, coordinator_id: str, card: EscalationCard) -> MessageRef:
        """Tell a coordinator a request is waiting, without identity."""
        ...

    async def request_closed(self, requester_id: str, *, referral: Referral) -> None:
        """Tell the requester their request was closed, with resources."""
        ...

    async def request_withdrawn(self, supporter_id: str, *, request_id: int) -> None:
        """Tell the supporter holding a request that it was withdrawn."""
        ...

    async def supporter_set_away(self, supporter_id: str, *, expired_in_a_row: int) -> None:
        """Tell a supporter they were set to away after offers expired, with a way back."""
        ...

    async def supporter_unreachable(self, coordinator_id: str, *, supporter_id: str, reason: str) -> None:
        """Tell a coordinator that a supporter cannot get DMs and was set to away (no request named)."""
        ...


@dataclass(frozen=True)
class Profile:
    """What the directory knows of a person: their time zone, and whether they can get DMs."""

    user_id: str
    tz: str | None
    active: bool


class Directory(Protocol):
    """Looks people up (in bulk: a large incident must not cost one call per person)."""

    async def profiles(self, user_ids: set[str]) -> dict[str, Profile]:
        """Profiles of the people asked for; unknown people are missing from the answer."""
        ...

    async def channel_members(self, channel_id: str) -> list[str]:
        """Everyone in a channel."""
        ...


@dataclass(frozen=True)
class CheckinCard:
    """A check-in DM: names the incident; the wording depends on its kind and on whether it is personal."""

    message_id: int
    incident_name: str
    kind: IncidentKind
    personal: bool
    seq: int
    total: int
    answer: CheckinAnswer | None = None
    # After "talk to a peer": whether a request was made, or one was already open.
    request_made: bool | None = None


@dataclass(frozen=True)
class DebriefCard:
    """An invitation to a group debrief after an incident."""

    incident_name: str
    at: datetime
    place: str


@dataclass(frozen=True)
class FollowUpCard:
    """A supporter's reminder to check back in (identity only if they held the request)."""

    request_id: int
    requester_id: str | None


@dataclass(frozen=True)
class IncidentReady:
    """What the coordinator learns once an incident's check-ins are scheduled."""

    incident_id: int
    name: str
    people: int
    skipped: int
    checkins: int
    first_due: datetime | None


class CheckinNotifier(Protocol):
    """Sends the messages of incidents and follow-ups."""

    async def send_checkin(self, recipient_id: str, card: CheckinCard) -> MessageRef:
        """DM a check-in."""
        ...

    async def update_checkin(self, ref: MessageRef, card: CheckinCard) -> None:
        """Redraw a check-in after it was answered."""
        ...

    async def send_debrief_invite(self, recipient_id: str, card: DebriefCard) -> MessageRef:
        """DM a debrief invitation."""
        ...

    async def send_follow_up(self, recipient_id: str, card: FollowUpCard) -> MessageRef:
        """DM a supporter's follow-up reminder."""
        ...

    async def incident_ready(self, coordinator_id: str, summary: IncidentReady) -> None:
        """Tell the coordinator the incident is set up."""
        ...
