"""Reading a submitted choice back into its enum."""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

E = TypeVar("E", bound=StrEnum)


def choice(enum: type[E], value: str | None) -> E | None:
    """The member of ``enum`` named by ``value``, or None for anything else (crafted or empty)."""
    try:
        return enum(value) if value else None
    except ValueError:
        return None
