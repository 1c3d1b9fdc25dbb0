"""The App Home tab, by role, and the help text."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    DividerBlock,
    MarkdownTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.config import DEFAULT_RESOURCES
from bot.home import LIST_MAX, CoordinatorHome, HomeSnapshot, SupporterHome
from bot.peer_requests import RequestStatus
from bot.suppression import describe
from bot.training import TrainingState
from handlers.announcements.blocks import KIND_LABELS
from handlers.announcements.ids import AnnouncementAction
from handlers.common.blocks import (
    AREA_LABELS,
    CONTACT_LABELS,
    context,
    escape,
    header,
    mention,
    resources_blocks,
    section,
    slack_time,
    when,
)
from handlers.common.payloads import EventRef, IncidentRef, RequestRef
from handlers.concerns.ids import ConcernAction
from handlers.home.ids import HomeBlockId
from handlers.incidents.blocks import KIND_LABELS as INCIDENT_KINDS
from handlers.incidents.ids import IncidentAction
from handlers.office.ids import OfficeAction
from handlers.oncall.ids import OnCallAction
from handlers.requests.blocks import requester_buttons
from handlers.requests.ids import RequestAction
from handlers.resources.blocks import directory_blocks, share_button
from handlers.roster.blocks import LOAD_NOTE
from handlers.roster.ids import RosterAction
from handlers.roster.modals import HOME_ROWS, roster_sections
from handlers.selfcheck.ids import SelfCheckAction
from handlers.team.blocks import home_profile_blocks, home_team_blocks
from handlers.tracking.ids import TrackingAction
from storage.models import Incident, RequestState

# Open incidents listed on a coordinator's Home, each with its follow-up button; the rest are counted.
INCIDENT_ROWS = 8


def _button(
    action: StrEnum,
    text: str,
    value: str = "go",
    *,
    style: str | None = None,
    confirm: ConfirmObject | None = None,
) -> ButtonElement:
    return ButtonElement(action_id=action, text=text, value=value, style=style, confirm=confirm)


def home_view(snapshot: HomeSnapshot, *, resources: Sequence[str], tz: ZoneInfo) -> dict[str, Any]:
    """A person's Home tab: what everyone sees, then the supporter's and the coordinator's parts."""
    blocks: list[Block] = [
        header("Peer support"),
        section(
            "Talk privately with a trained colleague about anything weighing on you: a hard"
            " case, a loss, stress at work or at home. Nobody but you and the supporter who"
            " takes your request will know you asked."
        ),
        ActionsBlock(
            block_id=HomeBlockId.HOME_ACTIONS,
            elements=[
                _button(RequestAction.OPEN_REQUEST, "Talk to a peer", "open", style="primary"),
                _button(ConcernAction.OPEN_CONCERN, "Worried about a colleague?"),
                _button(SelfCheckAction.OPEN_SELF_CHECK, "How am I doing?"),
            ],
        ),
        context("Or type `/peer` anywhere. `/peer help` lists everything you can do."),
    ]
    blocks.append(context("*How am I doing?* is a private five-question check: nothing of it is kept."))
    blocks += _own_request(snapshot.request)
    if snapshot.supporter is not None:
        blocks += _supporter_part(snapshot.supporter, tz)
    if snapshot.coordinator is not None:
        blocks += _coordinator_part(snapshot.coordinator)
    elif snapshot.administrator:
        blocks += _administrator_part()
    blocks += _events_part(snapshot, tz)
    if snapshot.team:
        blocks.append(DividerBlock())
        blocks += home_team_blocks(snapshot.team)
    if snapshot.supporter is None:
        blocks.append(DividerBlock())
        if snapshot.volunteering:
            blocks.append(context("Your offer to volunteer as a peer supporter is with the coordinators."))
        else:
            blocks.append(
                SectionBlock(
                    text=MarkdownTextObject(
                        text="Would you like to support your colleagues as a trained peer?"
                    ),
                    accessory=_button(RosterAction.VOLUNTEER, "Volunteer"),
                )
            )
    if snapshot.resources:
        # PEER_RESOURCES lines an office set itself are shown beside the directory.
        own = [line for line in resources if line not in DEFAULT_RESOURCES]
        blocks += directory_blocks(
            snapshot.resources, coordinator=snapshot.coordinator is not None, office_lines=own
        )
    else:
        blocks += resources_blocks(resources)
    return View(type="home", blocks=blocks).to_dict()


