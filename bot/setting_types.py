"""The typed values settings parse into, each accepting what people write in ``.env``.

Durations take plain seconds (``900``, ``0.3``) or the suffix forms of :mod:`bot.durations`
(``30m``, ``1d``); day counts take plain days (``30``) or the same suffix forms; plans and
reminder leads are comma-separated durations. An already-typed value (a default read back,
as the demo does) passes through unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import PlainValidator
from pydantic_settings import NoDecode

from bot.durations import parse_duration, parse_leads, parse_plan
from bot.service_hours import ServiceHours

_NUMBER = re.compile(r"^\d+(?:\.\d+)?$")
_DAY = timedelta(days=1)


def duration(
    *, above: timedelta | None = None, at_least: timedelta | None = None, at_most: timedelta | None = None
) -> PlainValidator:
    """A duration setting: plain numbers are seconds; bounds are checked after parsing."""

    def check(value: object) -> timedelta:
        parsed = _to_timedelta(value, unit=timedelta(seconds=1))
        _bounds(parsed, above=above, at_least=at_least, at_most=at_most, unit="seconds")
        return parsed

    return PlainValidator(check)


def days(*, at_least: int, at_most: int) -> PlainValidator:
    """A whole number of days: plain numbers are days (``PEER_RETENTION_DAYS=30`` stays 30 days)."""

    def check(value: object) -> timedelta:
        parsed = _to_timedelta(value, unit=_DAY)
        if parsed % _DAY:
            raise ValueError("must be a whole number of days")
        _bounds(parsed, at_least=timedelta(days=at_least), at_most=timedelta(days=at_most), unit="days")
        return parsed

    return PlainValidator(check)


def _plain(parse: Callable[[str], list[timedelta]]) -> PlainValidator:
    def check(value: object) -> tuple[timedelta, ...]:
        if isinstance(value, tuple | list) and all(isinstance(item, timedelta) for item in value):
            return tuple(value)
        if not isinstance(value, str):
            raise ValueError("expected durations such as 1d,3d,7d")
        return tuple(parse(value))

    return PlainValidator(check)


def _zone(value: object) -> ZoneInfo:
    if isinstance(value, ZoneInfo):
        return value
    if not isinstance(value, str):
        raise ValueError("expected an IANA time zone such as America/Chicago")
    try:
        return ZoneInfo(value.strip())
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"no time zone found with key {value.strip()[:40]!r}") from exc


def hours_in_utc(value: object) -> ServiceHours:
    """Weekly hours whose zone is applied later (``PEER_CHECKIN_HOURS``: each recipient's own)."""
    if isinstance(value, ServiceHours):
        return value
    if not isinstance(value, str):
        raise ValueError("expected 'any', 'HH:MM-HH:MM' or 'Mon-Fri HH:MM-HH:MM'")
    return ServiceHours.parse(value, "UTC")


# A check-in plan: positive, increasing durations (PEER_CHECKIN_OFFSETS*). NoDecode: the text is
# read as written, not as JSON.
Plan = Annotated[tuple[timedelta, ...], _plain(parse_plan), NoDecode]
# Event reminder leads, longest first (PEER_EVENT_REMINDERS); empty for "none".
Leads = Annotated[tuple[timedelta, ...], _plain(parse_leads), NoDecode]
Zone = Annotated[ZoneInfo, PlainValidator(_zone)]
WeeklyHours = Annotated[ServiceHours, PlainValidator(hours_in_utc), NoDecode]

_SLACK_ID = re.compile(r"[A-Z0-9]{2,32}")


def _team_users(value: object) -> frozenset[tuple[str, str]]:
    """``TEAMID:USERID,…`` (a user id means something only within its workspace)."""
    if not isinstance(value, str):
        return frozenset(value) if isinstance(value, frozenset | set | list | tuple) else frozenset()
    pairs: set[tuple[str, str]] = set()
    for part in (p.strip() for p in value.split(",")):
        team, _, user = part.upper().partition(":")
        if part and not (_SLACK_ID.fullmatch(team) and _SLACK_ID.fullmatch(user)):
            raise ValueError(f"each entry must be TEAMID:USERID, e.g. T0123ABC:U0456DEF: {part[:40]!r}")
        if part:
            pairs.add((team, user))
    return frozenset(pairs)


# People of given workspaces, as (team id, user id) pairs.
TeamUsers = Annotated[frozenset[tuple[str, str]], PlainValidator(_team_users), NoDecode]


def _to_timedelta(value: object, *, unit: timedelta) -> timedelta:
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return unit * value
    if isinstance(value, str):
        text = value.strip()
        if _NUMBER.match(text):
            return unit * float(text)
        return parse_duration(text)
    raise ValueError("expected a duration such as 900, 30m or 1d")


def _bounds(
    value: timedelta,
    *,
    above: timedelta | None = None,
    at_least: timedelta | None = None,
    at_most: timedelta | None = None,
    unit: str,
) -> None:
    size = _DAY if unit == "days" else timedelta(seconds=1)
    if above is not None and value <= above:
        raise ValueError(f"must be more than {above / size:g} {unit}")
    if at_least is not None and value < at_least:
        raise ValueError(f"must be at least {at_least / size:g} {unit}")
    if at_most is not None and value > at_most:
        raise ValueError(f"must be at most {at_most / size:g} {unit}")
