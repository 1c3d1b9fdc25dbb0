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
