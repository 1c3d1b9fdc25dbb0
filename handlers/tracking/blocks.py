"""Builders for statistics, the contact log modal and the audit log."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from enum import StrEnum
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import (
    Block,
    CheckboxesElement,
    DatePickerElement,
    InputBlock,
    Option,
    PlainTextInputElement,
    RadioButtonsElement,
)
from slack_sdk.models.views import View

from bot.suppression import Breakdown, describe
from bot.tracking import StatsReport
from handlers.announcements.blocks import KIND_LABELS as EVENT_KIND_LABELS
from handlers.common.blocks import AREA_LABELS, REFERRAL_LABELS, context, header, mention, section
from handlers.requests.blocks import TALK_LABELS
from handlers.tracking.ids import TrackingCallback, TrackingField
from storage.models import Area, AuditEntry, ContactChannel, Referral

CHANNEL_LABELS: dict[ContactChannel, str] = {
    ContactChannel.REQUEST: "A request through the bot",
    ContactChannel.WALK_IN: "Walk-in",
    ContactChannel.PHONE: "Phone call",
    ContactChannel.CHECKIN: "Follow-up after a check-in",
}


_Key = TypeVar("_Key", bound=StrEnum)


def _lines(part: Breakdown, labels: Mapping[_Key, str], k: int) -> str:
    rows = [f"• {labels[key]}: {describe(part.cells[str(key)], k)}" for key in labels]
    return "\n".join(rows) + f"\n_Total: {describe(part.total, k)}_"


def _duration(value: timedelta) -> str:
    minutes = int(value.total_seconds() // 60)
    return f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{minutes} min"


def stats_blocks(report: StatsReport) -> list[dict[str, Any]]:
    """``/peer stats``: aggregates only, with small counts suppressed."""
    k = report.min_count
    period = report.period
    median = (
        _duration(report.median_to_accept)
        if report.median_to_accept is not None
        else "shown per quarter only"
        if len(report.publication.quarters) > 1
        else f"not shown (fewer than {k} accepted)"
    )
    published = ", ".join(q.label for q in report.publication.quarters)
    blocks: list[Block] = [
        header("Peer support statistics"),
        context(
            f"{period.label}: {period.start:%Y-%m-%d} to {period.end - timedelta(days=1):%Y-%m-%d}"
            f" (published quarters: {published}). Contacts count in the quarter they were recorded."
            " No names."
        ),
    ]
    blocks.extend(figure_blocks(report, median=f"*Median time to accept:* {median}\n"))
    blocks.append(
        context(
            f"Statistics are published per completed quarter and never change afterwards. Counts from 1 to"
            f" {k - 1} show as “fewer than {k}”; “suppressed” hides a number that would let a small one be"
            " worked out. Each supporter sees their own time on their Home. `/peer export` sends these as"
            " CSV and a chart."
        )
    )
    return [b.to_dict() for b in blocks]


def figure_blocks(report: StatsReport, *, median: str = "") -> list[Block]:
    """The figures of a statistics report (requests, contacts, areas, referrals, how, the answers,
    offers by role, check-ins, events), ``median`` (a line, or nothing) after the requests."""
    k = report.min_count
    minutes = report.supporter_minutes
    hours = f"{minutes.value / 60:.1f} h" if minutes.value is not None else describe(minutes, k) + " contacts"
    blocks: list[Block] = [
        section(
            f"*Requests:* {describe(report.requests, k)} made · {describe(report.accepted, k)} accepted ·"
            f" {describe(report.escalated, k)} escalated · {describe(report.cancelled, k)} cancelled\n"
            + median
            + f"*Contacts:* {describe(report.contacts, k)} · *supporter time, all together:* {hours}"
        ),
        section("*Contacts by area of need*\n" + _lines(report.areas, AREA_LABELS, k)),
        section("*Referrals to professional help*\n" + _lines(report.referrals, REFERRAL_LABELS, k)),
        section("*How contacts happened*\n" + _lines(report.channels, CHANNEL_LABELS, k)),
        section(
            "*Did talking help?* (requesters' answers after a close, in the quarter given)\n"
            + (
                _lines(report.talk_helped, TALK_LABELS, k)
                if report.talk_helped.total.value != 0
                else "No answers in this period."
            )
        ),
    ]
    if report.offers_by_role.cells and report.offers_by_role.total.value != 0:  # no offers: nothing to say
        rows = "\n".join(
            f"• {role or 'No role recorded'}: {describe(report.offers_by_role.cells[role], k)} offered,"
            f" {describe(report.accepts_by_role.cells[role], k)} accepted"
            for role in report.offers_by_role.cells
        )
        totals = (
            f"\n_Total: {describe(report.offers_by_role.total, k)} offered,"
            f" {describe(report.accepts_by_role.total, k)} accepted_"
        )
        blocks.append(section("*Offers by supporter role* (who carries the load)\n" + rows + totals))
    if report.checkins:
        rows = "\n".join(
            f"• {c.name}: {describe(c.sent, k)} sent, {describe(c.answered, k)} answered"
            for c in report.checkins
        )
        blocks.append(section("*Check-ins after incidents*\n" + rows))
    if report.events_held:
        rows = "\n".join(
            f"• {EVENT_KIND_LABELS[kind]}: {held} held, {describe(report.going.cells[kind], k)} going"
            for kind, held in sorted(report.events_held.items())
        )
        total = f"\n_Total going: {describe(report.going.total, k)}_"
        blocks.append(section("*Events*\n" + rows + total))
    return blocks


def stats_modal(report: StatsReport) -> dict[str, Any]:
    """The same statistics as ``/peer stats``, in a modal that only shows (the Home's button)."""
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Program statistics"},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": stats_blocks(report),
    }


