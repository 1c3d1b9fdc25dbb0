"""Who may do what: every ``/peer`` subcommand, every button and every modal, for each role.

One row per action, one column per role (see ``tests/world.py``): the employee (who got a
check-in), a supporter who holds nothing, the *assigned* supporter (the one the offer is
addressed to, who holds the other requests and got the program's care check-in), a
coordinator, and an administrator (statistics, exports and the quarterly report; beyond them
an employee like any other, to whom no check-in was sent). Where the action belongs to the
colleague who asked anonymously (the relayed conversation's buttons), a sixth column says what
they may do. Buttons and modals are crafted
payloads naming the world's real ids, as anyone could post them.

*Refused* means the person is told so and the database is byte-for-byte unchanged; *allowed*
means the action's own effect is there. Refused roles go first: since they change nothing,
each allowed role then acts on the untouched world.
"""

from __future__ import annotations

import inspect
import json
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

import pytest

from bot.config import OFFICE_SETTINGS
from bot.office_settings import OfficeSetting
from bot.profiles import ProfilePolicy
from bot.resources import CRISIS_LINES
from handlers.announcements.ids import AnnouncementAction, AnnouncementCallback
from handlers.announcements.listeners import event_view
from handlers.care.ids import CareAction
from handlers.concerns.blocks import CONTACT_ME, concern_hand_to_modal, concern_modal
from handlers.concerns.ids import ConcernAction, ConcernCallback
from handlers.incidents.blocks import follow_up_modal, incident_modal
from handlers.incidents.ids import IncidentAction, IncidentCallback
from handlers.office.blocks import settings_modal
from handlers.office.ids import SHARED, OfficeAction, OfficeCallback, OfficeChoice
from handlers.oncall.blocks import oncall_modal
from handlers.oncall.ids import OnCallAction, OnCallCallback
from handlers.relay.blocks import rename_modal
from handlers.relay.ids import RelayAction, RelayCallback
from handlers.requests.blocks import TALK_ANSWERS, close_modal, hand_to_modal, request_modal
from handlers.requests.ids import RequestAction, RequestCallback
from handlers.resources.blocks import resource_modal, share_modal
from handlers.resources.ids import ResourceAction, ResourceCallback
from handlers.roster import modals as roster_modals
from handlers.roster.blocks import away_modal
from handlers.roster.ids import RosterAction, RosterCallback
from handlers.roster.modals import (
    add_supporter_modal,
    roles_modal,
    suspend_modal,
    training_modal,
    volunteers_modal,
)
from handlers.selfcheck.blocks import self_check_modal
from handlers.selfcheck.ids import SelfCheckAction, SelfCheckCallback
from handlers.team.blocks import profile_modal
from handlers.team.ids import TeamAction, TeamCallback
from handlers.tracking.blocks import log_contact_modal
from handlers.tracking.ids import TrackingAction, TrackingCallback
from storage.models import Supporter, SupporterProfile
from tests.conftest import ON_POSTGRES
from tests.rig import Response, Rig, find_button
from tests.world import (
    ANONYMOUS_REQUESTER,
    ASSIGNED,
    CONCERN_SUBJECT,
    COORDINATOR,
    EVENT_CHANNEL,
    ROLES,
    WORLD_SETTINGS,
    World,
    build_world,
    snapshot,
)

A, R = "allowed", "refused"
REFUSALS = (
    "only program coordinators can do that",
    "only program coordinators and administrators can see that",
    "for peer supporters on the roster",
    "offer isn't addressed to you",
    "no longer hold this request",
    "check-in isn't addressed to you",
    "conversation isn't yours",
    # The association's statistics: to anyone but its administrators, an unknown command.
    "I don't know `/peer association`",
)


@dataclass
class Seen:
    """What one attempt did: what the person was told, what opened, whether the database moved."""

    told: str
    opened: list[str]
    changed: bool
    updated: int = 0
    notes: list[str] = field(default_factory=list)
    # The view a submission was answered with (``response_action: update``), as text.
    answered: str = ""


Do = Callable[[Rig, World, str], Awaitable[Response]]
Check = Callable[[Rig, World, str, Seen], Awaitable[bool]]


@dataclass(frozen=True)
class Act:
    """How to attempt an action, and the Slack identifier (subcommand, action or callback) it exercises."""

    target: str
    run: Do


async def _query(rig: Rig, sql: str, *params: Any) -> list[tuple]:
    async with rig.app.db.read() as tx:  # type: ignore[union-attr]
        cur = await tx.conn.execute(sql, params)
        return [tuple(row) for row in await cur.fetchall()]


def command(text: str) -> Act:
    """``/peer`` with ``text``, where ``{event}`` and the like are the world's ids."""

    async def do(rig: Rig, world: World, user: str) -> Response:
        return await rig.command(user, text.format(**asdict(world)))

    return Act(text.split()[0] if text else "", do)


def click(
    action: StrEnum,
    ref: Callable[[World], dict[str, int]] = lambda _: {},
    *,
    at: Callable[[Rig, World, str], str] = lambda *_: "1.000001",
) -> Act:
    """A crafted button click naming ``ref``, posted from the person's DM with the app (from the
    message ``at`` gives, a made-up one unless told)."""

    async def do(rig: Rig, world: World, user: str) -> Response:
        payload = {
            "type": "block_actions",
            "user": {"id": user, "username": user.lower(), "team_id": "T111"},
            "team": {"id": "T111"},
            "trigger_id": rig.trigger(),
            "container": {
                "type": "message",
                "channel_id": "D" + user[1:],
                "message_ts": at(rig, world, user),
            },
            "channel": {"id": "D" + user[1:]},
            "actions": [{"action_id": action, "value": json.dumps(ref(world)), "type": "button"}],
        }
        return await rig.interact(payload)

    return Act(action, do)