def _own_request(status: RequestStatus | None) -> list[Block]:
    if status is None:
        return []
    if status.assignee_id:
        where = f"is with {mention(status.assignee_id)}, who will reach out to you"
    elif status.anonymous and status.state == RequestState.ASSIGNED:
        # The requester sees the supporter as a first name or label, in the relayed thread only.
        where = 'is with a peer supporter: write to them in the thread of "Your anonymous conversation"'
    elif status.state == RequestState.ESCALATED:
        where = (
            "is waiting: no supporter is free right now, and the coordinators were alerted"
            " (without your name)"
        )
    else:
        where = "is being offered to a peer supporter; you'll get a DM when one accepts"
    cancel = _button(
        RequestAction.CANCEL_REQUEST,
        "Withdraw",
        confirm=ConfirmObject(
            title="Withdraw your request?",
            text="Nobody is told why. You can ask again at any time.",
            confirm="Withdraw",
            deny="Keep it",
        ),
    )
    text = f"*Your request* #{status.request_id} {where}. Only you see this."
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=text), accessory=cancel)]
    if status.state == RequestState.ASSIGNED:
        blocks.append(requester_buttons(status.request_id))
    return blocks


_TRAINING = {
    TrainingState.UNTRAINED: "*Training:* your basic course isn't recorded yet; offers start once it is.",
    TrainingState.CURRENT: "*Training:* current until {day}.",
    TrainingState.DUE_SOON: "*Training:* your refresher is due by {day}; please plan it with a coordinator.",
    TrainingState.LAPSED: "*Training:* lapsed on {day}; no offers come to you until a refresher is recorded.",
}


def _supporter_part(part: SupporterHome, tz: ZoneInfo) -> list[Block]:
    entry, s = part.entry, part.entry.supporter
    if s.suspended:
        availability = SectionBlock(
            text=MarkdownTextObject(text="*Offers are paused* by a coordinator. Please talk to one of them.")
        )
    elif entry.available:
        availability = SectionBlock(
            text=MarkdownTextObject(text="*You're available:* requests can be offered to you."),
            accessory=_button(RosterAction.PAUSE_OFFERS, "Pause offers…"),
        )
    else:
        until = f" until {s.away_until:%a %-d %b}" if s.away_until else ""
        availability = SectionBlock(
            text=MarkdownTextObject(text=f"*You're away{until}:* no new offers."),
            accessory=_button(
                RosterAction.AVAILABLE_AGAIN, "I'm available again", "available", style="primary"
            ),
        )
    training = _TRAINING[entry.training].format(day=f"{entry.lapses_on:%Y-%m-%d}" if entry.lapses_on else "")
    if entry.advanced:
        training += " Advanced: " + ", ".join(escape(t.name) for t in entry.advanced) + "."
    blocks: list[Block] = [DividerBlock(), header("You're a peer supporter"), availability, section(training)]
    if part.profile is not None:
        blocks += home_profile_blocks(part.profile)
    if s.unreachable:
        blocks.append(
            context("Your last offer could not reach you by DM. Check that the app's Messages tab is on.")
        )
    for request in part.held:
        ref = RequestRef(request_id=request.id).encode()
        # Who asked only once the requester may be known: never for one who stayed anonymous.
        named = request.named and request.requester_id is not None
        who = mention(request.requester_id or "") if named else "a colleague (anonymous)"
        how = "the app's relayed thread" if request.anonymous else CONTACT_LABELS[request.contact].lower()
        blocks.append(
            SectionBlock(
                block_id=f"{HomeBlockId.HELD}{request.id}",
                text=MarkdownTextObject(
                    text=f"*Request #{request.id}:* {who} ·"
                    f" {AREA_LABELS[request.area]} · by {how}"
                    f" · since {when(request.assigned_at or request.created_at, tz)}"
                ),
                accessory=_button(RequestAction.CLOSE, "Close", ref),
            )
        )
        blocks.append(ActionsBlock(elements=[share_button(request.id)]))
    if not part.held:
        blocks.append(context("You hold no requests right now."))
    blocks.append(
        ActionsBlock(
            block_id=HomeBlockId.SUPPORTER_ACTIONS,
            elements=[_button(TrackingAction.LOG_CONTACT, "Log a contact")],
        )
    )
    blocks.append(
        context(
            "Log a conversation that happened outside the bot: counted, never who with."
            f" Your time this quarter: {part.minutes_this_quarter / 60:.1f} h (only you see this)."
        )
    )
    return blocks


