"""Slack identifiers of anonymous (relayed) conversations."""

from __future__ import annotations

from enum import StrEnum


class RelayAction(StrEnum):
    """``action_id`` of a conversation's buttons."""

    RELAY_REVEAL = "relay_reveal"
    RELAY_END = "relay_end"
    RELAY_RENAME = "relay_rename"


class RelayCallback(StrEnum):
    """``callback_id`` of the rename modal."""

    RELAY_RENAME = "peer_relay_rename"


class RelayField(StrEnum):
    """``block_id`` of the rename modal's input (its element's ``action_id`` is the same string)."""

    LABEL = "label"


class RelayBlockId(StrEnum):
    """``block_id`` of blocks in conversation messages."""

    CONVERSATION = "conversation"
