"""Slack identifiers of the roster: volunteers, availability, being away."""

from __future__ import annotations

from enum import StrEnum


class RosterAction(StrEnum):
    """``action_id`` of the roster's buttons."""

    VOLUNTEER_APPROVE = "volunteer_approve"
    VOLUNTEER_DECLINE = "volunteer_decline"
    AVAILABLE_AGAIN = "supporter_available_again"
    PAUSE_OFFERS = "home_pause_offers"
    VOLUNTEER = "home_volunteer"
    # The coordinator's Home: the roster's work, each a modal.
    HOME_ADD_SUPPORTER = "home_roster_add"
    HOME_TRAINING = "home_roster_training"
    HOME_SUSPEND = "home_roster_suspend"
    HOME_VOLUNTEERS = "home_roster_volunteers"
    HOME_ROLES = "home_roster_roles"
    HOME_PROFILE = "home_roster_profile"
    HOME_ROSTER_ALL = "home_roster_all"


class RosterCallback(StrEnum):
    """``callback_id`` of the away modal and of the coordinator's roster modals."""

    AWAY = "peer_away"
    ADD_SUPPORTER = "peer_roster_add"
    TRAINING = "peer_roster_training"
    SUSPEND = "peer_roster_suspend"
    VOLUNTEERS = "peer_roster_volunteers"
    ROLES = "peer_roster_roles"
    PROFILE = "peer_roster_profile"


class RosterField(StrEnum):
    """``block_id`` of the roster modals' inputs (each element's ``action_id`` is the same string)."""

    AWAY_UNTIL = "away_until"
    SUPPORTER = "roster_person"
    TRAINED_ON = "roster_trained_on"
    TRAINING_KIND = "roster_training_kind"
    TRAINING_NAME = "roster_training_name"
    PAUSE = "roster_pause"
    VOLUNTEER = "roster_volunteer"
    DECISION = "roster_volunteer_decision"
    ROLE = "roster_role"
    ROLE_CHANGE = "roster_role_change"
    SUPPORTER_ROLE = "roster_supporter_role"
    SUPPORTER_UNIT = "roster_supporter_unit"


class RosterBlockId(StrEnum):
    """``block_id`` of blocks in roster messages."""

    VOLUNTEER = "volunteer"
    AWAY = "away"
    ROLES_NOW = "roles_now"
