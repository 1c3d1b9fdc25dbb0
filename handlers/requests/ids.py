"""Slack identifiers of requests and offers."""

from __future__ import annotations

from enum import StrEnum


class RequestAction(StrEnum):
    """``action_id`` of the request and offer buttons."""

    ACCEPT = "offer_accept"
    PASS = "offer_pass"
    CLOSE = "request_close"
    HAND_BACK = "request_hand_back"
    HAND_TO = "escalation_hand_to"
    TAKE_ON = "urgent_take_on"  # a coordinator takes an urgent request on themselves
    OPEN_REQUEST = "home_open_request"
    CANCEL_REQUEST = "home_cancel_request"


class RequestCallback(StrEnum):
    """``callback_id`` of the request modals."""

    REQUEST = "peer_request"
    CLOSE = "peer_request_close"
    HAND_TO = "peer_escalation_hand_to"


class RequestField(StrEnum):
    """``block_id`` of the request modals' inputs (their element's ``action_id`` is the same string)."""

    AREA = "area"
    URGENCY = "urgency"
    CONTACT = "contact"
    PREFERRED = "preferred_supporter"
    EXCLUDED = "excluded"
    NOTE = "note"
    ANONYMOUS = "anonymous"
    MINUTES = "minutes"
    REFERRAL = "referral"
    SUPPORTER = "supporter"
    FOLLOW_UP_DAYS = "follow_up_days"
    HEAVY = "heavy"


class RequestBlockId(StrEnum):
    """``block_id`` of blocks in request messages."""

    OFFER = "offer"
    HELD = "held"
    ESCALATION = "escalation"
