"""What a feature hands to the app: its listeners, its ``/peer`` subcommands and its Slack identifiers.

Each ``handlers/<feature>/__init__.py`` exposes one ``FEATURE``; ``handlers.register`` binds them all.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.periods import Publication
from bot.services import Services

# ``/peer <name> args…`` answered in text (ephemeral).
Subcommand = Callable[[Services, str, list[str]], Awaitable[str]]
# ``/peer <name> args…`` that opens a modal: the view, or None for "not a form, answer in text".
FormOpener = Callable[[Services, str, list[str]], Awaitable[dict[str, Any] | None]]
# ``/peer <name> [period]``: acked at once, the report sent after.
Report = Callable[[Services, AsyncWebClient, AsyncRespond, str, Publication], Coroutine[Any, Any, None]]
# ``/peer <name> [period]`` of the deployment rather than an office (the association's statistics):
# given the person's team id and user id; to anyone else it is an unknown subcommand.
DeploymentReport = Callable[[Services, AsyncRespond, str, str, Publication], Coroutine[Any, Any, None]]
IdEnum = type[StrEnum]


@dataclass(frozen=True, kw_only=True)
class Feature:
    """One feature's Slack side, registered by ``handlers.register``."""

    name: str
    # Binds the feature's action, view and event listeners (every identifier bound here only).
    register: Callable[[AsyncApp], None]
    # ``action_id`` enums, ``callback_id`` enums, input ``block_id`` enums, message ``block_id`` enums.
    actions: tuple[IdEnum, ...] = ()
    callbacks: tuple[IdEnum, ...] = ()
    fields: tuple[IdEnum, ...] = ()
    block_ids: tuple[IdEnum, ...] = ()
    # ``/peer`` subcommands, by their (lower-case) first word.
    forms: Mapping[str, FormOpener] = field(default_factory=dict)
    reports: Mapping[str, Report] = field(default_factory=dict)
    subcommands: Mapping[str, Subcommand] = field(default_factory=dict)
    deployment_reports: Mapping[str, DeploymentReport] = field(default_factory=dict)

    @property
    def id_enums(self) -> tuple[IdEnum, ...]:
        """Every identifier enum of the feature."""
        return (*self.actions, *self.callbacks, *self.fields, *self.block_ids)
