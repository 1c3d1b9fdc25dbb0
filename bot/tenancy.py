"""Workspaces: who a piece of work belongs to when one deployment serves many offices.

In single-workspace mode (a bot token in the environment) there is one workspace and nothing
here changes how the app runs. In distribution mode (Slack OAuth installs) every office that
installs the app is a :class:`Workspace`, with its own data, its own token and its own settings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

__all__ = ["TokenSource", "Workspace", "WorkspaceData"]

_SLACK_ID = re.compile(r"^[A-Z0-9]{2,32}$")


@dataclass(frozen=True, slots=True)
class Workspace:
    """One Slack workspace (team), and its Enterprise Grid organization when it has one."""

    team_id: str
    enterprise_id: str | None = None

    def __post_init__(self) -> None:
        # The key names files and schemas: only Slack's own id alphabet may reach it.
        for value in (self.team_id, self.enterprise_id):
            if value is not None and not _SLACK_ID.match(value):
                raise ValueError("not a Slack team or enterprise id")

    @classmethod
    def from_key(cls, key: str) -> Workspace:
        """The workspace whose :attr:`key` is ``key`` (Slack's ids are upper case)."""
        enterprise, _, team = key.upper().rpartition("_")
        return cls(team_id=team, enterprise_id=enterprise or None)

    @property
    def key(self) -> str:
        """A stable name for this workspace, safe in a file name or a PostgreSQL schema name."""
        return f"{self.enterprise_id}_{self.team_id}".lower() if self.enterprise_id else self.team_id.lower()


class TokenSource(Protocol):
    """Where a workspace's bot token comes from: the environment, or its installation."""

    async def bot_token(self, workspace: Workspace) -> str | None:
        """The workspace's current bot token (refreshed if it rotates), or None when not installed."""
        ...


class WorkspaceData(Protocol):
    """The data a workspace owns, as a whole."""

    async def forget(self, workspace: Workspace) -> None:
        """Delete everything stored for ``workspace`` (gone from the database files too)."""
        ...
