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
    REACHED_OUT = "request_reached_out"  # the holder: "I've reached out"
    NOT_HEARD = "request_not_heard"  # the requester: "I haven't heard from anyone"
    SOMEONE_ELSE = "request_someone_else"  # the requester: "I'd like someone else"
    # The requester's answers to "Did talking help?" after a close.
    TALK_YES = "talk_yes"
    TALK_SOMEWHAT = "talk_somewhat"
    TALK_NOT_REALLY = "talk_not_really"
    TALK_MORE = "talk_keep_talking"
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
    # "Prefer someone who…": the two checkboxes, the requester's own role and unit, tags, a language.
    PREFER = "prefer"
    OWN_ROLE = "own_role"
    OWN_UNIT = "own_unit"
    WANTED_TAGS = "wanted_tags"
    LANGUAGE = "language"
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
    TALK = "talk_question"
    SOMEONE_ELSE = "someone_else_"  # followed by the request id (the Home has one per request)
