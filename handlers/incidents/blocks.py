"""Builders for incidents: the coordinator's modal and list, check-ins, debriefs, follow-ups."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ChannelSelectElement,
    ConfirmObject,
    DatePickerElement,
    DividerBlock,
    InputBlock,
    Option,
    PlainTextInputElement,
    RadioButtonsElement,
    TimePickerElement,
    UserMultiSelectElement,
)
from slack_sdk.models.views import View

from bot.checkins import EARLY_UNTIL, MAX_PEOPLE, WORDING_MAX, IncidentFollowUp, IncidentProgress
from bot.durations import format_plan
from bot.ports import CheckinCard, DebriefCard, FollowUpCard, IncidentReady
from bot.suppression import breakdown, describe, single
from handlers.common.blocks import context, escape, header, mention, resources_blocks, section, when
from handlers.common.payloads import CheckinRef, IncidentRef
from handlers.incidents.ids import IncidentAction, IncidentBlockId, IncidentCallback, IncidentField
from storage.models import CheckinAnswer, IncidentKind

KIND_LABELS: dict[IncidentKind, str] = {
    IncidentKind.CRITICAL_INCIDENT: "Critical incident",
    IncidentKind.BEREAVEMENT: "Family tragedy or bereavement",
    IncidentKind.ILLNESS: "Illness or injury",
}


def incident_modal(*, plans: dict[IncidentKind, str], today: str) -> dict[str, Any]:
    """The coordinator's modal for a new incident."""
    defaults = "; ".join(f"{KIND_LABELS[k].lower()}: {v}" for k, v in plans.items())
    blocks: list[Block] = [
        context(
            "Everyone affected gets short, warm check-ins by DM over the coming weeks and months, each"
            " with a way to ask for a peer. Answers are kept only as counts, never as who said what."
        ),
        InputBlock(
            block_id=IncidentField.INCIDENT_KIND,
            label="What happened",
            element=RadioButtonsElement(
                action_id=IncidentField.INCIDENT_KIND,
                options=[Option(value=str(k), label=v) for k, v in KIND_LABELS.items()],
                initial_option=Option(
                    value=str(IncidentKind.CRITICAL_INCIDENT),
                    label=KIND_LABELS[IncidentKind.CRITICAL_INCIDENT],
                ),
            ),
        ),
        InputBlock(
            block_id=IncidentField.INCIDENT_NAME,
            label="Name",
            hint="Shown in the check-ins, e.g. “Courthouse shooting, Dec 2”.",
            element=PlainTextInputElement(
                action_id=IncidentField.INCIDENT_NAME, placeholder="Courthouse shooting, Dec 2"
            ),
        ),
        InputBlock(
            block_id=IncidentField.INCIDENT_DATE,
            label="Date",
            element=DatePickerElement(action_id=IncidentField.INCIDENT_DATE, initial_date=today),
        ),
        InputBlock(
            block_id=IncidentField.INCIDENT_PEOPLE,
            label="People affected",
            optional=True,
            hint=f"Up to {MAX_PEOPLE} people; for more, choose a channel below.",
            element=UserMultiSelectElement(
                action_id=IncidentField.INCIDENT_PEOPLE, placeholder="Choose people"
            ),
        ),
        InputBlock(
            block_id=IncidentField.INCIDENT_CHANNEL,
            label="…or everyone in a channel",
            optional=True,
            hint="Every member of the channel is counted as affected.",
            element=ChannelSelectElement(
                action_id=IncidentField.INCIDENT_CHANNEL, placeholder="Choose a channel"
            ),
        ),
        InputBlock(
            block_id=IncidentField.INCIDENT_PLAN,
            label="Check-in plan",
            optional=True,
            hint=f"Leave empty for the default ({defaults}). Days (d), weeks (w) or hours (h) after today.",
            element=PlainTextInputElement(
                action_id=IncidentField.INCIDENT_PLAN, placeholder="1d,3d,7d,14d,30d,90d"
            ),
        ),
        InputBlock(
            block_id=IncidentField.DEBRIEF_DATE,
            label="Group debrief: date",
            optional=True,
            element=DatePickerElement(action_id=IncidentField.DEBRIEF_DATE),
        ),
        InputBlock(
            block_id=IncidentField.DEBRIEF_TIME,
            label="Group debrief: time",
            optional=True,
            element=TimePickerElement(action_id=IncidentField.DEBRIEF_TIME),
        ),
        InputBlock(
            block_id=IncidentField.DEBRIEF_PLACE,
            label="Group debrief: place",
            optional=True,
            hint="Affected staff are invited by DM.",
            element=PlainTextInputElement(action_id=IncidentField.DEBRIEF_PLACE, placeholder="Room 4B"),
        ),
    ]
    return View(
        type="modal",
        callback_id=IncidentCallback.INCIDENT,
        title="Incident follow-up",
        submit="Schedule",
        close="Cancel",
        blocks=blocks,
    ).to_dict()


