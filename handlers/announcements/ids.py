"""Slack identifiers of announcements (the program's events)."""

from __future__ import annotations

from enum import StrEnum


class AnnouncementAction(StrEnum):
    """``action_id`` of the event buttons."""

    RSVP = "event_rsvp"
    HOME_EVENT = "home_event"
    EVENT_EDIT = "event_edit"
    EVENT_CANCEL = "event_cancel"


class AnnouncementCallback(StrEnum):
    """``callback_id`` of the event modals."""

    EVENT = "peer_event"
    EVENT_EDIT = "peer_event_edit"


class AnnouncementField(StrEnum):
    """``block_id`` of the event modal's inputs (their element's ``action_id`` is the same string)."""

    EVENT_TITLE = "event_title"
    EVENT_KIND = "event_kind"
    EVENT_DATE = "event_date"
    EVENT_START = "event_start"
    EVENT_END = "event_end"
    EVENT_PLACE = "event_place"
    EVENT_DESCRIPTION = "event_description"
    EVENT_CHANNEL = "event_channel"


class AnnouncementBlockId(StrEnum):
    """``block_id`` of blocks in event posts."""

    RSVP = "rsvp"