async def _volunteers_view(rig: Rig, _: World) -> dict[str, Any]:
    """The review modal as a coordinator opens it (the world's volunteer waits)."""
    services = rig.app.services
    assert services is not None
    return volunteers_modal(await services.volunteers.pending(coordinator_id=COORDINATOR))


async def _follow_up_view(rig: Rig, world: World) -> dict[str, Any]:
    services = rig.app.services
    assert services is not None
    follow_up = await services.checkins.follow_up(coordinator_id=COORDINATOR, incident_id=world.incident)
    return follow_up_modal(follow_up, min_count=services.min_count, tz=services.hours.tz)


def submit(
    callback: StrEnum, view: Callable[[Rig, World], dict | Awaitable[dict]], values: dict[str, Any]
) -> Act:
    """A crafted modal submission (the modal as the app builds it, filled in validly; ``{volunteer}``
    and the like in a value are the world's ids)."""

    async def do(rig: Rig, world: World, user: str) -> Response:
        built = view(rig, world)
        built = await built if inspect.isawaitable(built) else built
        assert built["callback_id"] == callback
        filled = {k: v.format(**asdict(world)) if isinstance(v, str) else v for k, v in values.items()}
        return await rig.submit(user, {"id": "V0001", **built}, filled)

    return Act(callback, do)


def says(*fragments: str) -> Check:
    async def check(_: Rig, __: World, ___: str, seen: Seen) -> bool:
        return all(f in seen.told for f in fragments)

    return check


def opens(callback_id: str) -> Check:
    async def check(_: Rig, __: World, ___: str, seen: Seen) -> bool:
        return seen.opened == [callback_id]

    return check


def finds(sql: str, *params: Any) -> Check:
    """Allowed when the query (``{user}`` is the person, ``{w.…}`` the world's ids) finds a row."""

    async def check(rig: Rig, world: World, user: str, _: Seen) -> bool:
        values = [p(world) if callable(p) else p.format(user=user) for p in params]
        return bool(await _query(rig, sql, *values))

    return check


def either(*checks: Check) -> Check:
    async def check(rig: Rig, world: World, user: str, seen: Seen) -> bool:
        return any([await c(rig, world, user, seen) for c in checks])

    return check


async def opens_a_view(_: Rig, __: World, ___: str, seen: Seen) -> bool:
    """A view opened (one without a callback: it only shows something)."""
    return len(seen.opened) == 1


def offer_dm(rig: Rig, world: World, user: str) -> str:
    """The open offer's DM, if this person received it (clicks are taken only from the app's own copies)."""
    for message in rig.offers_to(user):
        first = message.history[0]["blocks"] if message.history else message.blocks
        if json.loads(find_button(first, RequestAction.ACCEPT)[1]["value"]) == {"offer_id": world.open_offer}:
            return message.ts
    return "1.000001"


async def available(rig: Rig, world: World, user: str, seen: Seen) -> bool:
    """Nothing was refused, and the person is on the roster and available."""
    return not seen.notes and bool(
        await _query(rig, "SELECT 1 FROM supporters WHERE user_id = ? AND away = 0", user)
    )


def answers_with(fragment: str) -> Check:
    """The submission was answered with a view showing ``fragment`` (in the modal, nowhere else)."""

    async def check(_: Rig, __: World, ___: str, seen: Seen) -> bool:
        return fragment in seen.answered

    return check


async def redrawn(_: Rig, __: World, ___: str, seen: Seen) -> bool:
    """The message the button was on was redrawn, and nothing was refused."""
    return seen.updated == 1 and not seen.notes


NO_REQUEST = says("You don't have an open request")
VOLUNTEERED = finds("SELECT 1 FROM volunteers WHERE user_id = ?", "{user}")
REQUEST_VALUES = {"area": "grief", "urgency": "no_rush", "contact": "phone", "note": None}
CONTACT_VALUES = {
    "contact_date": "2026-11-30",
    "contact_minutes": "25",
    "contact_areas": ["work_stress"],
    "contact_channel": "walk_in",
    "contact_referral": "none",
}
INCIDENT_VALUES = {
    "incident_kind": "bereavement",
    "incident_name": "A loss in the family",
    "incident_date": "2026-11-29",
    "incident_people": ["UAFF9"],
}
CONCERN_VALUES = {
    "concern_subject": CONCERN_SUBJECT,
    "concern_note": None,
    "concern_contact_me": [CONTACT_ME],
}
EVENT_VALUES = {
    "event_title": "Holiday gathering",
    "event_kind": "holiday_gathering",
    "event_date": "2026-12-17",
    "event_start": "16:00",
    "event_end": None,
    "event_place": "The library",
    "event_description": None,
    "event_channel": EVENT_CHANNEL,
}


async def _edit_event_view(rig: Rig, world: World) -> dict:
    """The edit modal as the app builds it for the world's event (read as its coordinator)."""
    services = rig.app.services
    assert services is not None
    event = await services.announcements.for_edit(coordinator_id=COORDINATOR, announcement_id=world.event)
    return event_view(services, event)


PROFILE_VALUES = {"profile_role": "Paralegal", "profile_languages": "English", "profile_about": "Ask me."}


