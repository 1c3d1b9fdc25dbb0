"""Slack identifiers of the on-call rota."""

from __future__ import annotations

from enum import StrEnum


class OnCallAction(StrEnum):
    """``action_id`` of the rota's button on a coordinator's Home."""

    HOME_ONCALL = "home_oncall"


class OnCallCallback(StrEnum):
    """``callback_id`` of the rota's modal."""

    ONCALL = "peer_oncall"


class OnCallField(StrEnum):
    """``block_id`` of the rota modal's inputs (their element's ``action_id`` is the same string)."""

    PERSON = "oncall_person"
    DAYS = "oncall_days"
    HOURS = "oncall_hours"