def _opening(card: CheckinCard) -> str:
    name = f"*{escape(card.incident_name)}*"
    if card.kind == IncidentKind.BEREAVEMENT:
        if card.personal:
            return (
                f"We've been thinking of you since {name}. There's no right way to grieve and no"
                " timetable for it. How are you doing these days?"
            )
        return f"Many of us are still carrying {name}. We're checking in: how are you doing these days?"
    if card.kind == IncidentKind.ILLNESS:
        if card.personal:
            return (
                f"We've been thinking of you since {name} and hope you're finding your way."
                " How are you doing?"
            )
        return f"We're checking in with everyone affected by {name}. How are you doing?"
    if card.personal:
        return f"We're thinking of you after {name}. Weeks later is when it often hits. How are you doing?"
    return (
        f"We're checking in with everyone affected by {name}. Reactions can come days or weeks later,"
        " and that's normal. How are you doing?"
    )


def checkin_message(card: CheckinCard, *, resources: Sequence[str], coping: str = "") -> list[dict[str, Any]]:
    """A check-in, with its three answers; after a click, what the answer did.

    The plan's first check-in also carries ``coping``, "what to expect and what helps".
    """
    blocks: list[Block] = [section(_opening(card))]
    if card.note:
        blocks.append(section(escape(card.note)))
    if card.seq == 1 and coping:
        blocks.append(section(coping[:3000]))
    if card.answer is None:
        ref = CheckinRef(message_id=card.message_id).encode()
        blocks += [
            ActionsBlock(
                block_id=IncidentBlockId.CHECKIN,
                elements=[
                    ButtonElement(action_id=IncidentAction.CHECKIN_OK, text="I'm doing okay", value=ref),
                    ButtonElement(
                        action_id=IncidentAction.CHECKIN_TALK,
                        text="I'd like to talk to a peer",
                        style="primary",
                        value=ref,
                    ),
                    ButtonElement(
                        action_id=IncidentAction.CHECKIN_STOP, text="Stop these check-ins", value=ref
                    ),
                ],
            ),
            context("Only you see this. Your answer is counted, never recorded as yours."),
        ]
    else:
        blocks.append(section(_answered(card)))
    blocks += resources_blocks(resources, title="Support is always there")
    return [b.to_dict() for b in blocks]


def _answered(card: CheckinCard) -> str:
    if card.answer == CheckinAnswer.OK:
        return "Thank you for letting us know. If that changes, a peer is one `/peer` away."
    if card.answer == CheckinAnswer.STOP:
        return (
            f"We won't send more check-ins about {escape(card.incident_name)}. You can still reach a"
            " peer at any time with `/peer`."
        )
    if card.request_made:
        return "Thank you. A peer supporter will reach out; you'll get a message here when one accepts."
    return "You already have an open request, so a peer will be in touch. `/peer status` shows where it is."


def debrief_invite(card: DebriefCard, *, tz: ZoneInfo, coping: str = "") -> list[dict[str, Any]]:
    """An invitation to a group debrief, with "what to expect and what helps" (``coping``)."""
    blocks: list[Block] = [
        header("Group debrief"),
        section(
            f"After *{escape(card.incident_name)}*, there will be a group debrief for the people affected."
            f"\n*When:* {when(card.at, tz)}\n*Where:* {escape(card.place)}"
        ),
        context("Coming is voluntary. You can also talk with a peer one to one at any time: `/peer`."),
    ]
    if coping:
        blocks += [DividerBlock(), section(coping[:3000])]
    return [b.to_dict() for b in blocks]