def _blank_profile_modal() -> dict:
    """The profile modal as a supporter with nothing published yet sees it."""
    blank = Supporter(
        user_id="UANY",
        trained_on=None,
        away=False,
        away_until=None,
        after_hours=False,
        expired_streak=0,
        rotation_seq=0,
        added_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    return profile_modal(SupporterProfile(supporter=blank), ProfilePolicy())


@dataclass(frozen=True)
class Case:
    act: Act
    allowed: Check
    #     employee, supporter, assigned supporter, coordinator, administrator
    expect: tuple[str, str, str, str, str]
    # The anonymous requester, where the action is theirs too (tried in a world of their own).
    requester: str | None = None


MATRIX: dict[str, Case] = {
    # Commands
    "/peer": Case(command(""), opens("peer_request"), (A, A, A, A, A)),
    "/peer help": Case(command("help"), says("/peer status"), (A, A, A, A, A)),
    "/peer resources": Case(command("resources"), says("988"), (A, A, A, A, A)),
    "/peer status (own request only)": Case(command("status"), NO_REQUEST, (A, A, A, A, A)),
    "/peer cancel (own request only)": Case(command("cancel"), NO_REQUEST, (A, A, A, A, A)),
    "/peer available": Case(command("available"), says("You're available"), (R, A, A, R, R)),
    "/peer away": Case(
        command("away"),
        finds("SELECT 1 FROM supporters WHERE user_id = ? AND away = 1", "{user}"),
        (R, A, A, R, R),
    ),
    "/peer away until": Case(command("away until 2027-01-04"), says("until Mon 4 Jan 2027"), (R, A, A, R, R)),
    "/peer afterhours on": Case(
        command("afterhours on"),
        finds("SELECT 1 FROM supporters WHERE user_id = ? AND after_hours = 1", "{user}"),
        (R, A, A, R, R),
    ),
    "/peer afterhours off": Case(
        command("afterhours off"), says("only during program hours"), (R, A, A, R, R)
    ),
    "/peer log": Case(command("log"), opens("peer_log_contact"), (R, A, A, R, R)),
    "/peer roster": Case(command("roster"), says("<@USUP>", "<@UASG>"), (R, R, R, A, R)),
    "/peer roster add": Case(
        command("roster add <@UNEW|new> trained 2026-01-15"),
        finds("SELECT 1 FROM supporters WHERE user_id = 'UNEW'"),
        (R, R, R, A, R),
    ),
    "/peer roster remove": Case(
        command("roster remove <@USUP|s>"),
        says("Removed <@USUP>"),
        (R, R, R, A, R),
    ),
    "/peer incident": Case(command("incident"), opens("peer_incident"), (R, R, R, A, R)),
    "/peer incident list": Case(command("incident list"), says("Courthouse shooting"), (R, R, R, A, R)),
    "/peer incident N (its follow-up)": Case(
        command("incident {incident}"), opens("peer_incident_follow_up"), (R, R, R, A, R)
    ),
    "/peer incident close": Case(command("incident close 1"), says("Incident #1 is closed"), (R, R, R, A, R)),
    "/peer stats": Case(command("stats"), says("Gathering the numbers"), (R, R, R, A, A)),
    "/peer export": Case(command("export"), says("Gathering the numbers"), (R, R, R, A, A)),
    "/peer report": Case(command("report"), says("Gathering the numbers"), (R, R, R, A, A)),
    "/peer administrators": Case(
        command("administrators"), says("(from PEER_ADMINISTRATORS)"), (R, R, R, A, R)
    ),
    "/peer administrators add": Case(
        command("administrators add <@UNEWA|a>"),
        finds("SELECT 1 FROM administrators WHERE user_id = 'UNEWA'"),
        (R, R, R, A, R),
    ),
    "/peer administrators remove": Case(
        command("administrators remove <@UADMIN2|a>"),
        says("No longer administrators: <@UADMIN2>"),
        (R, R, R, A, R),
    ),
    "/peer audit": Case(command("audit"), says("roster add"), (R, R, R, A, R)),
    "/peer coordinators": Case(command("coordinators"), says("(from PEER_COORDINATORS)"), (R, R, R, A, R)),
    "/peer training due": Case(command("training due"), says("training lapses"), (R, R, R, A, R)),
    "/peer training (record one)": Case(
        command("training <@USUP|s> refresher 2026-11-01"),
        finds("SELECT 1 FROM trainings WHERE user_id = 'USUP' AND completed_on = '2026-11-01'"),
        (R, R, R, A, R),
    ),
    "/peer volunteer": Case(
        command("volunteer"),
        either(VOLUNTEERED, says("already on the peer supporter roster")),
        (A, A, A, A, A),
    ),
    "/peer event": Case(command("event"), opens("peer_event"), (R, R, R, A, R)),
    "/peer event list": Case(command("event list"), says("Lunch and learn", "0 going"), (R, R, R, A, R)),
    "/peer event edit": Case(command("event edit {event}"), opens("peer_event_edit"), (R, R, R, A, R)),
    "/peer event cancel": Case(
        command("event cancel {event}"),
        finds("SELECT 1 FROM announcements WHERE state = 'cancelled'"),
        (R, R, R, A, R),
    ),
    "/peer roster suspend": Case(
        command("roster suspend <@USUP|s>"),
        finds("SELECT 1 FROM supporters WHERE user_id = 'USUP' AND suspended = 1"),
        (R, R, R, A, R),
    ),
    "/peer roster resume": Case(command("roster resume <@USUP|s>"), says("Resumed <@USUP>"), (R, R, R, A, R)),
    "/peer roster role": Case(
        command("roster role <@USUP|s> Attorney"),
        finds("SELECT 1 FROM supporters WHERE user_id = 'USUP' AND role = 'Attorney'"),
        (R, R, R, A, R),
    ),
    "/peer roster unit": Case(
        command("roster unit <@USUP|s> Appeals"),
        finds("SELECT 1 FROM supporters WHERE user_id = 'USUP' AND unit = 'Appeals'"),
        (R, R, R, A, R),
    ),
    "/peer team": Case(command("team"), says("<@USUP>", "<@UASG>"), (A, A, A, A, A)),
    "/peer team (filtered)": Case(
        command("team language klingon"), says("No peer supporter matches"), (A, A, A, A, A)
    ),
    "/peer profile": Case(command("profile"), opens("peer_profile"), (R, A, A, R, R)),
    "/peer coordinators add": Case(
        command("coordinators add <@UNEWC|c>"),
        finds("SELECT 1 FROM coordinators WHERE user_id = 'UNEWC'"),
        (R, R, R, A, R),
    ),
    "/peer coordinators remove": Case(
        command("coordinators remove <@UCOORD3|c>"),
        says("No longer coordinators: <@UCOORD3>"),
        (R, R, R, A, R),
    ),
    "/peer concern": Case(command("concern"), opens("peer_concern"), (A, A, A, A, A)),
    "/peer concern @colleague": Case(command("concern <@UCOLL|c>"), opens("peer_concern"), (A, A, A, A, A)),
    "/peer check": Case(command("check"), opens("peer_self_check"), (A, A, A, A, A)),
    "/peer oncall": Case(command("oncall"), says("On-call rota"), (R, R, R, A, R)),
    "/peer oncall add": Case(
        command("oncall add <@UONCALL|o> Mon-Fri 18:00-08:00"),
        finds("SELECT 1 FROM on_call WHERE user_id = 'UONCALL'"),
        (R, R, R, A, R),
    ),
    "/peer oncall remove": Case(
        command("oncall remove {oncall}"),
        finds("SELECT 1 FROM audit_log WHERE action = 'on-call removed'"),
        (R, R, R, A, R),
    ),
    "/peer settings": Case(command("settings"), opens("peer_office_settings"), (R, R, R, A, R)),
    # The deployment's association administrator (the world's administrator is one, see
    # tests/world.py); an office's coordinator is not: for them the command does not exist.
    "/peer association": Case(command("association"), says("Gathering the numbers"), (R, R, R, R, A)),
    # Buttons, crafted with the world's real ids
    "Accept (an offer to the assigned supporter)": Case(
        click(RequestAction.ACCEPT, lambda w: {"offer_id": w.open_offer}, at=offer_dm),
        finds(
            "SELECT 1 FROM peer_requests WHERE id = ? AND assignee_id = ?",
            lambda w: w.offered_request,
            "{user}",
        ),
        (R, R, A, R, R),
    ),
    "Pass (an offer to the assigned supporter)": Case(
        click(RequestAction.PASS, lambda w: {"offer_id": w.open_offer}, at=offer_dm),
        finds("SELECT 1 FROM offers WHERE id = ? AND state = 'passed'", lambda w: w.open_offer),
        (R, R, A, R, R),
    ),
    "Close (a request the assigned supporter holds)": Case(
        click(RequestAction.CLOSE, lambda w: {"request_id": w.held_request}),
        opens("peer_request_close"),
        (R, R, A, R, R),
    ),
    "Share a resource (a request the assigned supporter holds)": Case(
        click(ResourceAction.SHARE, lambda w: {"request_id": w.held_request}),
        opens("peer_share_resource"),
        (R, R, A, R, R),
    ),
    "Hand back (a request the assigned supporter holds)": Case(
        click(RequestAction.HAND_BACK, lambda w: {"request_id": w.held_request}),
        finds("SELECT 1 FROM offers WHERE id = ? AND state = 'handed_back'", lambda w: w.held_offer),
        (R, R, A, R, R),
    ),
    "I've reached out (a request the assigned supporter holds)": Case(
        click(RequestAction.REACHED_OUT, lambda w: {"request_id": w.held_request}),
        finds("SELECT 1 FROM offers WHERE id = ? AND reached_out_at IS NOT NULL", lambda w: w.held_offer),
        (R, R, A, R, R),
    ),
    "I haven't heard from anyone (own request only; the relayed one)": Case(
        click(RequestAction.NOT_HEARD, lambda w: {"request_id": w.relayed_request}),
        either(
            NO_REQUEST,
            finds(
                "SELECT 1 FROM offers WHERE request_id = ? AND state = 'released'",
                lambda w: w.relayed_request,
            ),
        ),
        (A, A, A, A, A),
        requester=A,
    ),
    "I'd like someone else (own request only; the relayed one)": Case(
        click(RequestAction.SOMEONE_ELSE, lambda w: {"request_id": w.relayed_request}),
        either(
            NO_REQUEST,
            finds(
                "SELECT 1 FROM offers WHERE request_id = ? AND state = 'released'",
                lambda w: w.relayed_request,
            ),
        ),
        (A, A, A, A, A),
        requester=A,
    ),
    # The heavy request's requester is none of the four: everyone else is refused; their own answers
    # are tried in tests/test_after_close.py.
    **{
        f"Did talking help? {label} (asked of another requester)": Case(
            click(action, lambda w: {"message_id": w.talk_question}), NO_REQUEST, (R, R, R, R, R)
        )
        for action, (_, label) in TALK_ANSWERS.items()
    },
    # A crafted click's message is not the app's "you're set away" DM: nothing is redrawn.
    "I'm available again": Case(click(RosterAction.AVAILABLE_AGAIN), available, (R, A, A, R, R)),
    "Offer to a supporter… (an escalation)": Case(
        click(RequestAction.HAND_TO, lambda w: {"request_id": w.escalated_request}),
        opens("peer_escalation_hand_to"),
        (R, R, R, A, R),
    ),
    "I'll take it (an urgent alert; the escalated request)": Case(
        click(RequestAction.TAKE_ON, lambda w: {"request_id": w.escalated_request}),
        finds(
            "SELECT 1 FROM peer_requests WHERE id = ? AND assignee_id = ?",
            lambda w: w.escalated_request,
            "{user}",
        ),
        (R, R, R, A, R),
    ),
    "Talk to a peer (Home tab)": Case(
        click(RequestAction.OPEN_REQUEST), opens("peer_request"), (A, A, A, A, A)
    ),
    "Withdraw my request (Home tab, own request only)": Case(
        click(RequestAction.CANCEL_REQUEST), NO_REQUEST, (A, A, A, A, A)
    ),
    "Pause offers (Home tab)": Case(click(RosterAction.PAUSE_OFFERS), opens("peer_away"), (R, A, A, R, R)),
    "Edit profile (Home tab)": Case(click(TeamAction.EDIT_PROFILE), opens("peer_profile"), (R, A, A, R, R)),
    "Log a contact (Home tab)": Case(
        click(TrackingAction.LOG_CONTACT), opens("peer_log_contact"), (R, A, A, R, R)
    ),
    "Volunteer (Home tab)": Case(
        click(RosterAction.VOLUNTEER),
        either(VOLUNTEERED, says("already on the peer supporter roster")),
        (A, A, A, A, A),
    ),
    "Raise a concern (Home tab)": Case(
        click(ConcernAction.OPEN_CONCERN), opens("peer_concern"), (A, A, A, A, A)
    ),
    "How am I doing? (Home tab)": Case(
        click(SelfCheckAction.OPEN_SELF_CHECK), opens("peer_self_check"), (A, A, A, A, A)
    ),
    "Add a resource (coordinator's Home)": Case(
        click(ResourceAction.RESOURCE_ADD), opens("peer_resource"), (R, R, R, A, R)
    ),
    "Edit a resource (coordinator's Home)": Case(
        click(ResourceAction.RESOURCE_EDIT, lambda w: {"resource_id": w.resource}),
        opens("peer_resource"),
        (R, R, R, A, R),
    ),
    "Log an incident (Home tab)": Case(
        click(IncidentAction.HOME_INCIDENT), opens("peer_incident"), (R, R, R, A, R)
    ),
    "Announce an event (Home tab)": Case(
        click(AnnouncementAction.HOME_EVENT), opens("peer_event"), (R, R, R, A, R)
    ),
    "Statistics (Home tab)": Case(click(TrackingAction.HOME_STATS), opens_a_view, (R, R, R, A, A)),
    "Quarterly report (Home tab)": Case(
        click(TrackingAction.HOME_REPORT), says("quarterly report (PDF and CSV)"), (R, R, R, A, A)
    ),
    "On-call rota (Home tab)": Case(click(OnCallAction.HOME_ONCALL), opens("peer_oncall"), (R, R, R, A, R)),
    "Office settings (Home tab)": Case(
        click(OfficeAction.HOME_SETTINGS), opens("peer_office_settings"), (R, R, R, A, R)
    ),
    "Show all (the roster table, coordinator's Home)": Case(
        click(RosterAction.HOME_ROSTER_ALL), opens_a_view, (R, R, R, A, R)
    ),
    "Add a supporter (coordinator's Home)": Case(
        click(RosterAction.HOME_ADD_SUPPORTER), opens("peer_roster_add"), (R, R, R, A, R)
    ),
    "Record a training (coordinator's Home)": Case(
        click(RosterAction.HOME_TRAINING), opens("peer_roster_training"), (R, R, R, A, R)
    ),
    "Suspend or resume (coordinator's Home)": Case(
        click(RosterAction.HOME_SUSPEND), opens("peer_roster_suspend"), (R, R, R, A, R)
    ),
    "Review volunteers (coordinator's Home)": Case(
        click(RosterAction.HOME_VOLUNTEERS), opens("peer_roster_volunteers"), (R, R, R, A, R)
    ),
    "Role and unit (coordinator's Home)": Case(
        click(RosterAction.HOME_PROFILE), opens("peer_roster_profile"), (R, R, R, A, R)
    ),
    "Coordinators and administrators (coordinator's Home)": Case(
        click(RosterAction.HOME_ROLES), opens("peer_roster_roles"), (R, R, R, A, R)
    ),
    "Follow-up (an incident, coordinator's Home)": Case(
        click(IncidentAction.HOME_FOLLOW_UP, lambda w: {"incident_id": w.incident}),
        opens("peer_incident_follow_up"),
        (R, R, R, A, R),
    ),
    "Close this incident early (the follow-up view)": Case(
        click(IncidentAction.CLOSE_EARLY, lambda w: {"incident_id": w.incident}),
        finds("SELECT 1 FROM incidents WHERE id = ? AND state = 'closed'", lambda w: w.incident),
        (R, R, R, A, R),
    ),
    "I'm doing okay (the employee's check-in)": Case(
        click(IncidentAction.CHECKIN_OK, lambda w: {"message_id": w.checkin}),
        finds("SELECT 1 FROM incidents WHERE answered_ok = 1"),
        (A, R, R, R, R),
    ),
    "I'd like to talk to a peer (the employee's check-in)": Case(
        click(IncidentAction.CHECKIN_TALK, lambda w: {"message_id": w.checkin}),
        finds("SELECT 1 FROM peer_requests WHERE requester_id = ? AND incident_id IS NOT NULL", "{user}"),
        (A, R, R, R, R),
    ),
    "Stop these check-ins (the employee's check-in)": Case(
        click(IncidentAction.CHECKIN_STOP, lambda w: {"message_id": w.checkin}),
        finds("SELECT 1 FROM incident_members WHERE user_id = ? AND stopped = 1", "{user}"),
        (A, R, R, R, R),
    ),
    "The program's check-in on a supporter: I'm okay": Case(
        click(CareAction.CARE_OK, lambda w: {"message_id": w.care_checkin}),
        finds(
            "SELECT 1 FROM scheduled_messages WHERE id = ? AND state = 'answered'", lambda w: w.care_checkin
        ),
        (R, R, A, R, R),
    ),
    "The program's check-in on a supporter: I'd like to talk": Case(
        click(CareAction.CARE_TALK, lambda w: {"message_id": w.care_checkin}),
        finds("SELECT 1 FROM peer_requests WHERE requester_id = ?", "{user}"),
        (R, R, A, R, R),
    ),
    "Share my name (the anonymous requester's conversation)": Case(
        click(RelayAction.RELAY_REVEAL, lambda w: {"conversation_id": w.conversation}),
        finds("SELECT 1 FROM peer_requests WHERE revealed_at IS NOT NULL"),
        (R, R, R, R, R),
        requester=A,
    ),
    "End the conversation (either side of it)": Case(
        click(RelayAction.RELAY_END, lambda w: {"conversation_id": w.conversation}),
        finds(
            "SELECT 1 FROM relay_conversations WHERE id = ? AND ended_at IS NOT NULL",
            lambda w: w.conversation,
        ),
        (R, R, A, R, R),
        requester=A,
    ),
    "Change the name shown (the supporter's side of the conversation)": Case(
        click(RelayAction.RELAY_RENAME, lambda w: {"conversation_id": w.conversation}),
        opens("peer_relay_rename"),
        (R, R, A, R, R),
        requester=R,
    ),
    "I'll reach out (a concern)": Case(
        click(ConcernAction.CONCERN_TAKE, lambda w: {"concern_id": w.concern}),
        finds("SELECT 1 FROM concerns WHERE id = ? AND state = 'taken'", lambda w: w.concern),
        (R, R, R, A, R),
    ),
    "Ask a supporter… (a concern)": Case(
        click(ConcernAction.CONCERN_HAND_TO, lambda w: {"concern_id": w.concern}),
        opens("peer_concern_hand_to"),
        (R, R, R, A, R),
    ),
    "RSVP (an event's post)": Case(
        click(AnnouncementAction.RSVP, lambda w: {"announcement_id": w.event}),
        finds("SELECT 1 FROM rsvps WHERE user_id = ?", "{user}"),
        (A, A, A, A, A),
    ),
    "Edit (an event, coordinator's Home)": Case(
        click(AnnouncementAction.EVENT_EDIT, lambda w: {"announcement_id": w.event}),
        opens("peer_event_edit"),
        (R, R, R, A, R),
    ),
    "Cancel (an event, coordinator's Home)": Case(
        click(AnnouncementAction.EVENT_CANCEL, lambda w: {"announcement_id": w.event}),
        finds("SELECT 1 FROM announcements WHERE id = ? AND state = 'cancelled'", lambda w: w.event),
        (R, R, R, A, R),
    ),
    "Approve (an offer to volunteer)": Case(
        click(RosterAction.VOLUNTEER_APPROVE, lambda w: {"volunteer_id": w.volunteer}),
        finds("SELECT 1 FROM supporters WHERE user_id = 'UVOL'"),
        (R, R, R, A, R),
    ),
    "Decline (an offer to volunteer)": Case(
        click(RosterAction.VOLUNTEER_DECLINE, lambda w: {"volunteer_id": w.volunteer}),
        finds("SELECT 1 FROM volunteers WHERE id = ? AND state = 'declined'", lambda w: w.volunteer),
        (R, R, R, A, R),
    ),
    # Modals, crafted with the world's real ids in private_metadata
    "On-call modal (add a shift)": Case(
        submit(
            OnCallCallback.ONCALL,
            lambda *_: oncall_modal([], [], zone="UTC"),
            {"oncall_person": "UONCALL", "oncall_days": "daily", "oncall_hours": "18:00-08:00"},
        ),
        finds("SELECT 1 FROM on_call WHERE user_id = 'UONCALL'"),
        (R, R, R, A, R),
    ),
    "Office settings modal": Case(
        submit(
            OfficeCallback.SETTINGS,
            lambda *_: settings_modal([OfficeSetting(name, None, "default") for name in OFFICE_SETTINGS]),
            {"office_peer_timezone": "America/Chicago"},
        ),
        finds("SELECT 1 FROM office_settings WHERE name = 'PEER_TIMEZONE' AND value = 'America/Chicago'"),
        (R, R, R, A, R),
    ),
    "Office settings modal (share the statistics with the association)": Case(
        submit(
            OfficeCallback.SETTINGS,
            lambda *_: settings_modal([OfficeSetting(name, None, "default") for name in OFFICE_SETTINGS]),
            {OfficeChoice.SHARE_STATISTICS: [SHARED]},
        ),
        finds("SELECT 1 FROM association_sharing WHERE shared = 1"),
        (R, R, R, A, R),
    ),
    "Request modal": Case(
        submit(RequestCallback.REQUEST, lambda *_: request_modal(note_max_length=500), REQUEST_VALUES),
        finds("SELECT 1 FROM peer_requests WHERE requester_id = ? AND area = 'grief'", "{user}"),
        (A, A, A, A, A),
    ),
    "Close modal (a request the assigned supporter holds)": Case(
        submit(
            RequestCallback.CLOSE,
            lambda _, w: close_modal(request_id=w.held_request),
            {"minutes": "30", "referral": "eap"},
        ),
        finds("SELECT 1 FROM peer_requests WHERE id = ? AND state = 'closed'", lambda w: w.held_request),
        (R, R, A, R, R),
    ),
    "Share-a-resource modal (a request the assigned supporter holds)": Case(
        submit(
            ResourceCallback.SHARE,
            lambda _, w: share_modal(
                request_id=w.held_request, entries=CRISIS_LINES, topic=None, anonymous=False
            ),
            {"share_resources": ["-1/0"]},
        ),
        finds(
            "SELECT 1 FROM offers WHERE id = ? AND resources_shared_at IS NOT NULL", lambda w: w.held_offer
        ),
        (R, R, A, R, R),
    ),
    "Offer-to modal (an escalation, to the assigned supporter)": Case(
        submit(
            RequestCallback.HAND_TO,
            lambda _, w: hand_to_modal(request_id=w.escalated_request),
            {"supporter": ASSIGNED},
        ),
        finds(
            "SELECT 1 FROM offers WHERE request_id = ? AND supporter_id = 'UASG'",
            lambda w: w.escalated_request,
        ),
        (R, R, R, A, R),
    ),
    "Incident modal": Case(
        submit(
            IncidentCallback.INCIDENT,
            lambda *_: incident_modal(plans={}, today="2026-11-30"),
            INCIDENT_VALUES,
        ),
        finds("SELECT 1 FROM incidents WHERE name = 'A loss in the family'"),
        (R, R, R, A, R),
    ),
    "Incident follow-up modal (add people, change the plan)": Case(
        submit(IncidentCallback.FOLLOW_UP, _follow_up_view, {"incident_add_people": ["UADDED"]}),
        finds("SELECT 1 FROM incident_members WHERE user_id = 'UADDED'"),
        (R, R, R, A, R),
    ),
    "Add-a-supporter modal (coordinator's Home)": Case(
        submit(
            RosterCallback.ADD_SUPPORTER,
            lambda *_: add_supporter_modal(),
            {"roster_person": "UNEWS", "roster_trained_on": "2026-11-02"},
        ),
        finds("SELECT 1 FROM supporters WHERE user_id = 'UNEWS'"),
        (R, R, R, A, R),
    ),
    "Record-a-training modal (coordinator's Home)": Case(
        submit(
            RosterCallback.TRAINING,
            lambda *_: training_modal(today=date(2026, 11, 30)),
            {
                "roster_person": "USUP",
                "roster_training_kind": "refresher",
                "roster_trained_on": "2026-11-02",
            },
        ),
        finds("SELECT 1 FROM trainings WHERE user_id = 'USUP' AND completed_on = '2026-11-02'"),
        (R, R, R, A, R),
    ),
    "Suspend-or-resume modal (coordinator's Home)": Case(
        submit(
            RosterCallback.SUSPEND,
            lambda *_: suspend_modal(),
            {"roster_person": "USUP", "roster_pause": "suspend"},
        ),
        finds("SELECT 1 FROM supporters WHERE user_id = 'USUP' AND suspended = 1"),
        (R, R, R, A, R),
    ),
    "Role-and-unit modal (coordinator's Home)": Case(
        submit(
            RosterCallback.PROFILE,
            lambda *_: roster_modals.profile_modal(["Attorney"]),
            {
                "roster_person": "USUP",
                "roster_supporter_role": "Attorney",
                "roster_supporter_unit": "Appeals",
            },
        ),
        finds("SELECT 1 FROM supporters WHERE user_id = 'USUP' AND unit = 'Appeals' AND role = 'Attorney'"),
        (R, R, R, A, R),
    ),
    "Review-volunteers modal (coordinator's Home; the world's volunteer)": Case(
        submit(
            RosterCallback.VOLUNTEERS,
            _volunteers_view,
            {"roster_volunteer": "{volunteer}", "roster_volunteer_decision": "decline"},
        ),
        finds("SELECT 1 FROM volunteers WHERE id = ? AND state = 'declined'", lambda w: w.volunteer),
        (R, R, R, A, R),
    ),
    "Roles modal (coordinator's Home: add an administrator)": Case(
        submit(
            RosterCallback.ROLES,
            lambda *_: roles_modal(([], []), ([], [])),
            {"roster_person": "UNEWA", "roster_role": "administrator", "roster_role_change": "add"},
        ),
        finds("SELECT 1 FROM administrators WHERE user_id = 'UNEWA'"),
        (R, R, R, A, R),
    ),
    "Log a contact modal": Case(
        submit(
            TrackingCallback.LOG_CONTACT, lambda *_: log_contact_modal(today="2026-11-30"), CONTACT_VALUES
        ),
        finds("SELECT 1 FROM contacts WHERE supporter_id = ? AND minutes = 25", "{user}"),
        (R, A, A, R, R),
    ),
    "Profile modal (one's own profile only)": Case(
        submit(TeamCallback.PROFILE, lambda *_: _blank_profile_modal(), PROFILE_VALUES),
        finds("SELECT 1 FROM supporters WHERE user_id = ? AND role = 'Paralegal'", "{user}"),
        (R, A, A, R, R),
    ),
    "Pause offers modal": Case(
        submit(RosterCallback.AWAY, lambda *_: away_modal(), {"away_until": "2027-01-04"}),
        finds("SELECT 1 FROM supporters WHERE user_id = ? AND away = 1", "{user}"),
        (R, A, A, R, R),
    ),
    "Concern modal": Case(
        submit(ConcernCallback.CONCERN, lambda *_: concern_modal(), CONCERN_VALUES),
        finds("SELECT 1 FROM concerns WHERE raised_by = ?", "{user}"),
        (A, A, A, A, A),
    ),
    "Ask-a-supporter modal (a concern, to the assigned supporter)": Case(
        submit(
            ConcernCallback.CONCERN_HAND_TO,
            lambda _, w: concern_hand_to_modal(concern_id=w.concern),
            {"concern_supporter": ASSIGNED},
        ),
        finds("SELECT 1 FROM concerns WHERE id = ? AND supporter_id = 'UASG'", lambda w: w.concern),
        (R, R, R, A, R),
    ),
    "Resource modal (add)": Case(
        submit(
            ResourceCallback.RESOURCE,
            lambda *_: resource_modal(),
            {
                "resource_name": "Grief group",
                "resource_purpose": "Weekly",
                "resource_url": "https://g.example",
            },
        ),
        finds("SELECT 1 FROM resources WHERE name = 'Grief group'"),
        (R, R, R, A, R),
    ),
    "Self-check modal (the result, in the modal only)": Case(
        submit(SelfCheckCallback.SELF_CHECK, lambda *_: self_check_modal(), {"check_exposure": "no"}),
        answers_with("Your score: 0 of 5"),
        (A, A, A, A, A),
    ),
    "Event modal": Case(
        submit(AnnouncementCallback.EVENT, lambda rig, _: event_view(rig.app.services), EVENT_VALUES),
        finds("SELECT 1 FROM announcements WHERE title = 'Holiday gathering'"),
        (R, R, R, A, R),
    ),
    "Edit-event modal": Case(
        submit(
            AnnouncementCallback.EVENT_EDIT,
            _edit_event_view,
            {k: v for k, v in EVENT_VALUES.items() if k != "event_channel"},
        ),
        finds("SELECT 1 FROM announcements WHERE id = ? AND title = 'Holiday gathering'", lambda w: w.event),
        (R, R, R, A, R),
    ),
    "Rename modal (the supporter's side of the conversation)": Case(
        submit(
            RelayCallback.RELAY_RENAME,
            lambda _, w: rename_modal(conversation_id=w.conversation, label="Jordan"),
            {"label": "Sam"},
        ),
        finds(
            "SELECT 1 FROM relay_conversations WHERE id = ? AND supporter_label = 'Sam'",
            lambda w: w.conversation,
        ),
        (R, R, A, R, R),
        requester=R,
    ),
}


async def attempt(rig: Rig, case: Case, world: World, user: str) -> Seen:
    """Do the action as ``user`` and gather what came of it."""
    before = await snapshot(rig.app.db)
    calls = len(rig.slack.calls)
    response = await case.act.run(rig, world, user)
    await rig.settle()
    assert response.status == 200, response.text
    new = rig.slack.calls[calls:]
    notes = [
        c.params["text"] for c in new if c.method == "chat.postEphemeral" and c.params.get("user") == user
    ]
    body = response.json if response.text else {}
    told = [body.get("text", ""), *body.get("errors", {}).values(), *notes]
    return Seen(
        told="\n".join(told),
        opened=[c.params["view"].get("callback_id") for c in new if c.method == "views.open"],
        changed=await snapshot(rig.app.db) != before,
        updated=sum(1 for c in new if c.method == "chat.update" and c.channel == "D" + user[1:]),
        notes=notes,
        answered=json.dumps(body.get("view", {})) if isinstance(body, dict) else "",
    )


def refused(seen: Seen) -> bool:
    return any(r in seen.told for r in REFUSALS) and not seen.changed and seen.opened in ([], ["peer_notice"])


# Every attempt of the run, by (expected, as expected?): a figure of the run.
OUTCOMES: Counter[tuple[str, bool]] = Counter()


@pytest.fixture(scope="module", autouse=True)
def _report_outcomes(figures) -> Iterator[None]:
    yield
    wrong = sum(n for (_, ok), n in OUTCOMES.items() if not ok)
    figures(
        f"authorization: {len(ROWS)} actions"
        f"{f' (of {len(MATRIX)}: one per kind on PostgreSQL)' if len(ROWS) < len(MATRIX) else ''}"
        f" x {len(ROLES)} roles (+ the anonymous requester on"
        f" {sum(1 for n in ROWS if MATRIX[n].requester)}) = {sum(OUTCOMES.values())} attempts,"
        f" {OUTCOMES[(A, True)]} allowed and {OUTCOMES[(R, True)]} refused as expected; {wrong} wrong"
    )


# Who may do what is decided above the storage, by the same code on both backends: the whole
# matrix runs on SQLite, and on PostgreSQL one row per kind of permission (a second pass of all
# 80 worlds would double CI's time for nothing new).
POSTGRES_ROWS = {
    "/peer",
    "/peer association",
    "/peer away",
    "/peer roster add",
    "Accept (an offer to the assigned supporter)",
    "Close modal (a request the assigned supporter holds)",
    "Offer-to modal (an escalation, to the assigned supporter)",
    "I'm doing okay (the employee's check-in)",
    "The program's check-in on a supporter: I'm okay",
    "End the conversation (either side of it)",
    "I'll reach out (a concern)",
    "RSVP (an event's post)",
    "Approve (an offer to volunteer)",
    "Event modal",
    "Concern modal",
}
ROWS = [name for name in MATRIX if not ON_POSTGRES or name in POSTGRES_ROWS]


@pytest.mark.parametrize("name", ROWS)
async def test_authorization_matrix(start_app, name: str) -> None:
    case = MATRIX[name]
    rig = await start_app(**WORLD_SETTINGS)
    world = await build_world(rig)
    roles = list(zip(ROLES.items(), case.expect, strict=True))
    wrong: list[str] = []
    # Refused roles first: they must leave the world exactly as it was for the allowed ones.
    for (role, user), expected in sorted(roles, key=lambda r: r[1] != R):
        wrong += await _judge(rig, case, world, role, user, expected)
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("name", [name for name in ROWS if MATRIX[name].requester])
async def test_the_anonymous_requesters_column(start_app, name: str) -> None:
    """In a world of its own: the assigned supporter may already have done what they would do."""
    case = MATRIX[name]
    assert case.requester is not None
    rig = await start_app(**WORLD_SETTINGS)
    world = await build_world(rig)
    wrong = await _judge(rig, case, world, "anonymous requester", ANONYMOUS_REQUESTER, case.requester)
    assert not wrong, "\n".join(wrong)


async def _judge(rig: Rig, case: Case, world: World, role: str, user: str, expected: str) -> list[str]:
    """Attempt the action as ``user``; what went otherwise than expected (counted in the figures)."""
    seen = await attempt(rig, case, world, user)
    if expected == R:
        ok = refused(seen)
        wrong = [] if ok else [f"{role}: expected refused, got told={seen.told!r} changed={seen.changed}"]
    else:
        ok = not refused(seen) and await case.allowed(rig, world, user, seen)
        wrong = [] if ok else [f"{role}: expected allowed, got told={seen.told!r} opened={seen.opened}"]
    OUTCOMES[(expected, ok)] += 1
    return wrong


def test_the_matrix_covers_every_subcommand_button_and_modal() -> None:
    from handlers import FEATURES

    assert set(MATRIX) >= POSTGRES_ROWS
    targets = {case.act.target for case in MATRIX.values()}
    assert {
        name for f in FEATURES for name in (*f.forms, *f.reports, *f.subcommands, *f.deployment_reports)
    } <= targets
    assert {a for f in FEATURES for enum in f.actions for a in enum} <= targets
    assert {c for f in FEATURES for enum in f.callbacks for c in enum} <= targets