def _names(people: Sequence[str], more: int = 0) -> str:
    text = ", ".join(mention(u) for u in people[:LIST_MAX])
    extra = len(people) - LIST_MAX + more
    return text + (f" and {extra} more" if extra > 0 else "")


def _coordinator_part(part: CoordinatorHome) -> list[Block]:
    r = part.roster
    lines = [
        f"*Roster:* {r.active} getting offers · {r.away} away · {r.in_training} in training"
        f" · {r.suspended} suspended"
    ]
    if r.lapsed:
        lines.append("*Training lapsed:* " + _names([s.user_id for s in r.lapsed]))
    if r.due_soon:
        lines.append("*Refresher due soon:* " + _names([s.user_id for s, _ in r.due_soon]))
    if r.unreachable:
        lines.append(
            "*Can't be reached* (left out of the rotation): "
            + ", ".join(
                f"{mention(s.user_id)} ({escape(s.unreachable or '')})" for s in r.unreachable[:LIST_MAX]
            )
        )
    if part.volunteers:
        lines.append("*Volunteers waiting for a decision:* " + _names([v.user_id for v in part.volunteers]))
    glance, k = part.requests, part.min_count
    lines.append(
        f"*Requests at the start of today:* {describe(glance.waiting, k)} waiting for a supporter"
        f" · {describe(glance.escalated, k)} escalated · {describe(glance.held, k)} with a supporter"
    )
    if part.concerns:
        lines.append(f"*Concerns about colleagues nobody has taken yet:* {part.concerns} (see your DMs)")
    return [
        DividerBlock(),
        header("Coordinator"),
        section("\n".join(lines)),
        context(
            "Counts only, as they stood at the start of the day (escalated requests reach you by DM at"
            " once): who asked for help is never shown here."
        ),
        ActionsBlock(
            block_id=HomeBlockId.COORDINATOR_ACTIONS,
            elements=[
                _button(IncidentAction.HOME_INCIDENT, "Log an incident"),
                _button(AnnouncementAction.HOME_EVENT, "Announce an event"),
                _button(TrackingAction.HOME_STATS, "Statistics"),
                _button(TrackingAction.HOME_REPORT, "Quarterly report"),
                _button(OnCallAction.HOME_ONCALL, "On-call rota"),
                _button(OfficeAction.HOME_SETTINGS, "Office settings"),
            ],
        ),
        *_roster_table(part),
        *_incidents_part(part.incidents),
    ]


