"""Builders for the roster's lifecycle: roster and due lists, volunteers, training reminders, coordinators."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    DatePickerElement,
    InputBlock,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.errors import InconsistentRecords
from bot.ports import TrainingReminderCard, VolunteerCard
from bot.roster import LoadBand, RosterEntry
from bot.training import TrainingState
from handlers.common.blocks import context, escape, header, mention, section
from handlers.common.payloads import VolunteerRef
from handlers.roster.ids import RosterAction, RosterBlockId, RosterCallback, RosterField
from storage.models import Volunteer, VolunteerState

# A supporter's load band, in words (the band is as of the start of the day: see bot.roster.LoadBand).
LOAD_LABELS = {LoadBand.NONE: "none", LoadBand.LIGHT: "1–2", LoadBand.HEAVY: "3+"}
LOAD_NOTE = (
    "*Load* is the requests each held at the start of today, in bands (none, 1–2, 3+): never live,"
    " so it cannot show who just took a request."
)


def _day(value: date) -> str:
    return f"{value:%Y-%m-%d}"


def training_line(entry: RosterEntry) -> str:
    """Where a supporter's training stands, in a few words."""
    s = entry.supporter
    if entry.training == TrainingState.UNTRAINED or entry.lapses_on is None:
        return "in training · training not recorded"
    if entry.training == TrainingState.LAPSED:
        return f"trained {_day(s.trained_on or entry.lapses_on)} · *lapsed {_day(entry.lapses_on)}*"
    due = "refresher due" if entry.training == TrainingState.DUE_SOON else "current until"
    return f"trained {_day(s.trained_on or entry.lapses_on)} · {due} {_day(entry.lapses_on)}"


def status_word(entry: RosterEntry) -> str:
    """Active, away, suspended or unreachable."""
    s = entry.supporter
    if s.suspended:
        return "suspended"
    if s.unreachable:
        return f"unreachable ({escape(s.unreachable)})"
    if entry.available:
        return "available"
    return f"away until {_day(s.away_until)}" if s.away_until else "away"


def roster_text(entries: Sequence[RosterEntry], pending: Sequence[Volunteer] = ()) -> str:
    """``/peer roster``: each supporter with training, availability and load (at the start of the day,
    banded, as on the Home); pending volunteers."""
    if not entries and not pending:
        return "The roster is empty. Add supporters with `/peer roster add @user trained YYYY-MM-DD`."
    lines = [f"*Peer supporters ({len(entries)})*", LOAD_NOTE]
    for entry in entries:
        s = entry.supporter
        extras = " · after-hours" if s.after_hours else ""
        if entry.advanced:
            extras += " · " + ", ".join(f"{t.name} ({_day(t.completed_on)})" for t in entry.advanced)
        lines.append(
            f"• {mention(s.user_id)}: {training_line(entry)} · {status_word(entry)}"
            f" · load {LOAD_LABELS[entry.load]}{extras}"
        )
    if pending:
        lines.append(f"*Volunteers waiting for a decision ({len(pending)})*")
        lines += [f"• {mention(v.user_id)} since {v.created_at:%Y-%m-%d}" for v in pending]
    return "\n".join(lines)


def due_text(entries: Sequence[RosterEntry]) -> str:
    """``/peer training due``: lapsed and soon-lapsing supporters."""
    if not entries:
        return "Nobody's training lapses in the next 30 days."
    lines = ["*Training due*"]
    for entry in entries:
        if entry.lapses_on is None:
            raise InconsistentRecords("missing: entry.lapses_on")
        if entry.training == TrainingState.LAPSED:
            lines.append(
                f"• {mention(entry.supporter.user_id)}: lapsed {_day(entry.lapses_on)}, gets no offers"
            )
        else:
            lines.append(f"• {mention(entry.supporter.user_id)}: refresher due by {_day(entry.lapses_on)}")
    lines.append("_Record a refresher with `/peer training @user refresher YYYY-MM-DD`._")
    return "\n".join(lines)


def coordinators_text(from_settings: Sequence[str], added: Sequence[str]) -> str:
    """``/peer coordinators``."""
    lines = ["*Coordinators*"]
    lines += [f"• {mention(u)} (from PEER_COORDINATORS)" for u in from_settings]
    lines += [f"• {mention(u)}" for u in added]
    lines.append("_`/peer coordinators add @user` or `remove @user` changes those added in Slack._")
    return "\n".join(lines)


