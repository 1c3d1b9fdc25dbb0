"""Slack identifiers of the private self-check."""

from __future__ import annotations

from enum import StrEnum


class SelfCheckAction(StrEnum):
    """``action_id`` of the Home tab's self-check button."""

    OPEN_SELF_CHECK = "home_self_check"


class SelfCheckCallback(StrEnum):
    """``callback_id`` of the self-check modal (its result replaces it and has no callback)."""

    SELF_CHECK = "peer_self_check"


class SelfCheckField(StrEnum):
    """``block_id`` of the self-check's inputs (their element's ``action_id`` is the same string)."""

    EXPOSURE = "check_exposure"
    ITEM1 = "check_item1"
    ITEM2 = "check_item2"
    ITEM3 = "check_item3"
    ITEM4 = "check_item4"
    ITEM5 = "check_item5"


ITEM_FIELDS: tuple[SelfCheckField, ...] = (
    SelfCheckField.ITEM1,
    SelfCheckField.ITEM2,
    SelfCheckField.ITEM3,
    SelfCheckField.ITEM4,
    SelfCheckField.ITEM5,
)
