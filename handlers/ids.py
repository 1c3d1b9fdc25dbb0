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
    CHECKIN_OK = "checkin_ok"
    CHECKIN_TALK = "checkin_talk"
    CHECKIN_STOP = "checkin_stop"
    RELAY_REVEAL = "relay_reveal"
    RELAY_END = "relay_end"
    RELAY_RENAME = "relay_rename"


class Callback(StrEnum):
    """``callback_id`` of modals."""

    REQUEST = "peer_request"
    CLOSE = "peer_request_close"
    HAND_TO = "peer_escalation_hand_to"
    INCIDENT = "peer_incident"
    LOG_CONTACT = "peer_log_contact"
    RELAY_RENAME = "peer_relay_rename"


class Block(StrEnum):
    """``block_id`` of modal inputs (their element's ``action_id`` is the same string)."""

    AREA = "area"
    URGENCY = "urgency"
    CONTACT = "contact"
    PREFERRED = "preferred_supporter"
    EXCLUDED = "excluded"
    NOTE = "note"
    ANONYMOUS = "anonymous"
    LABEL = "label"
    MINUTES = "minutes"
    REFERRAL = "referral"
    SUPPORTER = "supporter"
    FOLLOW_UP_DAYS = "follow_up_days"
    INCIDENT_KIND = "incident_kind"
    INCIDENT_NAME = "incident_name"
    INCIDENT_DATE = "incident_date"
    INCIDENT_PEOPLE = "incident_people"
    INCIDENT_CHANNEL = "incident_channel"
    INCIDENT_PLAN = "incident_plan"
    DEBRIEF_DATE = "debrief_date"
    DEBRIEF_TIME = "debrief_time"
    DEBRIEF_PLACE = "debrief_place"
    CONTACT_DATE = "contact_date"
    CONTACT_MINUTES = "contact_minutes"
    CONTACT_AREAS = "contact_areas"
    CONTACT_CHANNEL = "contact_channel"
    CONTACT_REFERRAL = "contact_referral"
