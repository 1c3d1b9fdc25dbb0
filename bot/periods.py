"""Reporting periods as coordinators write them: ``30d``, ``2026-Q3``, ``2026-03``, ``2026-01..2026-06``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

DEFAULT_DAYS = 90


@dataclass(frozen=True)
class Period:
    """Dates from ``start`` (inclusive) to ``end`` (exclusive)."""

    start: date
    end: date
    label: str


def _month_start(text: str) -> date:
    year, month = (int(p) for p in text.split("-"))
    return date(year, month, 1)


def _next_month(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def parse_period(text: str | None, *, today: date) -> Period:
    """Parse a period; empty means the last 90 days. Raises ValueError with a readable message."""
    spec = (text or "").strip()
    if not spec:
        return _last_days(DEFAULT_DAYS, today)
    if m := re.fullmatch(r"(\d{1,4})d", spec):
        days = int(m[1])
        if not 1 <= days <= 3660:
            raise ValueError("use between 1d and 3660d")
        return _last_days(days, today)
    if m := re.fullmatch(r"(\d{4})-[Qq]([1-4])", spec):
        start = date(int(m[1]), 3 * int(m[2]) - 2, 1)
        end = _next_month(_next_month(_next_month(start)))
        return Period(start, end, f"{m[1]}-Q{m[2]}")
    try:
        if re.fullmatch(r"\d{4}", spec):
            return Period(date(int(spec), 1, 1), date(int(spec) + 1, 1, 1), spec)
        if re.fullmatch(r"\d{4}-\d{2}", spec):
            start = _month_start(spec)
            return Period(start, _next_month(start), spec)
        if m := re.fullmatch(r"(\d{4}-\d{2})\.\.(\d{4}-\d{2})", spec):
            start, last = _month_start(m[1]), _month_start(m[2])
            if last < start:
                raise ValueError("the period ends before it starts")
            return Period(start, _next_month(last), spec)
    except ValueError as exc:
        if "ends before" in str(exc):
            raise
        raise ValueError(f"'{spec[:30]}' has an impossible date") from None
    raise ValueError(f"'{spec[:30]}' is not a period; try 30d, 2026-Q3, 2026-03 or 2026-01..2026-06")


def _last_days(days: int, today: date) -> Period:
    return Period(today - timedelta(days=days - 1), today + timedelta(days=1), f"the last {days} days")


# Statistics are published per closed calendar quarter (see the README's "Statistics" rule): a
# quarter's figures appear once it has ended and never change afterwards, so no two views on two
# days differ by one person's contact.


@dataclass(frozen=True)
class Quarter:
    """A calendar quarter in the program's time zone."""

    year: int
    number: int

    @classmethod
    def of(cls, day: date) -> Quarter:
        """The quarter a day falls in."""
        return cls(day.year, (day.month - 1) // 3 + 1)

    @property
    def start(self) -> date:
        """Its first day."""
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def end(self) -> date:
        """The day after its last day."""
        return self.next().start

    @property
    def label(self) -> str:
        """``2026-Q3``."""
        return f"{self.year}-Q{self.number}"

    def next(self) -> Quarter:
        """The quarter after this one."""
        return Quarter(self.year + (self.number == 4), self.number % 4 + 1)

    def previous(self) -> Quarter:
        """The quarter before this one."""
        return Quarter(self.year - (self.number == 1), (self.number - 2) % 4 + 1)


class NotPublishedYet(ValueError):
    """The asked quarter has not ended: its statistics are published on ``on``."""

    def __init__(self, label: str, on: date) -> None:
        super().__init__(f"{label} is still running: its statistics are published on {on:%Y-%m-%d}")
        self.on = on


@dataclass(frozen=True)
class Publication:
    """What a statistics view covers: one or more closed quarters, in order."""

    quarters: tuple[Quarter, ...]
    label: str

    @property
    def period(self) -> Period:
        """The dates the quarters span."""
        return Period(self.quarters[0].start, self.quarters[-1].end, self.label)


def parse_publication(text: str | None, *, today: date) -> Publication:
    """Which closed quarters a coordinator asks for: empty means the last closed quarter;
    ``2026-Q3`` one quarter; ``2026`` the closed quarters of that year.

    Raises ``NotPublishedYet`` for a quarter still running, ``ValueError`` for anything else.
    """
    spec = (text or "").strip()
    current = Quarter.of(today)
    if not spec:
        last = current.previous()
        return Publication((last,), last.label)
    if m := re.fullmatch(r"(\d{4})-[Qq]([1-4])", spec):
        quarter = Quarter(int(m[1]), int(m[2]))
        if quarter.end > current.start:
            raise NotPublishedYet(quarter.label, quarter.end if quarter == current else current.start)
        return Publication((quarter,), quarter.label)
    if re.fullmatch(r"\d{4}", spec):
        year = int(spec)
        closed = tuple(q for q in (Quarter(year, n) for n in range(1, 5)) if q.end <= current.start)
        if not closed:
            raise NotPublishedYet(spec, Quarter(year, 1).end if year >= current.year else current.start)
        label = spec if len(closed) == 4 else f"{spec} ({closed[0].label[5:]}–{closed[-1].label[5:]})"
        return Publication(closed, label)
    raise ValueError(
        f"'{spec[:30]}' is not a published period: statistics are published per completed quarter;"
        f" try {current.previous().label} or {current.previous().year}"
    )
