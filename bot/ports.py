"""What the domain needs from the outside world: a clock and a way to send messages.

The Slack side implements :class:`Notifier`; the domain never sees Slack.
The cards below carry only what the recipient may see: an offer card holds
the requester and note only once that supporter has accepted.

Why this module runs past 400 lines: it is the whole contract between the domain and Slack (every
card the domain hands the notifier, and the protocols it calls); split by feature, a reader would
have to open several files to see what the domain may ever send, and to check that no card holds
more than its recipient may see.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
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
    ConversationEnd,
    IncidentKind,
    MessageRef,
    OfferState,
    Referral,
    Resource,
    Side,
    TalkAnswer,
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
    # The requester asked to stay anonymous and has not shared their name: never a requester_id.
    anonymous: bool = False
    # How long the request had waited when this offer was made (fixed, so redraws agree).
    waited: timedelta | None = None
    # Follow-through: the holder has said they reached out.
    reached_out: bool = False
    # Which of the requester's wishes this supporter meets ("someone outside their unit"): never who.
    asked_for: tuple[str, ...] = ()


@dataclass(frozen=True)
class EscalationCard:
    """What coordinators are told about a waiting request: never who, never the note."""

    request_id: int
    area: Area
    urgency: Urgency
    waiting_since: datetime
    # Set once the request no longer waits: "offered", "accepted", "taken_on" or "withdrawn".
    resolution: str | None = None
    # Set on the urgent-alert clock's alert: how long the urgent request has waited unaccepted.
    urgent_waited: timedelta | None = None
    # Set when the alert goes out outside service hours: when the program opens.
    opens_at: datetime | None = None


class Notifier(Protocol):
    """Sends and updates the DMs the program is made of."""

    async def send_offer(self, supporter_id: str, card: OfferCard) -> MessageRef:
        """DM a supporter an offer; returns where it landed."""
        ...

    async def update_offer(self, ref: MessageRef, card: OfferCard) -> None:
        """Redraw an offer DM in its new state."""
        ...

    async def find_offer_copies(self, supporter_id: str, offer_id: int) -> list[MessageRef]:
        """The copies of this offer the app itself posted in its DM with the supporter, as Slack
        holds them (a post whose answer was lost still landed); raises if Slack cannot say."""
        ...

    async def request_received(
        self, requester_id: str, *, request_id: int, next_opening: datetime | None, anonymous: bool = False
    ) -> MessageRef:
        """Tell the requester what happens next (``next_opening`` when outside hours)."""
        ...

    async def request_assigned(
        self, requester_id: str, *, supporter_id: str, contact: ContactMode, request_id: int | None = None
    ) -> MessageRef:
        """Tell the requester who will reach out (with a way to ask for someone else)."""
        ...

    async def reach_out_reminder(
        self, supporter_id: str, *, request_id: int, release_at: datetime
    ) -> MessageRef:
        """Remind the holder to mark that they reached out, before the request moves on at ``release_at``."""
        ...

    async def request_moved_on(self, supporter_id: str, *, request_id: int, lapsed: bool) -> MessageRef:
        """Tell the former holder the request went to another supporter (``lapsed``: not marked in time)."""
        ...

    async def hold_released(self, coordinator_id: str, card: EscalationCard) -> MessageRef:
        """Tell a coordinator a held request was released to the next supporter (names nobody)."""
        ...

    async def talk_question(self, requester_id: str, *, message_id: int) -> MessageRef:
        """Ask the requester, once, after their request was closed: "Did talking help?"."""
        ...

    async def request_nobody_on_call(self, requester_id: str, *, next_opening: datetime) -> MessageRef:
        """Tell the requester of an urgent request that nobody is on call, and when a supporter is asked."""
        ...

    async def request_escalated(self, requester_id: str) -> MessageRef:
        """Tell the requester nobody is free yet and coordinators were alerted."""
        ...

    async def request_unmatched(self, requester_id: str, *, wanted: list[str]) -> MessageRef:
        """Tell the requester nobody who matches what they asked for was free; another supporter was asked."""
        ...

    async def alert_coordinator(self, coordinator_id: str, card: EscalationCard) -> MessageRef:
        """Tell a coordinator a request is waiting, without identity; returns where it landed."""
        ...

    async def resolve_alerts(self, refs: list[MessageRef], card: EscalationCard) -> None:
        """Redraw coordinators' alerts once the request no longer waits."""
        ...

    async def request_closed(self, requester_id: str, *, referral: Referral) -> MessageRef:
        """Tell the requester their request was closed, with resources."""
        ...

    async def request_withdrawn(self, supporter_id: str, *, request_id: int) -> MessageRef:
        """Tell the supporter holding a request that it was withdrawn."""
        ...

    async def supporter_set_away(self, supporter_id: str, *, expired_in_a_row: int) -> MessageRef:
        """Tell a supporter they were set to away after offers expired, with a way back."""
        ...

    async def supporter_unreachable(
        self, coordinator_id: str, *, supporter_id: str, reason: str
    ) -> MessageRef:
        """Tell a coordinator that a supporter cannot get DMs and was set to away (no request named)."""
        ...


@dataclass(frozen=True)
class Profile:
    """What the directory knows of a person: their time zone, and whether they can get DMs."""

    user_id: str
    tz: str | None
    active: bool
    bot: bool = False  # an app or Slackbot: in channels, but nobody to check in with


