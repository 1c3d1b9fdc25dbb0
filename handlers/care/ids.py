"""Slack identifiers of the program's care check-ins on supporters."""

from __future__ import annotations

from enum import StrEnum


class CareAction(StrEnum):
    """``action_id`` of a care check-in's answers."""

    CARE_OK = "care_ok"
    CARE_TALK = "care_talk"


class CareBlockId(StrEnum):
    """``block_id`` of blocks in care check-ins."""

    CARE = "care"
