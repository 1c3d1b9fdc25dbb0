"""The quarterly-report export: a CSV of suppressed aggregates and a PNG chart, built from them only."""

from __future__ import annotations

import csv
import io

from PIL import Image, ImageDraw

from bot.suppression import describe
from bot.tracking import AreasByQuarter
from storage.models import Area

AREA_NAMES: dict[Area, str] = {
    Area.WORK_STRESS: "Work stress",
    Area.TRAUMA: "Case or trauma exposure",
    Area.PERSONAL: "Personal or family",
    Area.GRIEF: "Grief or loss",
    Area.HEALTH: "Health",
    Area.OTHER: "Something else",
}
_COLOURS = ["#2e5e4e", "#4f8a8b", "#f4a259", "#bc4b51", "#5b8e7d", "#8cb369"]
_HIDDEN_COLOUR = "#c8c8c8"


def csv_bytes(report: AreasByQuarter) -> bytes:
    """Contacts per quarter and area, as published (suppressed), as CSV (UTF-8)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["quarter", *(AREA_NAMES[a] for a in report.areas), "total contacts by area"])
    for quarter, row in report.rows.items():
        writer.writerow(
            [
                quarter,
                *(describe(row.cells[str(a)], report.min_count) for a in report.areas),
                describe(row.total, report.min_count),
            ]
        )
    writer.writerow([])
    writer.writerow(
        [
            f"Counts from 1 to {report.min_count - 1} are shown as 'fewer than {report.min_count}';"
            " 'suppressed' hides a number that would let a small one be worked out."
        ]
    )
    return out.getvalue().encode("utf-8")


def chart_png(report: AreasByQuarter, *, width: int = 900, height: int = 480) -> bytes:
    """Contacts per quarter, stacked by area; what is suppressed is drawn grey, never split."""
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    left, right, top, bottom = 60, width - 220, 40, height - 50
    draw.text((left, 12), f"Contacts per quarter by area of need ({report.publication.label})", fill="black")
    totals = [
        sum(c.value or 0 for c in report.rows[m].cells.values()) + _hidden_part(report, m)
        for m in report.rows
    ]
    peak = max([*totals, 1])
    slot = (right - left) / max(len(report.rows), 1)
    for index, month in enumerate(report.rows):
        x0 = left + index * slot + slot * 0.15
        x1 = left + (index + 1) * slot - slot * 0.15
        y: float = bottom
        for area_index, area in enumerate(report.areas):
            value = report.rows[month].cells[str(area)].value or 0
            if value:
                h = (bottom - top) * value / peak
                draw.rectangle([x0, y - h, x1, y], fill=_COLOURS[area_index % len(_COLOURS)])
                y -= h
        hidden = _hidden_part(report, month)
        if hidden:
            h = (bottom - top) * hidden / peak
            draw.rectangle([x0, y - h, x1, y], fill=_HIDDEN_COLOUR)
        draw.text((x0, bottom + 8), month, fill="black")
    draw.line([left, bottom, right, bottom], fill="black")
    draw.line([left, top, left, bottom], fill="black")
    draw.text((8, top), str(peak), fill="black")
    draw.text((8, bottom - 10), "0", fill="black")
    legend = [(AREA_NAMES[a], _COLOURS[i % len(_COLOURS)]) for i, a in enumerate(report.areas)]
    legend.append((f"hidden (small counts, under {report.min_count})", _HIDDEN_COLOUR))
    for i, (label, colour) in enumerate(legend):
        y = top + i * 22
        draw.rectangle([right + 20, y, right + 34, y + 14], fill=colour)
        draw.text((right + 40, y), label, fill="black")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _hidden_part(report: AreasByQuarter, month: str) -> int:
    """The quarter's suppressed contacts as one grey block, only when its total is shown."""
    row = report.rows[month]
    if row.total.value is None:
        return 0
    return row.total.value - sum(c.value or 0 for c in row.cells.values())
