"""Slack identifiers of concerns about a colleague."""

from __future__ import annotations

from enum import StrEnum


class ConcernAction(StrEnum):
    """``action_id`` of the concern buttons."""

    OPEN_CONCERN = "home_open_concern"
    CONCERN_TAKE = "concern_take"
    CONCERN_HAND_TO = "concern_hand_to"


class ConcernCallback(StrEnum):
    """``callback_id`` of the concern modals."""

    CONCERN = "peer_concern"
    CONCERN_HAND_TO = "peer_concern_hand_to"


class ConcernField(StrEnum):
    """``block_id`` of the concern modals' inputs (their element's ``action_id`` is the same string)."""

    CONCERN_SUBJECT = "concern_subject"
    CONCERN_NOTE = "concern_note"
    CONCERN_CONTACT_ME = "concern_contact_me"
    CONCERN_SUPPORTER = "concern_supporter"


class ConcernBlockId(StrEnum):
    """``block_id`` of blocks in concern alerts."""

    CONCERN = "concern"
