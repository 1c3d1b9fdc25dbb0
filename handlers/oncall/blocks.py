"""Builders for the on-call rota: the list (``/peer oncall``) and the modal that adds a shift."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import Block, InputBlock, PlainTextInputElement, UserSelectElement
from slack_sdk.models.views import View

from bot.oncall import describe_shift
from handlers.common.blocks import context, mention, section
from handlers.oncall.ids import OnCallCallback, OnCallField
from storage.models import OnCallShift

USAGE = (
    "Use `/peer oncall` (the rota), `/peer oncall add @person Mon-Fri 18:00-08:00`"
    " (days: `Mon-Fri`, `Sat,Sun`, `Fri`, `daily`) or `/peer oncall remove N`."
)


def rota_lines(shifts: Sequence[OnCallShift], now_on_call: Sequence[str], *, zone: str) -> list[str]:
    """Each shift with its number, then who is on call now."""
    if not shifts:
        return [
            "*On-call rota:* nobody is on call yet. Outside service hours, urgent requests go to"
            " supporters who take after-hours requests, else the coordinators are alerted at once."
        ]
    lines = [f"*On-call rota* (weekly, {zone}):"]
    lines += [f"• #{s.id} {mention(s.user_id)} {describe_shift(s)}" for s in shifts]
    now = ", ".join(mention(u) for u in now_on_call) if now_on_call else "nobody"
    lines.append(f"On call now: {now}.")
    return lines


def rota_text(shifts: Sequence[OnCallShift], now_on_call: Sequence[str], *, zone: str) -> str:
    """``/peer oncall``: the rota, and how to change it."""
    return "\n".join([*rota_lines(shifts, now_on_call, zone=zone), USAGE])


def oncall_modal(shifts: Sequence[OnCallShift], now_on_call: Sequence[str], *, zone: str) -> dict[str, Any]:
    """Add a shift to the on-call rota (the rota as it stands is shown above the inputs)."""
    blocks: list[Block] = [
        section("\n".join(rota_lines(shifts, now_on_call, zone=zone))),
        context(
            "Outside service hours, an urgent request is offered to whoever is on call first, then"
            " to the supporters who take after-hours requests. `/peer oncall remove N` removes a shift."
        ),
        InputBlock(
            block_id=OnCallField.PERSON,
            label="Who is on call",
            element=UserSelectElement(action_id=OnCallField.PERSON),
        ),
        InputBlock(
            block_id=OnCallField.DAYS,
            label="Which days",
            hint="Mon-Fri, Sat,Sun, Fri or daily. The shift starts on these days.",
            element=PlainTextInputElement(action_id=OnCallField.DAYS, max_length=40),
        ),
        InputBlock(
            block_id=OnCallField.HOURS,
            label="Hours",
            hint=f"HH:MM-HH:MM in {zone}; 18:00-08:00 runs overnight into the next morning.",
            element=PlainTextInputElement(action_id=OnCallField.HOURS, max_length=20),
        ),
    ]
    return View(
        type="modal",
        callback_id=OnCallCallback.ONCALL,
        title="On-call rota",
        submit="Add shift",
        close="Close",
        blocks=blocks,
    ).to_dict()
