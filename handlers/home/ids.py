"""Slack identifiers of the App Home tab (its buttons belong to the features they act for)."""

from __future__ import annotations

from enum import StrEnum


class HomeBlockId(StrEnum):
    """``block_id`` of the Home's blocks; those ending in ``_`` are followed by a row's id."""

    HOME_ACTIONS = "home_actions"
    SUPPORTER_ACTIONS = "supporter_actions"
    COORDINATOR_ACTIONS = "coordinator_actions"
    ADMINISTRATOR_ACTIONS = "administrator_actions"
    HELD = "held_"
    EVENT = "event_"
    EVENT_ADMIN = "event_admin_"
    ROSTER = "roster_table"
    ROSTER_ACTIONS = "roster_actions"
    INCIDENT = "incident_"
