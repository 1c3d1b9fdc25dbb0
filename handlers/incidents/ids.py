"""Slack identifiers of incidents and their check-ins."""

from __future__ import annotations

from enum import StrEnum


class IncidentAction(StrEnum):
    """``action_id`` of check-in answers and the Home's incident button."""

    CHECKIN_OK = "checkin_ok"
    CHECKIN_TALK = "checkin_talk"
    CHECKIN_STOP = "checkin_stop"
    HOME_INCIDENT = "home_incident"
    HOME_FOLLOW_UP = "home_incident_follow_up"  # one per incident on the coordinator's Home
    CLOSE_EARLY = "incident_close_early"  # in the follow-up view


class IncidentCallback(StrEnum):
    """``callback_id`` of the incident modal."""

    INCIDENT = "peer_incident"
    FOLLOW_UP = "peer_incident_follow_up"


class IncidentField(StrEnum):
    """``block_id`` of the incident modal's inputs (their element's ``action_id`` is the same string)."""

    INCIDENT_KIND = "incident_kind"
    INCIDENT_NAME = "incident_name"
    INCIDENT_DATE = "incident_date"
    INCIDENT_PEOPLE = "incident_people"
    INCIDENT_CHANNEL = "incident_channel"
    INCIDENT_PLAN = "incident_plan"
    DEBRIEF_DATE = "debrief_date"
    DEBRIEF_TIME = "debrief_time"
    DEBRIEF_PLACE = "debrief_place"
    ADD_PEOPLE = "incident_add_people"
    CHANGE_PLAN = "incident_change_plan"
    WORDING_EARLY = "incident_wording_early"
    WORDING_LATER = "incident_wording_later"


class IncidentBlockId(StrEnum):
    """``block_id`` of blocks in check-in messages."""

    CHECKIN = "checkin"
    CLOSE_EARLY = "incident_close_early"
