"""Builders for the private self-check: the PC-PTSD-5 modal and the result that replaces it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import Block, DividerBlock, InputBlock, Option, RadioButtonsElement
from slack_sdk.models.views import View

from bot import self_check as sc
from handlers.common.blocks import context, section
from handlers.selfcheck.ids import ITEM_FIELDS, SelfCheckCallback, SelfCheckField

PRIVACY = (
    "*Only you see this.* Your answers and your score are not saved, logged or sent to anyone:"
    " not the coordinators, not the supporters, not the app's database. Nobody learns that you"
    " took it."
)
ABOUT = (
    f"_{sc.INSTRUMENT}: {sc.SOURCE}. Licence: {sc.LICENCE}. A screen, not a diagnosis: only a"
    " professional can tell you what it means for you._"
)
# Repeated exposure to the details of other people's trauma through work counts (DSM-5 A4):
# said beside the instrument, whose own wording stays unchanged.
AT_WORK = (
    "In legal work the event may have reached you through your cases: repeated exposure to the"
    " details (evidence, testimony, victims' accounts) counts too."
)


def _yes_no(field: SelfCheckField, label: str, *, optional: bool) -> InputBlock:
    return InputBlock(
        block_id=field,
        label=label[:2000],
        optional=optional,
        element=RadioButtonsElement(
            action_id=field,
            options=[Option(value=sc.YES, label="Yes"), Option(value=sc.NO, label="No")],
        ),
    )


def self_check_modal() -> dict[str, Any]:
    """The PC-PTSD-5 as published, in a modal; nothing in it is stored."""
    blocks: list[Block] = [
        section(PRIVACY),
        section(sc.PREFACE),
        context(AT_WORK),
        _yes_no(SelfCheckField.EXPOSURE, sc.EXPOSURE_QUESTION, optional=False),
        section(f"*If yes:* {sc.ITEMS_LEAD}"),
    ]
    blocks += [
        _yes_no(field, f"{n}. {item[0].upper()}{item[1:]}", optional=True)
        for n, (field, item) in enumerate(zip(ITEM_FIELDS, sc.ITEMS, strict=True), start=1)
    ]
    blocks.append(context(ABOUT))
    return View(
        type="modal",
        callback_id=SelfCheckCallback.SELF_CHECK,
        title="How am I doing?",
        submit="See my result",
        close="Cancel",
        clear_on_close=True,
        blocks=blocks,
    ).to_dict()


_MEANING = {
    sc.Band.NO_EXPOSURE: (
        "You answered that you haven't experienced this kind of event, so the screen ends here with"
        " a score of 0. Stress, exhaustion and grief are real without it: if something weighs on"
        " you, talking helps."
    ),
    sc.Band.BELOW: (
        "Your score is below the screen's cut-point of {cut}. Some of these reactions are common"
        " after hard cases and often ease with time, rest and support. If they linger, get"
        " stronger, or get in the way of work, sleep or the people close to you, talk to a"
        " professional, or check again in a few weeks."
    ),
    sc.Band.POSITIVE: (
        "Your score is at or above the screen's cut-point of {cut}. That doesn't mean you have PTSD:"
        " it means a proper assessment by a mental health professional is worth it. Reactions"
        " like these are common among people who carry other people's trauma, and they respond"
        " well to treatment. The resources below are confidential."
    ),
}


def self_check_result(result: sc.SelfCheckResult, *, resources: Sequence[str]) -> dict[str, Any]:
    """What the score means, with resources and crisis lines, replacing the modal (never sent anywhere)."""
    meaning = _MEANING[result.band].format(cut=sc.CUT_POINT)
    lines = "\n".join(f"• {line}" for line in resources)
    blocks: list[Block] = [
        section(f"*Your score: {result.score} of {len(sc.ITEMS)}*\n{meaning}"),
        DividerBlock(),
        section(f"*Where to turn*\n{lines}"),
        section(
            "A peer supporter is a trained colleague to talk to, not a counselor: type `/peer` to"
            " ask for one. *If you are thinking of harming yourself, call or text 988 now*, or"
            " call 911."
        ),
        context(PRIVACY.replace("*Only you see this.* ", "")),
        context(ABOUT),
    ]
    return View(
        type="modal", title="Your result", close="Close", clear_on_close=True, blocks=blocks
    ).to_dict()
