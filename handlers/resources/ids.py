"""Slack identifiers of the resource directory."""

from __future__ import annotations

from enum import StrEnum


class ResourceAction(StrEnum):
    """``action_id`` of the directory's buttons on a coordinator's Home."""

    RESOURCE_ADD = "home_resource_add"
    RESOURCE_EDIT = "home_resource_edit"
    SHARE = "request_share_resource"  # the holder of a request: on the held card and their Home


class ResourceCallback(StrEnum):
    """``callback_id`` of the directory's modals."""

    RESOURCE = "peer_resource"
    SHARE = "peer_share_resource"


class ResourceField(StrEnum):
    """``block_id`` of the resource modal's inputs (their element's ``action_id`` is the same string)."""

    NAME = "resource_name"
    PURPOSE = "resource_purpose"
    PHONE = "resource_phone"
    TEXT = "resource_text"
    URL = "resource_url"
    HOURS = "resource_hours"
    COST = "resource_cost"
    CONFIDENTIAL = "resource_confidential"
    TOPICS = "resource_topics"
    REMOVE = "resource_remove"
    SHARE = "share_resources"  # the share modal's pick of entries


class ResourceBlockId(StrEnum):
    """``block_id`` of the directory's Home blocks; those ending in ``_`` are followed by an entry's id."""

    RESOURCES = "resources"
    RESOURCE = "resource_"
    RESOURCE_ACTIONS = "resource_actions"