def log_contact_modal(*, today: str) -> dict[str, Any]:
    """A supporter logs a contact that happened outside the bot."""
    return View(
        type="modal",
        callback_id=TrackingCallback.LOG_CONTACT,
        title="Log a contact",
        submit="Log",
        close="Cancel",
        blocks=[
            context("Recorded without the other person's name: only date, time spent, topic and referral."),
            InputBlock(
                block_id=TrackingField.CONTACT_DATE,
                label="Date",
                element=DatePickerElement(action_id=TrackingField.CONTACT_DATE, initial_date=today),
            ),
            InputBlock(
                block_id=TrackingField.CONTACT_MINUTES,
                label="Minutes spent",
                element=PlainTextInputElement(action_id=TrackingField.CONTACT_MINUTES, placeholder="e.g. 30"),
            ),
            InputBlock(
                block_id=TrackingField.CONTACT_AREAS,
                label="Area(s) of need",
                element=CheckboxesElement(
                    action_id=TrackingField.CONTACT_AREAS,
                    options=[Option(value=str(a), label=AREA_LABELS[a]) for a in Area],
                ),
            ),
            InputBlock(
                block_id=TrackingField.CONTACT_CHANNEL,
                label="How it happened",
                element=RadioButtonsElement(
                    action_id=TrackingField.CONTACT_CHANNEL,
                    options=[Option(value=str(c), label=v) for c, v in CHANNEL_LABELS.items()],
                ),
            ),
            InputBlock(
                block_id=TrackingField.CONTACT_REFERRAL,
                label="Referral made",
                element=RadioButtonsElement(
                    action_id=TrackingField.CONTACT_REFERRAL,
                    options=[Option(value=str(r), label=v) for r, v in REFERRAL_LABELS.items()],
                    initial_option=Option(value=str(Referral.NONE), label=REFERRAL_LABELS[Referral.NONE]),
                ),
            ),
        ],
    ).to_dict()


def audit_text(entries: Sequence[AuditEntry], *, tz: ZoneInfo) -> str:
    """``/peer audit``: the latest coordinator actions, in the program's time zone."""
    if not entries:
        return "The audit log is empty."
    lines = [f"*Coordinator actions (latest first, {tz.key} time)*"]
    lines += [
        f"• {e.at.astimezone(tz):%Y-%m-%d %H:%M} · {mention(e.actor_id)} · {e.action}: {e.detail}"
        for e in entries
    ]
    return "\n".join(lines)
