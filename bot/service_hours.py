"""The program's service hours: when offers go out and when offer deadlines run."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

_DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_SPEC = re.compile(
    r"^(?:(?P<days>[a-z]{3}(?:-[a-z]{3})?(?:,[a-z]{3}(?:-[a-z]{3})?)*)\s+)?"
    r"(?P<start>\d{1,2}:\d{2})-(?P<end>\d{1,2}:\d{2})$"
)


@dataclass(frozen=True)
class ServiceHours:
    """Weekly opening hours in one time zone, or always open."""

    tz: ZoneInfo
    days: frozenset[int] = frozenset(range(5))  # Monday = 0
    start: time = time(8, 0)
    end_minutes: int = 18 * 60  # minutes after midnight; 1440 allows "24:00"
    always: bool = False

    @classmethod
    def parse(cls, spec: str, tz_name: str) -> ServiceHours:
        """Parse ``any``, ``08:00-18:00`` (Monday to Friday) or ``Mon-Sat 07:30-19:00``."""
        tz = ZoneInfo(tz_name)
        text = spec.strip().lower()
        if text in {"any", "always", "24/7"}:
            return cls(tz=tz, always=True)
        match = _SPEC.match(text)
        if match is None:
            raise ValueError("expected 'any', 'HH:MM-HH:MM' or 'Mon-Fri HH:MM-HH:MM'")
        days = _parse_days(match["days"]) if match["days"] else frozenset(range(5))
        start_minutes = _minutes(match["start"])
        end_minutes = _minutes(match["end"])
        if not 0 <= start_minutes < end_minutes <= 24 * 60:
            raise ValueError("opening must come before closing, within one day")
        start = time(start_minutes // 60, start_minutes % 60)
        return cls(tz=tz, days=days, start=start, end_minutes=end_minutes)

    def in_zone(self, tz: ZoneInfo) -> ServiceHours:
        """The same weekly hours, read in ``tz``."""
        return replace(self, tz=tz)

    def is_open(self, at: datetime) -> bool:
        """Whether the program is open at ``at``."""
        if self.always:
            return True
        return any(a <= at < b for a, b in self._intervals_around(at))

    def next_opening(self, at: datetime) -> datetime:
        """``at`` itself when open, else the next moment the program opens."""
        if self.always:
            return at
        for a, b in self._intervals_from(at):
            if at < b:
                return max(a, at)
        raise ValueError("no opening within the search window")  # pragma: no cover

    def add_open_time(self, start: datetime, duration: timedelta) -> datetime:
        """The moment at which ``duration`` of open time has passed since ``start``."""
        if self.always:
            return start + duration
        remaining = duration
        for a, b in self._intervals_from(start):
            if b <= start:
                continue
            begin = max(a, start)
            if begin + remaining <= b:
                return begin + remaining
            remaining -= b - begin
        raise ValueError("duration exceeds the search window")  # pragma: no cover

    def today(self, at: datetime) -> date:
        """The local date at ``at`` in the program's time zone."""
        return at.astimezone(self.tz).date()

    def local(self, at: datetime) -> datetime:
        """``at`` in the program's time zone."""
        return at.astimezone(self.tz)

    def describe(self) -> str:
        """A short human description, e.g. ``Mon-Fri 08:00-18:00 (America/New_York)``."""
        if self.always:
            return "around the clock"
        days = ",".join(_DAYS[d].title() for d in sorted(self.days))
        if self.days == frozenset(range(5)):
            days = "Mon-Fri"
        end = f"{self.end_minutes // 60:02d}:{self.end_minutes % 60:02d}"
        return f"{days} {self.start:%H:%M}-{end} ({self.tz.key})"

    def _intervals_around(self, at: datetime) -> Iterator[tuple[datetime, datetime]]:
        local_day = at.astimezone(self.tz).date()
        for offset in (-1, 0):
            yield from self._interval_on(local_day + timedelta(days=offset))

    def _intervals_from(self, at: datetime) -> Iterator[tuple[datetime, datetime]]:
        local_day = at.astimezone(self.tz).date() - timedelta(days=1)
        # A year is far more than any deadline or opening can need.
        for offset in range(370):
            yield from self._interval_on(local_day + timedelta(days=offset))

    def _interval_on(self, day: date) -> Iterator[tuple[datetime, datetime]]:
        if day.weekday() not in self.days:
            return
        opens = datetime.combine(day, self.start, tzinfo=self.tz)
        midnight = datetime.combine(day, time(0), tzinfo=self.tz)
        closes = (midnight + timedelta(minutes=self.end_minutes)).replace(tzinfo=self.tz)
        if self.end_minutes == 24 * 60:
            closes = datetime.combine(day + timedelta(days=1), time(0), tzinfo=self.tz)
        yield opens, closes


def _minutes(hhmm: str) -> int:
    hours, minutes = (int(part) for part in hhmm.split(":"))
    if minutes >= 60:
        raise ValueError(f"bad time {hhmm}")
    return hours * 60 + minutes


def parse_span(spec: str) -> tuple[int, int]:
    """``HH:MM-HH:MM`` as minutes after midnight; the end may come before the start (overnight)."""
    match = re.fullmatch(r"(\d{1,2}:\d{2})-(\d{1,2}:\d{2})", spec.strip())
    if match is None:
        raise ValueError("expected HH:MM-HH:MM, e.g. 18:00-08:00")
    start, end = _minutes(match[1]), _minutes(match[2])
    if not (0 <= start < 24 * 60 and 0 <= end <= 24 * 60) or start == end:
        raise ValueError("expected two different times of day, e.g. 18:00-08:00")
    return start, end


def parse_days(spec: str) -> frozenset[int]:
    """``Mon-Fri``, ``Sat,Sun``, ``Fri`` or ``daily`` as weekday numbers (Monday = 0)."""
    text = spec.strip().lower().replace(" ", "")
    if text in {"daily", "everyday", "all", "mon-sun"}:
        return frozenset(range(7))
    return _parse_days(text)


def day_names(days: frozenset[int]) -> str:
    """Weekday numbers back to a short text: ``Mon-Fri``, ``Sat,Sun``, ``every day``."""
    if days == frozenset(range(7)):
        return "every day"
    if days == frozenset(range(5)):
        return "Mon-Fri"
    return ",".join(_DAYS[d].title() for d in sorted(days))


def _parse_days(spec: str) -> frozenset[int]:
    days: set[int] = set()
    for part in spec.split(","):
        first, _, last = part.partition("-")
        if first not in _DAYS or (last and last not in _DAYS):
            raise ValueError(f"unknown day in {part!r}")
        a = _DAYS.index(first)
        b = _DAYS.index(last) if last else a
        days.update(range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)])
    return frozenset(days)
