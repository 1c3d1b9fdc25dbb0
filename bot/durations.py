"""Durations as people write them in settings and modals: ``2s``, ``30m``, ``12h``, ``3d``, ``2w``."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import timedelta

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_ONE = re.compile(r"^(\d{1,6})([smhdw])$")


def parse_duration(text: str) -> timedelta:
    """One duration, e.g. ``3d``."""
    match = _ONE.match(text.strip().lower())
    if match is None:
        raise ValueError(f"'{text.strip()[:20]}' is not a duration like 3d, 12h or 2w")
    return timedelta(seconds=int(match[1]) * _UNITS[match[2]])


def parse_plan(text: str, *, max_items: int = 20) -> list[timedelta]:
    """A comma-separated check-in plan, e.g. ``1d,3d,7d``: positive, increasing, at most ``max_items``."""
    items = [part for part in text.replace(" ", "").split(",") if part]
    if not items:
        raise ValueError("the plan is empty")
    if len(items) > max_items:
        raise ValueError(f"at most {max_items} check-ins")
    plan = [parse_duration(item) for item in items]
    if any(d <= timedelta(0) for d in plan):
        raise ValueError("every offset must be more than zero")
    if any(b <= a for a, b in zip(plan, plan[1:], strict=False)):
        raise ValueError("offsets must increase, e.g. 1d,3d,7d")
    return plan


def format_plan(plan: Sequence[timedelta]) -> str:
    """The plan written back the way people write it."""
    out = []
    for item in plan:
        seconds = int(item.total_seconds())
        unit = next(u for u in ("w", "d", "h", "m", "s") if seconds % _UNITS[u] == 0)
        out.append(f"{seconds // _UNITS[unit]}{unit}")
    return ",".join(out)


def parse_leads(text: str, *, max_items: int = 5) -> list[timedelta]:
    """How long before an event its reminders go out, e.g. ``1d,1h``: positive, distinct, longest first.

    ``none`` (or nothing) means no reminders.
    """
    items = [part for part in text.replace(" ", "").lower().split(",") if part]
    if items in ([], ["none"]):
        return []
    if len(items) > max_items:
        raise ValueError(f"at most {max_items} reminders")
    leads = [parse_duration(item) for item in items]
    if any(d <= timedelta(0) for d in leads):
        raise ValueError("every reminder must come some time before the start")
    if len(set(leads)) != len(leads):
        raise ValueError("the same reminder is listed twice")
    return sorted(leads, reverse=True)


def describe_lead(lead: timedelta) -> str:
    """A lead time in words, e.g. ``1 day``, ``2 hours``, ``30 minutes``."""
    seconds = int(lead.total_seconds())
    for unit, size in (("week", 7 * 86400), ("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        if seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return f"{seconds} seconds"  # pragma: no cover - every whole number of seconds matches "second"
