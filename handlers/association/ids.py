"""Slack identifiers of the statistics across offices: none (a ``/peer`` subcommand only, whose
answer has no buttons)."""

from __future__ import annotations
