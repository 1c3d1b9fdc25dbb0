"""Who holds which role in the program."""

from __future__ import annotations

from collections.abc import Iterable

from bot.errors import NotAllowed


class Roles:
    """Coordinators come from ``PEER_COORDINATORS``; supporters from the roster."""

    def __init__(self, coordinators: Iterable[str]) -> None:
        self._coordinators = frozenset(coordinators)

    def is_coordinator(self, user_id: str) -> bool:
        """Whether the user holds the coordinator role."""
        return user_id in self._coordinators

    def coordinators(self) -> list[str]:
        """Every coordinator, in a stable order."""
        return sorted(self._coordinators)

    def require_coordinator(self, user_id: str) -> None:
        """Raise :class:`NotAllowed` unless the user is a coordinator."""
        if not self.is_coordinator(user_id):
            raise NotAllowed("coordinator role required")
