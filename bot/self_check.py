"""The private self-check: the PC-PTSD-5 screen, scored here and shown only to the person.

Nothing of a self-check is kept: this module has no storage, no clock and no logger. The answers
arrive with the modal's submission, :func:`score` turns them into a result, and the Slack side
answers the submission with the result in place of the modal (``response_action: update``). No
row, no log line, no audit entry and no message anywhere says that someone took it.

The instrument: Prins, A., Bovin, M. J., Smolenski, D. J., et al. (2016). *The Primary Care PTSD
Screen for DSM-5 (PC-PTSD-5): Development and Evaluation Within a Veteran Primary Care Sample.*
Journal of General Internal Medicine 31(10), 1206–1211. Published by the U.S. Department of
Veterans Affairs, National Center for PTSD, as a public-domain measure. The wording below is the
published wording, unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from bot.errors import InvalidForm

INSTRUMENT = "Primary Care PTSD Screen for DSM-5 (PC-PTSD-5)"
SOURCE = (
    "Prins et al. (2016), U.S. Department of Veterans Affairs, National Center for PTSD:"
    " https://www.ptsd.va.gov/professional/assessment/screens/pc-ptsd.asp"
)
LICENCE = "public domain (a work of the U.S. government)"

PREFACE = (
    "Sometimes things happen to people that are unusually or especially frightening, horrible, or"
    " traumatic. For example:\n• a serious accident or fire\n• a physical or sexual assault or abuse"
    "\n• an earthquake or flood\n• a war\n• seeing someone be killed or seriously injured"
    "\n• having a loved one die through homicide or suicide"
)
EXPOSURE_QUESTION = "Have you ever experienced this kind of event?"
ITEMS_LEAD = "In the past month, have you…"
ITEMS: tuple[str, ...] = (
    "had nightmares about the event(s) or thought about the event(s) when you did not want to?",
    "tried hard not to think about the event(s) or went out of your way to avoid situations that"
    " reminded you of the event(s)?",
    "been constantly on guard, watchful, or easily startled?",
    "felt numb or detached from people, activities, or your surroundings?",
    "felt guilty or unable to stop blaming yourself or others for the event(s) or any problems the"
    " event(s) may have caused?",
)
# Prins et al. (2016): 3 is the optimally sensitive cut-point; Bovin et al. (2021) found 4 best
# balanced for men and 3 better for women. A bridge to help errs towards sensitivity: 3.
CUT_POINT = 3


class Band(StrEnum):
    """What a score means, in three bands."""

    NO_EXPOSURE = "no_exposure"  # "No" to the first question: the screen's total is 0
    BELOW = "below"  # 0 to CUT_POINT - 1
    POSITIVE = "positive"  # CUT_POINT or more: worth a proper assessment by a professional


@dataclass(frozen=True, kw_only=True)
class SelfCheckResult:
    """A scored screen: the total (0 to 5) and its band."""

    score: int
    band: Band


def score(*, exposed: bool, answers: tuple[bool, ...] = ()) -> SelfCheckResult:
    """Score the PC-PTSD-5 as published: 0 without exposure, else the count of "yes" answers.

    >>> score(exposed=True, answers=(True, True, True, False, False))
    SelfCheckResult(score=3, band=<Band.POSITIVE: 'positive'>)
    """
    if not exposed:
        return SelfCheckResult(score=0, band=Band.NO_EXPOSURE)
    if len(answers) != len(ITEMS):
        raise ValueError(f"the PC-PTSD-5 has {len(ITEMS)} items, got {len(answers)} answers")
    total = sum(answers)
    return SelfCheckResult(score=total, band=Band.POSITIVE if total >= CUT_POINT else Band.BELOW)


YES, NO = "yes", "no"


def score_form(*, exposure: str | None, items: Mapping[int, str | None]) -> SelfCheckResult:
    """Score the modal's answers (``"yes"``/``"no"``); missing ones raise :class:`InvalidForm`.

    Field names in the errors are ``exposure`` and ``item1`` … ``item5``.
    """
    if exposure not in (YES, NO):
        raise InvalidForm({"exposure": "Please answer this question (Yes or No)."})
    if exposure == NO:
        return score(exposed=False)
    missing = {
        f"item{n}": "Please answer Yes or No."
        for n in range(1, len(ITEMS) + 1)
        if items.get(n) not in (YES, NO)
    }
    if missing:
        raise InvalidForm(missing)
    return score(exposed=True, answers=tuple(items[n] == YES for n in range(1, len(ITEMS) + 1)))