def administrators_text(from_settings: Sequence[str], added: Sequence[str]) -> str:
    """``/peer administrators``: who sees the statistics, exports and quarterly report (nothing else)."""
    lines = ["*Administrators* (statistics, exports and the quarterly report; nothing else)"]
    lines += [f"• {mention(u)} (from PEER_ADMINISTRATORS)" for u in from_settings]
    lines += [f"• {mention(u)}" for u in added]
    if not from_settings and not added:
        lines.append("• none yet")
    lines.append("_`/peer administrators add @user` or `remove @user` changes those added in Slack._")
    return "\n".join(lines)


def volunteer_review(card: VolunteerCard) -> list[dict[str, Any]]:
    """A coordinator's review of a volunteer: approve or decline, or what was decided."""
    blocks: list[Block] = [
        header("Someone would like to volunteer"),
        section(f"{mention(card.user_id)} offered to become a peer supporter."),
    ]
    if card.note:
        blocks.append(SectionBlock(text=PlainTextObject(text=f"Their note: {card.note}")))
    if card.state == VolunteerState.PENDING:
        ref = VolunteerRef(volunteer_id=card.volunteer_id).encode()
        blocks += [
            context(
                "Approving puts them on the roster; they get offers once their basic course is recorded."
            ),
            ActionsBlock(
                block_id=RosterBlockId.VOLUNTEER,
                elements=[
                    ButtonElement(
                        action_id=RosterAction.VOLUNTEER_APPROVE, text="Approve", style="primary", value=ref
                    ),
                    ButtonElement(action_id=RosterAction.VOLUNTEER_DECLINE, text="Decline", value=ref),
                ],
            ),
        ]
    else:
        verb = "Approved" if card.state == VolunteerState.APPROVED else "Declined"
        by = f" by {mention(card.decided_by)}" if card.decided_by else ""
        blocks.append(context(f"{verb}{by}. They have been told."))
    return [b.to_dict() for b in blocks]


def volunteer_decided(*, approved: bool) -> list[dict[str, Any]]:
    """The volunteer learns what was decided."""
    if approved:
        text = (
            "Thank you for volunteering: you're on the peer support roster. Next comes the basic"
            " course; a coordinator will be in touch. Offers start once your training is recorded."
        )
    else:
        text = (
            "Thank you for offering to volunteer as a peer supporter. The coordinators aren't adding"
            " supporters right now; they may be in touch. You can always reach a peer with `/peer`."
        )
    return [section(text).to_dict()]


def training_reminder(card: TrainingReminderCard) -> list[dict[str, Any]]:
    """A supporter's reminder that training lapses soon, or has lapsed."""
    if card.lapsed:
        text = (
            f"Your peer support training lapsed today ({_day(card.lapses_on)}), so requests aren't"
            " offered to you for now. Once a coordinator records your refresher, offers resume."
        )
    else:
        text = (
            f"Your peer support training lapses on {_day(card.lapses_on)}. Please plan a refresher"
            " with a coordinator; after that date requests won't be offered to you until it's recorded."
        )
    return [section(text).to_dict(), context("Thank you for being there for your colleagues.").to_dict()]


def away_modal() -> dict[str, Any]:
    """A supporter pauses offers, until a date or until they say otherwise."""
    return View(
        type="modal",
        callback_id=RosterCallback.AWAY,
        title="Pause offers",
        submit="Pause",
        close="Cancel",
        blocks=[
            section("No new requests are offered to you while you're away; open offers move on to others."),
            InputBlock(
                block_id=RosterField.AWAY_UNTIL,
                label="Until",
                optional=True,
                hint="Leave empty to pause until you come back with one click.",
                element=DatePickerElement(action_id=RosterField.AWAY_UNTIL),
            ),
        ],
    ).to_dict()


def set_away_notice(*, expired_in_a_row: int) -> list[dict[str, Any]]:
    """A supporter learns they were set to away, with a one-click way back."""
    blocks = [
        section(
            f'The last {expired_in_a_row} urgent ("as soon as possible") offers sent to you'
            " expired without an answer, so"
            " you've been set to *away* and won't get new offers for now. That's okay; when"
            " you're ready, come back with one click."
        ),
        ActionsBlock(
            block_id=RosterBlockId.AWAY,
            elements=[
                ButtonElement(
                    action_id=RosterAction.AVAILABLE_AGAIN,
                    text="I'm available again",
                    style="primary",
                    value="available",
                )
            ],
        ),
    ]
    return [b.to_dict() for b in blocks]
