"""What the domain needs from the outside world: a clock and a way to send messages.

The Slack side implements :class:`Notifier`; the domain never sees Slack.
The cards below carry only what the recipient may see: an offer card holds
the requester and note only once that supporter has accepted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Protocol

from storage.models import (
    Announcement,
    Area,
    CareAnswer,
    CheckinAnswer,
    Concern,
    ContactMode,
    IncidentKind,
    MessageRef,
    OfferState,
    Referral,
    Urgency,
    VolunteerState,
)


class HomeRefresh(Protocol):
    """What services call, after they commit, when something a Home tab shows has changed."""

    def changed(self, *user_ids: str | None, coordinators: bool = False) -> None:
        """These people's Homes (and every coordinator's, if asked) need redrawing; never blocks."""
        ...


class NoHomeRefresh:
    """A :class:`HomeRefresh` that does nothing (for services used without Home tabs)."""

    def changed(self, *user_ids: str | None, coordinators: bool = False) -> None:
        """Nothing to redraw."""


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
    ) -> None:
        """Tell the requester what happens next (``next_opening`` when outside hours)."""
        ...

    async def request_assigned(self, requester_id: str, *, supporter_id: str, contact: ContactMode) -> None:
        """Tell the requester who will reach out."""
        ...

    async def request_escalated(self, requester_id: str) -> None:
        """Tell the requester nobody is free yet and coordinators were alerted."""
        ...

    async def alert_coordinators(self, coordinator_ids: list[str], card: EscalationCard) -> None:
        """Tell coordinators a request is waiting, without identity."""
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


@dataclass(frozen=True)
class TrainingReminderCard:
    """A supporter's reminder that their training lapses soon, or has lapsed today."""

    lapses_on: date
    lapsed: bool


@dataclass(frozen=True)
class VolunteerCard:
    """A coordinator's review of someone who offered to volunteer, in its current state."""

    volunteer_id: int
    user_id: str
    note: str | None
    state: VolunteerState
    decided_by: str | None = None


class RosterNotifier(Protocol):
    """Sends the messages of the roster's lifecycle."""

    async def send_volunteer_review(self, coordinator_id: str, card: VolunteerCard) -> MessageRef:
        """DM a coordinator a volunteer to approve or decline."""
        ...

    async def update_volunteer_review(self, ref: MessageRef, card: VolunteerCard) -> None:
        """Redraw a review once a coordinator decided."""
        ...

    async def volunteer_decided(self, user_id: str, *, approved: bool) -> None:
        """Tell the volunteer what was decided."""
        ...

    async def send_training_reminder(self, user_id: str, card: TrainingReminderCard) -> MessageRef:
        """DM a supporter that their training lapses soon, or has lapsed."""
        ...


class ChannelProblem(StrEnum):
    """Why the bot cannot post in a channel."""

    NOT_FOUND = "not_found"  # no such channel, or a private one the bot is not in
    NOT_A_MEMBER = "not_a_member"
    ARCHIVED = "archived"


class ChannelAccess(Protocol):
    """Whether the bot can post in a channel (asked before anything is announced there)."""

    async def posting_problem(self, channel_id: str) -> ChannelProblem | None:
        """What stops the bot posting there, or None if it can (or if Slack could not say in time)."""
        ...


class AnnouncementNotifier(Protocol):
    """Posts the program's events in channels."""

    async def post_announcement(self, event: Announcement) -> MessageRef:
        """Post an event's announcement in its channel, with how many are going (never who) and RSVP."""
        ...

    async def update_announcement(self, ref: MessageRef, event: Announcement) -> None:
        """Redraw an announcement (new count, edited, or cancelled)."""
        ...

    async def post_event_reminder(self, event: Announcement, *, lead: timedelta) -> MessageRef:
        """Post a reminder in the event's channel, ``lead`` before it starts."""
        ...

    async def announcement_failed(
        self, coordinator_id: str, *, announcement_id: int, title: str, reason: str
    ) -> None:
        """Tell the coordinator an announcement could not be posted, and why."""
        ...


class ConcernNotifier(Protocol):
    """Sends the messages of a concern raised about a colleague; never to that colleague."""

    async def send_concern_alert(self, coordinator_id: str, concern: Concern) -> MessageRef:
        """DM a coordinator the concern, with ways to act on it."""
        ...

    async def update_concern_alert(self, ref: MessageRef, concern: Concern) -> None:
        """Redraw a coordinator's copy once one of them acted."""
        ...

    async def concern_thanks(self, raiser_id: str) -> None:
        """Thank the person who raised it, with resources."""
        ...

    async def ask_supporter_to_reach_out(
        self, supporter_id: str, *, subject_id: str, coordinator_id: str
    ) -> None:
        """Ask a supporter to check in gently with the colleague (never saying who raised it)."""
        ...


@dataclass(frozen=True)
class CareCard:
    """A check-in with a supporter after a heavy conversation (nothing about that conversation)."""

    message_id: int
    answer: CareAnswer | None = None
    request_made: bool | None = None  # after "talk": a request was made, or one was already open


class CareNotifier(Protocol):
    """Sends the program's check-ins with its supporters."""

    async def send_care_checkin(self, supporter_id: str, card: CareCard) -> MessageRef:
        """DM the check-in."""
        ...

    async def update_care_checkin(self, ref: MessageRef, card: CareCard) -> None:
        """Redraw it once answered."""
        ...