def _roster_table(part: CoordinatorHome) -> list[Block]:
    """The roster as a table (its first rows; a button shows every row), and the roster's work."""
    entries = part.entries
    title = f"*The roster ({len(entries)})*: role · unit · availability · load · training"
    more = len(entries) - HOME_ROWS
    blocks: list[Block] = [
        SectionBlock(
            block_id=HomeBlockId.ROSTER,
            text=MarkdownTextObject(text=title if entries else "*The roster* is empty."),
            accessory=_button(RosterAction.HOME_ROSTER_ALL, f"Show all {len(entries)}") if more > 0 else None,
        ),
        *roster_sections(entries[:HOME_ROWS]),
    ]
    shown = (
        f" Showing {HOME_ROWS} of {len(entries)}: *Show all {len(entries)}* lists the {more} more."
        if more > 0
        else ""
    )
    if entries:
        blocks.append(context(LOAD_NOTE + shown))
    waiting = f"Review volunteers ({len(part.volunteers)})" if part.volunteers else "Review volunteers"
    blocks.append(
        ActionsBlock(
            block_id=HomeBlockId.ROSTER_ACTIONS,
            elements=[
                _button(RosterAction.HOME_ADD_SUPPORTER, "Add a supporter"),
                _button(RosterAction.HOME_TRAINING, "Record a training"),
                _button(RosterAction.HOME_SUSPEND, "Suspend, resume or retire"),
                _button(RosterAction.HOME_PROFILE, "Role and unit"),
                _button(RosterAction.HOME_VOLUNTEERS, waiting),
                _button(RosterAction.HOME_ROLES, "Coordinators and administrators"),
            ],
        )
    )
    return blocks


def _incidents_part(incidents: Sequence[Incident]) -> list[Block]:
    """Open incidents, each with a button to its follow-up view (``/peer incident N``); no counts."""
    if not incidents:
        return [context("No open incidents. *Log an incident* starts follow-up after one.")]
    blocks: list[Block] = [section(f"*Open incidents ({len(incidents)})*")]
    for incident in incidents[:INCIDENT_ROWS]:
        ref = IncidentRef(incident_id=incident.id).encode()
        blocks.append(
            SectionBlock(
                block_id=f"{HomeBlockId.INCIDENT}{incident.id}",
                text=MarkdownTextObject(
                    text=f"#{incident.id} *{escape(incident.name)}* · {INCIDENT_KINDS[incident.kind]}"
                    f" · {incident.occurred_on:%Y-%m-%d}"
                ),
                accessory=_button(IncidentAction.HOME_FOLLOW_UP, "Follow-up", ref),
            )
        )
    if len(incidents) > INCIDENT_ROWS:
        blocks.append(
            context(f"And {len(incidents) - INCIDENT_ROWS} more: `/peer incident list` lists them all.")
        )
    return blocks


def _administrator_part() -> list[Block]:
    return [
        DividerBlock(),
        header("Program reports"),
        section(
            "As an administrator you see the program's published statistics: per completed quarter,"
            " counts only, small counts hidden. Nobody's name, request or concern is ever shown."
        ),
        ActionsBlock(
            block_id=HomeBlockId.ADMINISTRATOR_ACTIONS,
            elements=[
                _button(TrackingAction.HOME_STATS, "Statistics"),
                _button(TrackingAction.HOME_REPORT, "Quarterly report"),
            ],
        ),
        context("`/peer stats`, `/peer export` and `/peer report [quarter]` do the same by command."),
    ]


def _events_part(snapshot: HomeSnapshot, tz: ZoneInfo) -> list[Block]:
    blocks: list[Block] = [DividerBlock(), header("Upcoming events")]
    if not snapshot.events:
        return [*blocks, context("Nothing planned yet.")]
    for event in snapshot.events:
        ref = EventRef(announcement_id=event.id).encode()
        going = event.id in snapshot.going
        text = (
            f"*{escape(event.title)}* · {slack_time(event.starts_at, tz)} · {escape(event.place)}"
            f"\n{KIND_LABELS[event.kind]} · {event.going} going" + (" · *you're going*" if going else "")
        )
        rsvp = _button(AnnouncementAction.RSVP, "Not going after all" if going else "I'm going", ref)
        blocks.append(
            SectionBlock(
                block_id=f"{HomeBlockId.EVENT}{event.id}", text=MarkdownTextObject(text=text), accessory=rsvp
            )
        )
        if snapshot.coordinator is not None:
            blocks.append(
                ActionsBlock(
                    block_id=f"{HomeBlockId.EVENT_ADMIN}{event.id}",
                    elements=[
                        _button(AnnouncementAction.EVENT_EDIT, "Edit", ref),
                        _button(
                            AnnouncementAction.EVENT_CANCEL,
                            "Cancel event",
                            ref,
                            style="danger",
                            confirm=ConfirmObject(
                                title="Cancel this event?",
                                text="The announcement will say it's cancelled, and no reminders go out.",
                                confirm="Cancel event",
                                deny="Keep it",
                            ),
                        ),
                    ],
                )
            )
    return blocks


