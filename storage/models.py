"""Records and states shared by every layer: the vocabulary of the program.

The request state machine lives here, in one place: ``REQUEST_TRANSITIONS``
names every allowed move, and the repository refuses any other.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class RequestState(StrEnum):
    """Where a peer support request is in its life."""

    PENDING = "pending"  # waiting to be offered (just made, or outside service hours)
    OFFERED = "offered"  # at least one supporter holds an open offer
    ASSIGNED = "assigned"  # a supporter accepted and now holds it
    CLOSED = "closed"  # the supporter closed it after the contact
    CANCELLED = "cancelled"  # the requester withdrew it
    ESCALATED = "escalated"  # nobody could take it; coordinators were alerted


# Every allowed move of a request, and nothing else. Escalated requests stay open:
# they are offered again as soon as somebody becomes eligible.
REQUEST_TRANSITIONS: dict[RequestState, frozenset[RequestState]] = {
    RequestState.PENDING: frozenset({RequestState.OFFERED, RequestState.ESCALATED, RequestState.CANCELLED}),
    RequestState.OFFERED: frozenset(
        {
            RequestState.ASSIGNED,
            RequestState.PENDING,
            RequestState.ESCALATED,
            RequestState.CANCELLED,
        }
    ),
    RequestState.ASSIGNED: frozenset({RequestState.CLOSED, RequestState.PENDING, RequestState.CANCELLED}),
    RequestState.ESCALATED: frozenset({RequestState.OFFERED, RequestState.CANCELLED}),
    RequestState.CLOSED: frozenset(),
    RequestState.CANCELLED: frozenset(),
}

OPEN_REQUEST_STATES: frozenset[RequestState] = frozenset(
    {RequestState.PENDING, RequestState.OFFERED, RequestState.ASSIGNED, RequestState.ESCALATED}
)
# States from which the rotation may offer a request to somebody new.
ROUTABLE_STATES: frozenset[RequestState] = frozenset(
    {RequestState.PENDING, RequestState.OFFERED, RequestState.ESCALATED}
)


def sources_of(target: RequestState) -> frozenset[RequestState]:
    """Every state from which ``target`` may be reached."""
    return frozenset(s for s, targets in REQUEST_TRANSITIONS.items() if target in targets)


class OfferState(StrEnum):
    """What became of one offer of a request to one supporter."""

    OPEN = "open"
    ACCEPTED = "accepted"
    PASSED = "passed"
    EXPIRED = "expired"
    TAKEN = "taken"  # another supporter accepted first (fan-out)
    WITHDRAWN = "withdrawn"  # the request was cancelled, or the supporter went away
    HANDED_BACK = "handed_back"  # accepted, then returned to the rotation
    CLOSED = "closed"  # accepted and closed by this supporter
    UNDELIVERABLE = "undeliverable"  # Slack would not deliver the offer
    # Accepted, then moved on without the holder: they had not said they reached out in time, or
    # the requester asked for someone else.
    RELEASED = "released"


class Area(StrEnum):
    """What a request is about."""

    WORK_STRESS = "work_stress"
    TRAUMA = "trauma"
    PERSONAL = "personal"
    GRIEF = "grief"
    HEALTH = "health"
    OTHER = "other"


class Urgency(StrEnum):
    """How soon the requester would like to talk."""

    ASAP = "asap"
    THIS_WEEK = "this_week"
    NO_RUSH = "no_rush"


class ContactMode(StrEnum):
    """How the requester would like to be contacted."""

    SLACK = "slack"
    PHONE = "phone"
    IN_PERSON = "in_person"


class Referral(StrEnum):
    """Referral made when a request is closed."""

    NONE = "none"
    EAP = "eap"
    COUNSELOR = "counselor"
    OTHER = "other"


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True)


class PeerRequest(_Record):
    """A request for a peer, with the identifying parts that retention will purge."""

    id: int
    requester_id: str | None
    area: Area
    urgency: Urgency
    contact: ContactMode
    preferred_supporter_id: str | None
    note: str | None
    state: RequestState
    assignee_id: str | None
    created_at: datetime
    updated_at: datetime
    assigned_at: datetime | None = None
    closed_at: datetime | None = None
    minutes: int | None = None
    referral: Referral | None = None
    excluded_ids: frozenset[str] = frozenset()
    incident_id: int | None = None
    escalated_at: datetime | None = None
    purged_at: datetime | None = None
    # Anonymous requests are talked through a relayed conversation; the supporter learns
    # who asked only if the requester reveals it (``revealed_at``).
    anonymous: bool = False
    revealed_at: datetime | None = None
    # Who the requester would like (purged with the request): never a supporter of ``avoid_unit``
    # (a hard rule); preferably of ``match_role``, with one of ``match_tags``, speaking ``match_language``.
    avoid_unit: str | None = None
    match_role: str | None = None
    match_tags: tuple[str, ...] = ()
    match_language: str | None = None

    @property
    def named(self) -> bool:
        """Whether the supporter who holds this request may see who asked."""
        return not self.anonymous or self.revealed_at is not None


class Offer(_Record):
    """One offer of a request to one supporter, and the DM that carries it."""

    id: int
    request_id: int
    supporter_id: str
    state: OfferState
    offered_at: datetime
    expires_at: datetime
    answered_at: datetime | None = None
    channel_id: str | None = None
    message_ts: str | None = None
    # Follow-through on an accepted offer: when the holder said they reached out, and when the
    # request goes back to the rotation if they have not.
    reached_out_at: datetime | None = None
    release_at: datetime | None = None


class MessageRef(_Record):
    """Where a sent Slack message lives, so it can be updated in place."""

    channel_id: str
    ts: str


class Supporter(_Record):
    """A peer supporter on the roster."""

    user_id: str
    trained_on: date | None
    away: bool
    away_until: date | None
    after_hours: bool
    expired_streak: int
    rotation_seq: int
    added_at: datetime
    open_load: int = 0
    suspended: bool = False  # paused by a coordinator; only a coordinator lifts it
    unreachable: str | None = None  # why the bot cannot reach them (deactivated, DMs failing)
    # Their profile in the team directory (role and unit a coordinator may set too).
    role: str | None = None
    unit: str | None = None
    location: str | None = None
    about: str | None = None


class TraitKind(StrEnum):
    """What a supporter lists about themselves, one row each: languages, experience tags."""

    LANGUAGE = "language"
    TAG = "tag"


class SupporterProfile(_Record):
    """A supporter with what they publish in the team directory (never Slack's name or photo)."""

    supporter: Supporter
    languages: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()


class OnCallShift(_Record):
    """One weekly span of the on-call rota: ``user_id`` is on call on ``days`` from start to end.

    Minutes after local midnight in the program's time zone; an end not after the start runs
    past midnight (``18:00-08:00`` on Friday ends on Saturday morning).
    """

    id: int
    user_id: str
    days: frozenset[int]  # Monday = 0
    start_minute: int
    end_minute: int
    created_by: str
    created_at: datetime

    def covers(self, local: datetime) -> bool:
        """Whether the shift covers ``local`` (a time in the program's zone)."""
        minute = local.hour * 60 + local.minute
        day = local.weekday()
        if self.start_minute < self.end_minute:
            return day in self.days and self.start_minute <= minute < self.end_minute
        return (day in self.days and minute >= self.start_minute) or (
            (day - 1) % 7 in self.days and minute < self.end_minute
        )


class TrainingKind(StrEnum):
    """What a supporter trained in: the basic course and refreshers keep them current."""

    BASIC = "basic"
    REFRESHER = "refresher"
    ADVANCED = "advanced"  # e.g. group crisis intervention (CISM); named


# The trainings that make a supporter's training current.
CURRENCY_TRAININGS: frozenset[TrainingKind] = frozenset({TrainingKind.BASIC, TrainingKind.REFRESHER})


class Training(_Record):
    """One training a supporter completed."""

    id: int
    user_id: str
    kind: TrainingKind
    name: str
    completed_on: date
    recorded_by: str
    recorded_at: datetime


class VolunteerState(StrEnum):
    """What became of an offer to become a supporter."""

    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"


class Volunteer(_Record):
    """Someone who offered to become a peer supporter."""

    id: int
    user_id: str
    note: str | None
    state: VolunteerState
    created_at: datetime
    decided_by: str | None = None
    decided_at: datetime | None = None


class IncidentKind(StrEnum):
    """What happened; each kind has its own default plan and wording."""

    CRITICAL_INCIDENT = "critical_incident"
    BEREAVEMENT = "bereavement"
    ILLNESS = "illness"


class IncidentState(StrEnum):
    """An incident's life: prepared in the background, open while check-ins run, closed."""

    PREPARING = "preparing"
    OPEN = "open"
    CLOSED = "closed"


class ScheduledKind(StrEnum):
    """Messages that go out later."""

    CHECKIN = "checkin"
    DEBRIEF_INVITE = "debrief_invite"
    FOLLOW_UP = "follow_up"
    TRAINING_REMINDER = "training_reminder"
    ANNOUNCEMENT = "announcement"  # an event's post in its channel, due at once
    EVENT_REMINDER = "event_reminder"  # posted to the event's channel before it starts
    CARE_CHECKIN = "care_checkin"  # to a supporter, a day after a request they marked heavy
    # A request's notices, recorded in the transaction that decides them and sent right after it.
    REQUEST_RECEIVED = "request_received"
    REQUEST_ASSIGNED = "request_assigned"
    REQUEST_ESCALATED = "request_escalated"
    # To the requester: nobody who matches their preferences was free, so another supporter was asked.
    REQUEST_UNMATCHED = "request_unmatched"
    ESCALATION_ALERT = "escalation_alert"  # to each coordinator; names no requester
    # To each coordinator, due ``PEER_URGENT_ALERT_AFTER`` after an "as soon as possible" request was
    # made, sent only if nobody has accepted it by then; names no requester.
    URGENT_ALERT = "urgent_alert"
    # To the requester of an urgent request outside service hours when nobody is on call and no
    # after-hours supporter can take it: what happens and when (once per closed period).
    REQUEST_NOBODY_ON_CALL = "request_nobody_on_call"
    REQUEST_CLOSED = "request_closed"  # to the requester; the referral is read from the request
    REQUEST_WITHDRAWN = "request_withdrawn"  # to the supporter who held it when it was cancelled
    # Follow-through: to the holder, ``PEER_REACH_OUT_WITHIN`` after they accepted, if they have not
    # said they reached out (once); then, if they still have not, the request moves on: the holder
    # is told (REACH_OUT_LAPSED) and each coordinator too (HOLD_RELEASED; names nobody).
    REACH_OUT_REMINDER = "reach_out_reminder"
    REACH_OUT_LAPSED = "reach_out_lapsed"
    HOLD_RELEASED = "hold_released"
    # To the holder, when the requester asked for someone else (worded neutrally).
    REQUEST_MOVED_ON = "request_moved_on"
    # To the requester, right after their request is closed: "Did talking help?" (answered once).
    TALK_QUESTION = "talk_question"
    # Notices about a supporter, recorded the same way; they carry no request.
    SUPPORTER_SET_AWAY = "supporter_set_away"  # to the supporter, after offers expired in a row
    SUPPORTER_UNREACHABLE = "supporter_unreachable"  # to each coordinator; the supporter is subject_id


# A request's notices: addressed to its requester or about it, so the retention purge removes them.
REQUEST_NOTICES: frozenset[ScheduledKind] = frozenset(
    {
        ScheduledKind.REQUEST_RECEIVED,
        ScheduledKind.REQUEST_ASSIGNED,
        ScheduledKind.REQUEST_ESCALATED,
        ScheduledKind.REQUEST_UNMATCHED,
        ScheduledKind.ESCALATION_ALERT,
        ScheduledKind.URGENT_ALERT,
        ScheduledKind.REQUEST_NOBODY_ON_CALL,
        ScheduledKind.REQUEST_CLOSED,
        ScheduledKind.REQUEST_WITHDRAWN,
        ScheduledKind.REACH_OUT_REMINDER,
        ScheduledKind.REACH_OUT_LAPSED,
        ScheduledKind.HOLD_RELEASED,
        ScheduledKind.REQUEST_MOVED_ON,
        ScheduledKind.TALK_QUESTION,
    }
)
# A request's notices recorded for later (a clock on the request), not sent right after the decision.
TIMED_NOTICES: frozenset[ScheduledKind] = frozenset(
    {ScheduledKind.URGENT_ALERT, ScheduledKind.REACH_OUT_REMINDER}
)
# Notices about a supporter: they name no request (the unreachable one names no requester either).
SUPPORTER_NOTICES: frozenset[ScheduledKind] = frozenset(
    {ScheduledKind.SUPPORTER_SET_AWAY, ScheduledKind.SUPPORTER_UNREACHABLE}
)
# Every notice recorded with a decision: sent as decided (not paced behind check-ins), and never
# marked missed for being late, since its sender checks at send time whether it still applies.
DECIDED_NOTICES: frozenset[ScheduledKind] = REQUEST_NOTICES | SUPPORTER_NOTICES


class ScheduledState(StrEnum):
    """A scheduled message's life. ``sending`` is a claim: only its holder sends."""

    DUE = "due"
    SENDING = "sending"
    SENT = "sent"
    ANSWERED = "answered"
    CANCELLED = "cancelled"
    MISSED = "missed"  # came due while the app was down, later than the grace
    SKIPPED = "skipped"  # the person is deactivated or unknown to Slack
    FAILED = "failed"  # Slack kept failing; given up with a recorded reason
    UNCONFIRMED = "unconfirmed"  # the process died mid-send; never sent twice


class CareAnswer(StrEnum):
    """A supporter's answer when the program checks in on them."""

    OK = "ok"
    TALK = "talk"


class TalkAnswer(StrEnum):
    """The requester's answer to "Did talking help?" after a close; kept only as counts per quarter."""

    YES = "yes"
    SOMEWHAT = "somewhat"
    NOT_REALLY = "not_really"
    KEEP_TALKING = "keep_talking"


class CheckinAnswer(StrEnum):
    """The three answers to a check-in; kept only as counts per incident."""

    OK = "ok"
    TALK = "talk"
    STOP = "stop"


class Incident(_Record):
    """A critical incident, bereavement or illness whose affected staff get check-ins."""

    id: int
    kind: IncidentKind
    name: str
    occurred_on: date
    state: IncidentState
    offsets: tuple[int, ...]  # seconds after logging
    channel_id: str | None
    debrief_at: datetime | None
    debrief_place: str | None
    created_by: str
    created_at: datetime
    closed_at: datetime | None
    answered_ok: int
    answered_talk: int
    answered_stop: int
    people: int  # how many it affects (kept when its members are forgotten)
    steps_stored: int = 0  # the plan's steps whose check-ins are all stored (later ones: as they come)
    wording_early: str | None = None  # a coordinator's own wording; None: the kind's
    wording_later: str | None = None


class Affected(_Record):
    """Someone an incident affects, as each step of its plan needs them."""

    user_id: str
    tz: str | None = None  # their time zone when it was prepared (None: the program's)
    skipped: bool = False  # could not be reached then (deactivated or unknown): no check-ins


class ScheduledMessage(_Record):
    """One message due at a given time, and what became of it."""

    id: int
    kind: ScheduledKind
    recipient_id: str
    incident_id: int | None
    request_id: int | None
    seq: int
    due_at: datetime
    state: ScheduledState
    attempts: int
    claimed_at: datetime | None
    sent_at: datetime | None
    channel_id: str | None
    message_ts: str | None
    reason: str | None
    dedupe_key: str | None = None
    announcement_id: int | None = None
    subject_id: str | None = None  # whom the message is about, when not its recipient


class AnnouncementKind(StrEnum):
    """What kind of event the program announces."""

    TRAINING = "training"
    GUEST_SPEAKER = "guest_speaker"
    HOLIDAY_GATHERING = "holiday_gathering"  # for those who find the holidays hard
    LUNCH_AND_LEARN = "lunch_and_learn"
    SOCIAL = "social"
    GRIEF_GATHERING = "grief_gathering"
    DEBRIEF = "debrief"
    OTHER = "other"


# Kinds where coming says something about a person: everyone, coordinators too, sees only a count.
SENSITIVE_KINDS: frozenset[AnnouncementKind] = frozenset(
    {AnnouncementKind.HOLIDAY_GATHERING, AnnouncementKind.GRIEF_GATHERING, AnnouncementKind.DEBRIEF}
)


class AnnouncementState(StrEnum):
    """An announced event's life."""

    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class Announcement(_Record):
    """An event announced in a channel, with how many are going."""

    id: int
    title: str
    kind: AnnouncementKind
    starts_at: datetime
    ends_at: datetime | None
    place: str
    description: str | None
    channel_id: str
    state: AnnouncementState
    revision: int  # bumped when the start moves
    edits: int
    created_by: str
    created_at: datetime
    updated_at: datetime
    going: int = 0

    @property
    def sensitive(self) -> bool:
        """Whether who is going must never be shown, not even to coordinators."""
        return self.kind in SENSITIVE_KINDS


class ConcernState(StrEnum):
    """What became of a concern raised about a colleague."""

    OPEN = "open"  # no coordinator has acted yet
    TAKEN = "taken"  # a coordinator is reaching out
    HANDED = "handed"  # a coordinator asked a supporter to reach out


class Concern(_Record):
    """Someone is worried about a colleague; the colleague is never told who."""

    id: int
    subject_id: str
    raised_by: str | None  # only if they agreed to be contacted
    note: str | None
    state: ConcernState
    handled_by: str | None
    supporter_id: str | None
    created_at: datetime
    handled_at: datetime | None


class ContactChannel(StrEnum):
    """How a contact happened."""

    REQUEST = "request"
    WALK_IN = "walk_in"
    PHONE = "phone"
    CHECKIN = "checkin_follow_up"


class AuditEntry(_Record):
    """One coordinator action: who did what, when (never request content)."""

    id: int
    at: datetime
    actor_id: str
    action: str
    detail: str


class ResourceTopic(StrEnum):
    """What a resource in the office's directory helps with."""

    TRAUMA = "trauma"
    GRIEF = "grief"
    SUBSTANCE_USE = "substance_use"
    FAMILY = "family"
    MONEY = "money"
    LEGAL_PROFESSION = "legal_profession"  # e.g. the state's Lawyer Assistance Program


class Resource(_Record):
    """One entry of the office's directory of professional help (crisis lines are not rows)."""

    id: int
    name: str
    purpose: str
    phone: str | None = None
    text: str | None = None  # a text line, e.g. "HOME to 741741"
    url: str | None = None
    hours: str | None = None
    cost: str | None = None
    confidential: bool = False  # confidential from the employer
    topics: tuple[ResourceTopic, ...] = ()


class Side(StrEnum):
    """The two people in a relayed conversation."""

    REQUESTER = "requester"
    SUPPORTER = "supporter"

    @property
    def other(self) -> Side:
        """The other side."""
        return Side.SUPPORTER if self is Side.REQUESTER else Side.REQUESTER


class ConversationEnd(StrEnum):
    """Why a relayed conversation ended."""

    REQUESTER = "requester"  # the requester ended it
    SUPPORTER = "supporter"  # the supporter ended it
    CLOSED = "closed"  # the supporter closed the request
    CANCELLED = "cancelled"  # the requester withdrew the request
    HANDED_BACK = "handed_back"  # the supporter handed it back, or left the roster


class RelayConversation(_Record):
    """An anonymous request's relayed conversation with one supporter: two thread roots, never text."""

    id: int
    request_id: int
    supporter_id: str
    supporter_label: str
    requester_root: MessageRef | None
    supporter_root: MessageRef | None
    opened_at: datetime
    ended_at: datetime | None = None
    ended_by: ConversationEnd | None = None

    def root(self, side: Side) -> MessageRef | None:
        """The thread root in ``side``'s DM with the app."""
        return self.requester_root if side == Side.REQUESTER else self.supporter_root


class RelayLink(_Record):
    """Which relayed copy stands for which original message: timestamps only."""

    conversation_id: int
    side: Side  # who wrote the original
    source_ts: str
    copy_ts: str | None  # None while the copy is being posted


class InstallationRecord(_Record):
    """One Slack installation (distribution mode): a workspace's bot, and who installed it.

    Below :class:`bot.installations.Installations` the token fields hold Fernet ciphertext; above it,
    the tokens. They never show in a repr (a log line of a record carries no token).
    """

    enterprise_id: str | None
    team_id: str | None
    user_id: str  # the installer; "" for a bot on its own
    is_enterprise_install: bool
    app_id: str | None = None
    enterprise_name: str | None = None
    enterprise_url: str | None = None
    team_name: str | None = None
    bot_id: str | None = None
    bot_user_id: str | None = None
    bot_scopes: tuple[str, ...] = ()
    bot_token: str | None = Field(default=None, repr=False)
    bot_refresh_token: str | None = Field(default=None, repr=False)
    bot_token_expires_at: datetime | None = None
    user_scopes: tuple[str, ...] = ()
    user_token: str | None = Field(default=None, repr=False)
    user_refresh_token: str | None = Field(default=None, repr=False)
    user_token_expires_at: datetime | None = None
    token_type: str | None = None
    installed_at: datetime


class Departure(_Record):
    """A workspace that uninstalled the app, and when its data is to be forgotten."""

    enterprise_id: str | None
    team_id: str
    left_at: datetime
    forget_at: datetime
