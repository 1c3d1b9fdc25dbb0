"""Slack identifiers of confidential tracking: logged contacts and statistics."""

from __future__ import annotations

from enum import StrEnum


class TrackingAction(StrEnum):
    """``action_id`` of the tracking buttons on the Home tab."""

    LOG_CONTACT = "home_log_contact"
    HOME_STATS = "home_stats"
    HOME_REPORT = "home_report"


class TrackingCallback(StrEnum):
    """``callback_id`` of the log-a-contact modal."""

    LOG_CONTACT = "peer_log_contact"


class TrackingField(StrEnum):
    """``block_id`` of the log-a-contact modal's inputs (their element's ``action_id`` is the same string)."""

    CONTACT_DATE = "contact_date"
    CONTACT_MINUTES = "contact_minutes"
    CONTACT_AREAS = "contact_areas"
    CONTACT_CHANNEL = "contact_channel"
    CONTACT_REFERRAL = "contact_referral"
