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
    VOLUNTEER_APPROVE = "volunteer_approve"
    VOLUNTEER_DECLINE = "volunteer_decline"
    RSVP = "event_rsvp"
    CANCEL_REQUEST = "home_cancel_request"
    PAUSE_OFFERS = "home_pause_offers"
    LOG_CONTACT = "home_log_contact"
    VOLUNTEER = "home_volunteer"
    HOME_INCIDENT = "home_incident"
    HOME_EVENT = "home_event"
    HOME_STATS = "home_stats"
    EVENT_EDIT = "event_edit"
    EVENT_CANCEL = "event_cancel"
    OPEN_CONCERN = "home_open_concern"
    CONCERN_TAKE = "concern_take"
    CONCERN_HAND_TO = "concern_hand_to"
    CARE_OK = "care_ok"
    CARE_TALK = "care_talk"


class Callback(StrEnum):
    """``callback_id`` of modals."""

    REQUEST = "peer_request"
    CLOSE = "peer_request_close"
    HAND_TO = "peer_escalation_hand_to"
    INCIDENT = "peer_incident"
    EVENT = "peer_event"
    EVENT_EDIT = "peer_event_edit"
    AWAY = "peer_away"
    LOG_CONTACT = "peer_log_contact"
    CONCERN = "peer_concern"
    CONCERN_HAND_TO = "peer_concern_hand_to"


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
    FOLLOW_UP_DAYS = "follow_up_days"
    HEAVY = "heavy"
    INCIDENT_KIND = "incident_kind"
    INCIDENT_NAME = "incident_name"
    INCIDENT_DATE = "incident_date"
    INCIDENT_PEOPLE = "incident_people"
    INCIDENT_CHANNEL = "incident_channel"
    INCIDENT_PLAN = "incident_plan"
    DEBRIEF_DATE = "debrief_date"
    DEBRIEF_TIME = "debrief_time"
    DEBRIEF_PLACE = "debrief_place"
    EVENT_TITLE = "event_title"
    EVENT_KIND = "event_kind"
    EVENT_DATE = "event_date"
    EVENT_START = "event_start"
    EVENT_END = "event_end"
    EVENT_PLACE = "event_place"
    EVENT_DESCRIPTION = "event_description"
    EVENT_CHANNEL = "event_channel"
    AWAY_UNTIL = "away_until"
    CONTACT_DATE = "contact_date"
    CONTACT_MINUTES = "contact_minutes"
    CONTACT_AREA = "contact_area"
    CONTACT_REFERRAL = "contact_referral"
    CONCERN_SUBJECT = "concern_subject"
    CONCERN_NOTE = "concern_note"
    CONCERN_CONTACT_ME = "concern_contact_me"
    CONCERN_SUPPORTER = "concern_supporter"