def follow_up_reminder(card: FollowUpCard) -> list[dict[str, Any]]:
    """A supporter's reminder to check back in."""
    who = f" with {mention(card.requester_id)}" if card.requester_id else ""
    blocks = [
        section(
            f"You asked to be reminded to check back in{who} (request #{card.request_id}). A short"
            " message often means a lot."
        )
    ]
    return [b.to_dict() for b in blocks]


def incident_ready(summary: IncidentReady, *, tz: ZoneInfo) -> list[dict[str, Any]]:
    """The coordinator's confirmation that check-ins are scheduled."""
    first = f" The first goes out {when(summary.first_due, tz)}." if summary.first_due else ""
    skipped = (
        f" {summary.skipped} could not be reached (deactivated or unknown) and were skipped."
        if summary.skipped
        else ""
    )
    blocks = [
        section(
            f"*{escape(summary.name)}* (incident #{summary.incident_id}) is set up: {summary.checkins}"
            f" check-ins scheduled for {summary.people - summary.skipped} people.{first}{skipped}"
        ),
        context(
            "`/peer incident list` shows progress, `/peer incident N` its follow-up step by step;"
            " `/peer incident close N` stops what is still due."
        ),
    ]
    return [b.to_dict() for b in blocks]


def incidents_text(progress: Sequence[IncidentProgress], *, min_count: int, tz: ZoneInfo) -> str:
    """``/peer incident list``: open incidents. A plan with fewer than ``min_count`` people shows its
    plan only (steps and the next date by the plan): no count that one person's answer, stop or
    silence would change. Larger plans show counts, small ones hidden."""
    if not progress:
        return "No open incidents. `/peer incident` starts follow-up after one."
    lines = ["*Open incidents* (`/peer incident N`: one incident's follow-up, step by step)"]
    for p in progress:
        i = p.incident
        state = " (scheduling…)" if i.state == "preparing" else ""
        step = f"next check-in {p.next_step_at.astimezone(tz):%Y-%m-%d}" if p.next_step_at else "no step left"
        if p.people >= min_count:
            counts = (
                f"check-ins sent {describe(single(p.sent, min_count), min_count)},"
                f" due {describe(single(p.due, min_count), min_count)},"
                f" answered {describe(single(p.answered, min_count), min_count)}"
            )
        else:
            counts = f"counts hidden (fewer than {min_count} people)"
        lines.append(
            f"• #{i.id} *{escape(i.name)}*{state}, {KIND_LABELS[i.kind].lower()}, {i.occurred_on:%Y-%m-%d}:"
            f" {p.people} people · a plan of {p.steps} check-ins · {step} · {counts}"
        )
    return "\n".join(lines)


_STEP_CELLS = {"ok": "okay", "talk": "talk to a peer", "stop": "stop", "not_answered": "not answered"}


def _close_early(incident_id: int) -> ActionsBlock:
    """Close the incident before its plan ends, behind a confirm dialog."""
    return ActionsBlock(
        block_id=IncidentBlockId.CLOSE_EARLY,
        elements=[
            ButtonElement(
                action_id=IncidentAction.CLOSE_EARLY,
                text="Close this incident early",
                style="danger",
                value=IncidentRef(incident_id=incident_id).encode(),
                confirm=ConfirmObject(
                    title="Close this incident?",
                    text="Check-ins not yet sent are cancelled; those already sent stay as they are."
                    " This can't be undone.",
                    confirm="Close it",
                    deny="Keep it open",
                ),
            )
        ],
    )


