"""Slack identifiers of an office's settings."""

from __future__ import annotations

from enum import StrEnum


class OfficeAction(StrEnum):
    """``action_id`` of the settings button on a coordinator's Home."""

    HOME_SETTINGS = "home_office_settings"


class OfficeCallback(StrEnum):
    """``callback_id`` of the settings modal."""

    SETTINGS = "peer_office_settings"


class OfficeField(StrEnum):
    """``block_id`` of the settings modal's inputs (their element's ``action_id`` is the same
    string), one per setting an office may change."""

    TIMEZONE = "office_peer_timezone"
    SERVICE_HOURS = "office_peer_service_hours"
    OFFER_TIMEOUT = "office_peer_offer_timeout"
    OFFER_TIMEOUT_ASAP = "office_peer_offer_timeout_asap"
    OFFER_TIMEOUT_NO_RUSH = "office_peer_offer_timeout_no_rush"
    RESOURCES = "office_peer_resources"
    RETENTION_DAYS = "office_peer_retention_days"
    MIN_COUNT = "office_peer_min_count"

    @classmethod
    def of(cls, name: str) -> OfficeField:
        """The field of a setting (``PEER_TIMEZONE`` → ``office_peer_timezone``)."""
        return cls(f"office_{name.lower()}")

    @property
    def setting(self) -> str:
        """The setting's environment variable name."""
        return self.value.removeprefix("office_").upper()


class OfficeChoice(StrEnum):
    """``block_id`` (and ``action_id``) of the settings modal's choices that are not a setting of
    the environment."""

    # Whether the office shares its published statistics with the association (bot/association.py).
    SHARE_STATISTICS = "office_share_statistics"


# The one option of the sharing checkbox.
SHARED = "shared"
