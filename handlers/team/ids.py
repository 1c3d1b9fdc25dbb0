"""Slack identifiers of supporters' profiles and the team directory."""

from __future__ import annotations

from enum import StrEnum


class TeamAction(StrEnum):
    """``action_id`` of the profile's button."""

    EDIT_PROFILE = "home_edit_profile"


class TeamCallback(StrEnum):
    """``callback_id`` of the profile modal."""

    PROFILE = "peer_profile"


class TeamField(StrEnum):
    """``block_id`` of the profile modal's inputs (their element's ``action_id`` is the same string)."""

    ROLE = "profile_role"
    UNIT = "profile_unit"
    LOCATION = "profile_location"
    LANGUAGES = "profile_languages"
    TAGS = "profile_tags"
    OTHER_TAGS = "profile_other_tags"
    ABOUT = "profile_about"


class TeamBlockId(StrEnum):
    """``block_id`` of blocks on the Home tab."""

    PROFILE = "team_profile"
    TEAM = "team_directory"
