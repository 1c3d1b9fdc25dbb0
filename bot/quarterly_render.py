"""The quarterly report as rows, and those rows as a one-page PDF (fpdf2) and as CSV.

Both files are made from the same rows, so the CSV is exactly the data behind the PDF.
Every value is a published figure in words (``describe``): a number, "fewer than K" or
"suppressed"; the change is shown only where both quarters' figures are.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import timedelta

from fpdf import FPDF

from bot.quarterly import QuarterFigures, QuarterlyReport, change
from bot.reports import AREA_NAMES
from bot.suppression import Cell, describe
from bot.tracking import StatsReport
from storage.models import AnnouncementKind, Area, IncidentKind, Referral, TalkAnswer, Urgency

URGENCY_NAMES = {
    Urgency.ASAP: "As soon as possible",
    Urgency.THIS_WEEK: "This week",
    Urgency.NO_RUSH: "No rush",
}
REFERRAL_NAMES = {
    Referral.NONE: "No referral",
    Referral.EAP: "EAP",
    Referral.COUNSELOR: "Counselor or therapist",
    Referral.OTHER: "Other professional help",
}
TALK_NAMES = {
    TalkAnswer.YES: "Yes",
    TalkAnswer.SOMEWHAT: "Somewhat",
    TalkAnswer.NOT_REALLY: "Not really",
    TalkAnswer.KEEP_TALKING: "I'd like to keep talking",
}
INCIDENT_NAMES = {
    IncidentKind.CRITICAL_INCIDENT: "Critical incident",
    IncidentKind.BEREAVEMENT: "Bereavement",
    IncidentKind.ILLNESS: "Illness or injury",
}


@dataclass(frozen=True)
class Row:
    """One line of the report: a section, a figure, this quarter, the previous one, the change."""

    section: str
    figure: str
    current: str
    previous: str
    change: str


def _cells(section: str, figure: str, now: Cell, before: Cell, k: int) -> Row:
    delta = change(now, before)
    return Row(section, figure, describe(now, k), describe(before, k), "" if delta is None else f"{delta:+d}")


def _text(section: str, figure: str, now: str, before: str) -> Row:
    return Row(section, figure, now, before, "")


def _hours(cell: Cell, k: int) -> str:
    return f"{cell.value / 60:.1f} h" if cell.value is not None else describe(cell, k)


def _minutes(value: timedelta | None) -> str:
    if value is None:
        return "not shown"
    minutes = int(value.total_seconds() // 60)
    return f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{minutes} min"


def _percent(value: int | None) -> str:
    return "not shown" if value is None else f"{value}%"


def report_rows(report: QuarterlyReport) -> list[Row]:
    """Every figure of the report, this quarter beside the previous one."""
    k = report.min_count
    now, before = report.current, report.previous
    a, b = now.stats, before.stats
    rows = [
        _cells("Contacts", "Contacts in total", a.contacts, b.contacts, k),
        *(
            _cells("Contacts", f"Area: {AREA_NAMES[area]}", a.areas.cells[area], b.areas.cells[area], k)
            for area in Area
        ),
        _text(
            "Contacts",
            "Supporter time, all together",
            _hours(a.supporter_minutes, k),
            _hours(b.supporter_minutes, k),
        ),
        *(
            _cells("Referrals", REFERRAL_NAMES[r], a.referrals.cells[r], b.referrals.cells[r], k)
            for r in Referral
        ),
        _cells("Requests", "Requests made", a.requests, b.requests, k),
        _cells("Requests", "Requests accepted", a.accepted, b.accepted, k),
        _text(
            "Requests", "Median time to accept", _minutes(a.median_to_accept), _minutes(b.median_to_accept)
        ),
    ]
    for x, y in zip(now.urgency, before.urgency, strict=True):
        name = URGENCY_NAMES[x.urgency]
        rows += [
            _cells("Requests", f"{name}: made", x.made, y.made, k),
            _cells("Requests", f"{name}: accepted", x.accepted, y.accepted, k),
            _text(
                "Requests",
                f"{name}: median time to accept",
                _minutes(x.median_to_accept),
                _minutes(y.median_to_accept),
            ),
        ]
    for u, v in zip(now.uptake, before.uptake, strict=True):
        name = INCIDENT_NAMES[u.kind]
        rows += [
            _cells("Check-ins", f"{name}: sent", u.sent, v.sent, k),
            _cells("Check-ins", f"{name}: answered", u.answered, v.answered, k),
            _text(
                "Check-ins", f"{name}: share answered", _percent(u.share_answered), _percent(v.share_answered)
            ),
        ]
    t, s = now.training, before.training
    rows += [
        _cells("Training", "Supporters on the roster", t.status.total, s.status.total, k),
        _text(
            "Training", "Share with current training", _percent(t.share_current), _percent(s.share_current)
        ),
        _cells(
            "Training", "Training lapsing the next quarter", t.lapsing_next_quarter, s.lapsing_next_quarter, k
        ),
    ]
    rows += _event_rows(now, before, k)
    rows += [
        _cells("Did talking help?", "Answers in all", a.talk_helped.total, b.talk_helped.total, k),
        *(
            _cells("Did talking help?", name, _talk(a, answer), _talk(b, answer), k)
            for answer, name in TALK_NAMES.items()
        ),
    ]
    return rows


def _talk(stats: StatsReport, answer: TalkAnswer) -> Cell:
    # A quarter before the question existed has no cells: nobody answered.
    return stats.talk_helped.cells.get(answer, Cell(0))


def _event_rows(now: QuarterFigures, before: QuarterFigures, k: int) -> list[Row]:
    a, b = now.stats, before.stats
    held_now, held_before = sum(a.events_held.values()), sum(b.events_held.values())
    rows = [
        Row("Events", "Events held", str(held_now), str(held_before), f"{held_now - held_before:+d}"),
        _cells("Events", "People going, all events", a.going.total, b.going.total, k),
    ]
    for kind in AnnouncementKind:
        if kind in a.events_held or kind in b.events_held:
            rows.append(
                _text(
                    "Events",
                    f"{kind.replace('_', ' ').capitalize()}: held",
                    str(a.events_held.get(kind, 0)),
                    str(b.events_held.get(kind, 0)),
                )
            )
    return rows


def report_csv(report: QuarterlyReport) -> bytes:
    """The rows behind the PDF, as CSV (UTF-8)."""
    now, before = report.current.quarter.label, report.previous.quarter.label
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["section", "figure", now, before, "change"])
    for row in report_rows(report):
        writer.writerow([row.section, row.figure, row.current, row.previous, row.change])
    writer.writerow([])
    writer.writerow([_FOOTNOTE.format(k=report.min_count, k1=report.min_count - 1)])
    return out.getvalue().encode("utf-8")


_FOOTNOTE = (
    "Published figures of completed quarters only; each count is in the quarter it happened in the app."
    " Counts from 1 to {k1} show as 'fewer than {k}'; 'suppressed' hides a number that would let a small"
    " one be worked out. Check-ins count plans of at least {k} people only. No names."
)


def report_pdf(report: QuarterlyReport) -> bytes:
    """The report on one A4 page: a table per section, this quarter against the previous one."""
    now, before = report.current.quarter.label, report.previous.quarter.label
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=False)
    pdf.set_margins(15, 12, 15)
    pdf.add_page()
    pdf.set_title(f"Peer support program, {now}")
    pdf.set_font("Helvetica", "B", 15)
    pdf.cell(0, 8, f"Peer support program: quarterly report {now}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 8)
    pdf.multi_cell(0, 3.6, _latin(_FOOTNOTE.format(k=report.min_count, k1=report.min_count - 1)))
    pdf.ln(1)
    widths = (92, 30, 30, 28)
    section = ""
    for row in report_rows(report):
        if row.section != section:
            section = row.section
            pdf.ln(1.2)
            pdf.set_font("Helvetica", "B", 9)
            pdf.set_fill_color(230, 236, 233)
            for width, text in zip(widths, (section, now, before, "Change"), strict=True):
                pdf.cell(width, 4.6, text, fill=True)
            pdf.ln(4.6)
            pdf.set_font("Helvetica", "", 8.5)
        for width, text in zip(widths, (row.figure, row.current, row.previous, row.change), strict=True):
            pdf.cell(width, 4.1, _latin(text))
        pdf.ln(4.1)
    pdf.set_y(-14)
    pdf.set_font("Helvetica", "I", 7)
    pdf.cell(0, 4, f"Made on {report.made_on:%Y-%m-%d}. Aggregates only; nobody is named.")
    return bytes(pdf.output())


def _latin(text: str) -> str:
    # The PDF's built-in fonts cover Latin-1 only.
    return text.replace("\u2019", "'").encode("latin-1", "replace").decode("latin-1")
