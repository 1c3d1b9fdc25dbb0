"""Builders for the statistics across offices: sums only, no office named."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from slack_sdk.models.blocks import Block

from bot.association import AssociationReport
from handlers.common.blocks import context, header
from handlers.tracking.blocks import figure_blocks


def association_blocks(report: AssociationReport) -> list[dict[str, Any]]:
    """``/peer association``: each figure the sum of the offices' published ones."""
    figures = report.figures
    period = figures.period
    quarters = figures.publication.quarters
    offices = (
        f"{report.offices[0]} offices"
        if len(set(report.offices)) == 1
        else "offices per quarter: "
        + ", ".join(f"{q.label} {n}" for q, n in zip(quarters, report.offices, strict=True))
    )
    blocks: list[Block] = [
        header("Statistics across offices"),
        context(
            f"{period.label}: {period.start:%Y-%m-%d} to {period.end - timedelta(days=1):%Y-%m-%d},"
            f" {offices} that share their statistics. No office and no person is named."
        ),
        *figure_blocks(figures),
        context(
            "Each figure is the sum of the offices' published figures of completed quarters (each office's"
            " own smallest count applies); “suppressed”: hidden in at least one office, so hidden here too."
            " A quarter counts the offices that shared their statistics as it ended."
        ),
    ]
    return [b.to_dict() for b in blocks]
