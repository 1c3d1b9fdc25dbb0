"""Every Slack identifier the app uses, bound to a listener in exactly one place."""

from __future__ import annotations

from enum import StrEnum


class Command(StrEnum):
    """Slash commands."""

    PEER = "/peer"


class Action(StrEnum):
    """``action_id`` of buttons."""

    ACCEPT = "offer_accept"
    PASS = "offer_pass"
    CLOSE = "request_close"
    HAND_BACK = "request_hand_back"
    AVAILABLE_AGAIN = "supporter_available_again"
    HAND_TO = "escalation_hand_to"
    OPEN_REQUEST = "home_open_request"


class Callback(StrEnum):
    """``callback_id`` of modals."""

    REQUEST = "peer_request"
    CLOSE = "peer_request_close"
    HAND_TO = "peer_escalation_hand_to"


class Block(StrEnum):
    """``block_id`` of modal inputs (their element's ``action_id`` is the same string)."""

    AREA = "area"
    URGENCY = "urgency"
    CONTACT = "contact"
    PREFERRED = "preferred_supporter"
    EXCLUDED = "excluded"
    NOTE = "note"
    MINUTES = "minutes"
    REFERRAL = "referral"
    SUPPORTER = "supporter"