def help_text(*, is_supporter: bool, is_coordinator: bool, hours: str, is_administrator: bool = False) -> str:
    """``/peer help``, tailored to the caller's roles."""
    lines = [
        "*Peer support: what you can do*",
        "• `/peer` ask privately to talk to a trained colleague",
        "• `/peer status` see where your request is",
        "• `/peer cancel` withdraw your request",
        "• `/peer resources [topic]` crisis lines and the office's directory of professional help"
        " (topics: trauma, grief, substance_use, family, money, legal_profession)",
        "• `/peer check` a private five-question self-check (nothing of it is kept)",
        "• `/peer volunteer [a note]` offer to become a peer supporter",
        "• `/peer concern @user` tell the coordinators you're worried about a colleague (never them)",
    ]
    if is_supporter:
        lines += [
            "*As a peer supporter*",
            "• `/peer available` start receiving offers again",
            "• `/peer away` or `/peer away until YYYY-MM-DD` pause offers",
            "• `/peer afterhours on|off` also receive offers outside program hours",
            "• `/peer log` log a contact that happened outside the bot (no names)",
        ]
    if is_coordinator:
        lines += [
            "*As a coordinator*",
            "• The app's *Home* tab: the roster as a table, and buttons to add a supporter, record a"
            " training, suspend, resume or retire, set role and unit, review volunteers, change roles"
            " and follow up incidents",
            "• `/peer roster` supporters with training, availability and load",
            "• `/peer roster add @user… [trained YYYY-MM-DD]` add supporters or record training",
            "• `/peer roster remove @user…` retire supporters from the roster",
            "• `/peer roster suspend|resume @user…` pause or resume a supporter's offers",
            "• `/peer training @user… basic|refresher YYYY-MM-DD` record training",
            "• `/peer training @user… advanced YYYY-MM-DD name` record an advanced training (e.g. CISM)",
            "• `/peer training due` who is lapsed or due a refresher",
            "• `/peer coordinators [add|remove @user…]` the coordinators",
            "• `/peer administrators [add|remove @user…]` who sees statistics and reports only",
            "• `/peer event` announce an event in a channel, with RSVP and reminders",
            "• `/peer event list` upcoming events and who is going; `/peer event edit|cancel N`",
            "• `/peer incident` register an incident; `/peer incident list|close N`",
            "• `/peer stats [period]` statistics, small counts hidden; `/peer export [period]` CSV and chart",
            "• `/peer report [quarter]` the quarterly report (PDF and CSV) in your DM",
            "• `/peer audit` the latest coordinator actions",
            "• `/peer oncall [add @person Mon-Fri 18:00-08:00 | remove N]` who is on call after hours",
            "• `/peer settings` this office's time zone, hours, offer times, message lines, retention",
        ]
    elif is_administrator:
        lines += [
            "*As an administrator*",
            "• `/peer stats [quarter or year]` published statistics, small counts hidden",
            "• `/peer export [quarter or year]` the same as CSV and a chart, in your DM",
            "• `/peer report [quarter]` the quarterly report (PDF and CSV) in your DM",
        ]
    lines.append(f"_Program hours: {hours}. Peer supporters are not counselors._")
    return "\n".join(lines)
