"""The coordinators' statistics: counts over the last 30 and 365 days, small groups hidden."""

from __future__ import annotations

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.stats import ProgramStats
from handlers.blocks.common import AREA_LABELS, context, header, section
from storage.models import Tally


def _count(n: int, min_count: int) -> str:
    # A small number in a small group would point at someone: shown only as "fewer than".
    return f"fewer than {min_count}" if 0 < n < min_count else str(n)


def _tally(title: str, tally: Tally, min_count: int) -> list[Block]:
    areas = " · ".join(
        f"{AREA_LABELS[area]}: {_count(n, min_count)}" for area, n in sorted(tally.by_area.items()) if n
    )
    lines = [
        f"*Requests made:* {tally.requests} · *closed:* {tally.closed}",
        f"*Contacts logged outside the bot:* {tally.contacts}",
        f"*Time given:* {tally.minutes} minutes · *referrals to professional help:* {tally.referrals}",
        f"*Events held:* {tally.events} · *RSVPs:* {tally.rsvps}",
    ]
    if areas:
        lines.append(f"*By topic:* {areas}")
    return [header(title), section("\n".join(lines))]


def stats_modal(stats: ProgramStats) -> dict:
    """The statistics, as a modal that only shows."""
    blocks: list[Block] = [
        *_tally("Last 30 days", stats.month, stats.min_count),
        *_tally("Last 12 months", stats.year, stats.min_count),
        context(
            "Counts only, never names. Topics with fewer than"
            f" {stats.min_count} requests are not shown exactly, so nobody can be picked out."
        ),
    ]
    return View(type="modal", title="Program statistics", close="Close", blocks=blocks).to_dict()