def follow_up_modal(
    follow_up: IncidentFollowUp, *, min_count: int, tz: ZoneInfo, notice: str = ""
) -> dict[str, Any]:
    """``/peer incident N``: how the incident's follow-up is reaching people, per step of its plan.

    Suppressed as the statistics are: each step's answers (okay, talk, stop, not answered) are a
    breakdown of the check-ins sent, with complementary suppression; a step's stops are never what
    hides a small count when a later step follows (whose size gives them away). A plan for fewer than
    ``min_count`` people shows its plan only: any count there is about one or two known people.
    ``notice`` (what a click just did) is shown first.
    """
    i = follow_up.incident
    state = {"preparing": "scheduling…", "open": "open", "closed": "closed"}.get(str(i.state), str(i.state))
    blocks: list[Block] = [context(notice)] if notice else []
    blocks += [
        section(
            f"*{escape(i.name)}* (incident #{i.id}), {KIND_LABELS[i.kind].lower()}, {i.occurred_on:%Y-%m-%d}:"
            f" {state}, {follow_up.people} people, a plan of {len(i.offsets)} check-ins"
            f" ({format_plan([s.offset for s in follow_up.steps])})."
        )
    ]
    small = follow_up.people < min_count
    lines = []
    for step in follow_up.steps:
        on = (i.created_at + step.offset).astimezone(tz)
        head = f"*Check-in {step.seq}* ({format_plan([step.offset])}, {on:%Y-%m-%d})"
        if small:
            lines.append(head)
            continue
        cells = breakdown(
            {"ok": step.ok, "talk": step.talk, "stop": step.stop, "not_answered": step.not_answered},
            min_count,
            # A later step goes to those who did not stop: its size gives this step's stops away.
            known=frozenset({"stop"}) if step.seq < len(follow_up.steps) else frozenset(),
        )
        answers = ", ".join(
            f"{label} {describe(cells.cells[key], min_count)}" for key, label in _STEP_CELLS.items()
        )
        extra = f" · still due {describe(single(step.due, min_count), min_count)}" if step.due else ""
        if step.unreached:
            extra += f" · not delivered {describe(single(step.unreached, min_count), min_count)}"
        lines.append(f"{head}: sent {describe(cells.total, min_count)} · {answers}{extra}")
    blocks.append(section("\n".join(lines)[:3000] or "No check-ins in the plan."))
    if small:
        blocks.append(
            context(
                f"Counts are hidden for a plan with fewer than {min_count} people: any number here would be"
                " about someone you could name."
            )
        )
    else:
        blocks.append(
            context(
                f"Counts from 1 to {min_count - 1} show as “fewer than {min_count}”; others are suppressed"
                " where they would give a small one away. Answers are counted, never kept as whose."
            )
        )
    if i.state == "preparing":
        blocks.append(_close_early(i.id))
    if i.state != "open":
        return View(type="modal", title="Incident follow-up", close="Close", blocks=blocks).to_dict()
    blocks += [
        DividerBlock(),
        InputBlock(
            block_id=IncidentField.ADD_PEOPLE,
            label="Add people affected",
            optional=True,
            hint=f"Up to {MAX_PEOPLE} at a time. Each gets the whole plan, counted from now.",
            element=UserMultiSelectElement(action_id=IncidentField.ADD_PEOPLE, placeholder="Choose people"),
        ),
        InputBlock(
            block_id=IncidentField.CHANGE_PLAN,
            label="Check-in plan",
            optional=True,
            hint="Add check-ins after the last one, or remove some from the end that are not yet due.",
            element=PlainTextInputElement(
                action_id=IncidentField.CHANGE_PLAN,
                initial_value=format_plan([s.offset for s in follow_up.steps]),
            ),
        ),
    ]
    early_until = format_plan([EARLY_UNTIL])
    for field, label, hint, text in (
        (
            IncidentField.WORDING_EARLY,
            "What early check-ins say",
            f"Check-ins before {early_until}: what reactions to expect and what helps.",
            follow_up.wording[0],
        ),
        (
            IncidentField.WORDING_LATER,
            "What later check-ins say",
            f"From {early_until} on: things coming back around anniversaries, court dates, verdicts.",
            follow_up.wording[1],
        ),
    ):
        blocks.append(
            InputBlock(
                block_id=field,
                label=label,
                optional=True,
                hint=f"{hint} Up to {WORDING_MAX} characters; empty: the usual wording.",
                element=PlainTextInputElement(action_id=field, multiline=True, initial_value=text),
            )
        )
    blocks.append(_close_early(i.id))
    return View(
        type="modal",
        callback_id=IncidentCallback.FOLLOW_UP,
        private_metadata=IncidentRef(incident_id=i.id).encode(),
        title="Incident follow-up",
        submit="Save",
        close="Close",
        blocks=blocks,
    ).to_dict()
