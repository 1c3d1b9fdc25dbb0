"""Slack identifiers common to every feature; each feature keeps its own in ``handlers/<feature>/ids.py``."""

from __future__ import annotations

from enum import StrEnum


class Command(StrEnum):
    """Slash commands (one: ``/peer``; its subcommands belong to the features)."""

    PEER = "/peer"
