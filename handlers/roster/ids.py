"""Slack identifiers of the roster: volunteers, availability, being away."""

from __future__ import annotations

from enum import StrEnum


class RosterAction(StrEnum):
    """``action_id`` of the roster's buttons."""

    VOLUNTEER_APPROVE = "volunteer_approve"
    VOLUNTEER_DECLINE = "volunteer_decline"
    AVAILABLE_AGAIN = "supporter_available_again"
    PAUSE_OFFERS = "home_pause_offers"
    VOLUNTEER = "home_volunteer"


class RosterCallback(StrEnum):
    """``callback_id`` of the away modal."""

    AWAY = "peer_away"


class RosterField(StrEnum):
    """``block_id`` of the away modal's input (its element's ``action_id`` is the same string)."""

    AWAY_UNTIL = "away_until"


class RosterBlockId(StrEnum):
    """``block_id`` of blocks in roster messages."""

    VOLUNTEER = "volunteer"
    AWAY = "away"