class Directory(Protocol):
    """Looks people up (in bulk: a large incident must not cost one call per person)."""

    async def profiles(self, user_ids: set[str]) -> dict[str, Profile]:
        """Profiles of the people asked for; unknown people are missing from the answer."""
        ...

    async def channel_members(self, channel_id: str) -> list[str]:
        """Everyone in a channel."""
        ...

    async def first_name(self, user_id: str) -> str | None:
        """How a person is called, by first name (None if the directory does not say)."""
        ...

    async def display_names(self, user_ids: set[str]) -> dict[str, str]:
        """How these people are called in Slack (for a picker), from a short-lived memory copy at most:
        names are used, never stored."""
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
    # What this step of the plan says beyond the greeting (early: what to expect and what helps;
    # later: things coming back around anniversaries and the like), the kind's or the incident's own.
    note: str = ""


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


class RetentionNotifier(Protocol):
    """What the retention purge changes in Slack once it forgets something."""

    async def forget_concern_alert(self, ref: MessageRef) -> None:
        """Redraw a coordinator's copy of a concern without who or what, once it is forgotten."""
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


@dataclass(frozen=True)
class TalkCard:
    """The "Did talking help?" question, in its current state (it names nobody)."""

    message_id: int
    answer: TalkAnswer | None = None
    reopened: bool | None = None  # after "keep talking": a request was made, or one was already open


class TalkNotifier(Protocol):
    """Redraws the after-close question once answered."""

    async def update_talk_question(self, ref: MessageRef, card: TalkCard) -> None:
        """Redraw the question with its answer (and whether a request was reopened)."""
        ...


class CareNotifier(Protocol):
    """Sends the program's check-ins with its supporters."""

    async def send_care_checkin(self, supporter_id: str, card: CareCard) -> MessageRef:
        """DM the check-in."""
        ...

    async def update_care_checkin(self, ref: MessageRef, card: CareCard) -> None:
        """Redraw it once answered."""
        ...


@dataclass(frozen=True)
class ThreadCard:
    """The root of one side's thread in a relayed conversation, in its current state."""

    conversation_id: int
    request_id: int
    side: Side  # whose DM it is in
    supporter_label: str
    ended_by: ConversationEnd | None = None
    # Only on the supporter's side, and only once the requester chose to share their name.
    requester_id: str | None = None
    revealed: bool = False


@dataclass(frozen=True)
class RelayedText:
    """A copy of one person's message, as the other person sees it."""

    sender: Side
    supporter_label: str
    text: str = field(repr=False)  # never in a repr, so never in a log line or traceback
    # Set only once the requester has shared their name.
    requester_id: str | None = None
    edited: bool = False


class NoteKind(StrEnum):
    """Short notes the app adds to a conversation's thread (or a DM outside one)."""

    FILES_NOT_RELAYED = "files_not_relayed"
    NOT_DELIVERED = "not_delivered"  # Slack would not take the copy; please send again
    HAS_ENDED = "has_ended"  # a message after the end: not relayed, with resources
    YOU_ENDED = "you_ended"
    OTHER_ENDED = "other_ended"
    HANDED_ON = "handed_on"  # to the requester: the supporter handed the request back
    REVEALED = "revealed"  # to the supporter: who it is
    YOU_REVEALED = "you_revealed"  # to the requester
    RENAMED = "renamed"  # to the requester: the supporter is now shown by another name
    OUTSIDE_THREAD = "outside_thread"  # a message next to, not in, an open conversation's thread
    HELP = "help"  # a DM to the app that belongs to no conversation


@dataclass(frozen=True)
class ThreadNote:
    """One note, worded for the side that gets it."""

    kind: NoteKind
    side: Side
    supporter_label: str = ""


class ConversationNotifier(Protocol):
    """Posts the threads of relayed conversations and the copies in them."""

    async def open_thread(self, user_id: str, card: ThreadCard) -> MessageRef:
        """Post a thread root in a person's DM with the app; returns where it landed."""
        ...

    async def update_thread(self, ref: MessageRef, card: ThreadCard) -> None:
        """Redraw a thread root."""
        ...

    async def relay(self, root: MessageRef, message: RelayedText) -> MessageRef:
        """Post a copy in the thread under ``root``; returns where it landed."""
        ...

    async def update_relayed(self, ref: MessageRef, message: RelayedText) -> None:
        """Replace a copy after its original was edited."""
        ...

    async def delete_relayed(self, ref: MessageRef) -> None:
        """Delete a copy after its original was deleted (a copy already gone is fine)."""
        ...

    async def note(self, channel_id: str, thread_ts: str | None, note: ThreadNote) -> None:
        """Post a short note in a thread (or, without ``thread_ts``, in the DM itself)."""
        ...


class ResourceSender(Protocol):
    """Hands entries of the resource directory to the colleague a supporter is helping."""

    async def share_resources(self, requester_id: str, entries: Sequence[Resource]) -> MessageRef:
        """Post the entries in the colleague's DM with the app (a named request)."""
        ...

    async def share_in_thread(
        self, root: MessageRef, entries: Sequence[Resource], *, label: str
    ) -> MessageRef:
        """Post the entries, as the app, in the colleague's thread of an anonymous conversation."""
        ...

    async def resources_shared(
        self, supporter_id: str, entries: Sequence[Resource], *, delivered: bool
    ) -> None:
        """Tell the supporter what was sent (or that it could not be), in their DM with the app."""
        ...
