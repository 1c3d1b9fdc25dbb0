"""How times and dates are written to and read from the database: aware UTC, ISO 8601."""

from __future__ import annotations

from datetime import UTC, date, datetime


def to_db(value: datetime) -> str:
    """An aware datetime as a sortable UTC ISO string."""
    if value.tzinfo is None:
        raise ValueError("naive datetimes are not stored")
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def from_db(value: str | None) -> datetime | None:
    """The aware UTC datetime stored by :func:`to_db`."""
    return None if value is None else datetime.fromisoformat(value)


def date_from_db(value: str | None) -> date | None:
    """A stored ISO date."""
    return None if value is None else date.fromisoformat(value)
