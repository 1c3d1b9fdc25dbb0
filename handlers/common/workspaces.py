"""The Slack side of many workspaces: which workspace a request comes from, Bolt's authorization
from a :class:`bot.tenancy.TokenSource`, and a Web API client that always carries its workspace's
current bot token.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncBoltContext
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.tenancy import TokenSource, Workspace

__all__ = ["NOT_INSTALLED", "TokenAuthorize", "WorkspaceClient", "workspace_of"]

log = logging.getLogger(__name__)

# What someone sees when their workspace has not installed the app (or has just removed it).
NOT_INSTALLED = (
    "Peer support isn't set up in this workspace (or it was just removed). Ask your office's"
    " Slack administrator to install it. If you need someone now, call or text 988."
)


def workspace_of(context: AsyncBoltContext) -> Workspace | None:
    """The workspace a request comes from (with its Enterprise Grid organization), or None.

    Slack sends the team and, on Enterprise Grid, the organization with every payload (a slash
    command's ``team_id``/``enterprise_id``, an interaction's ``team``, an event's
    ``authorizations``); Bolt puts them in the context. An organization-wide install sends no team:
    each workspace of an organization installs the app on its own (its own office, its own data).
    """
    team_id = context.team_id
    if not team_id:
        return None
    try:
        return Workspace(team_id=team_id, enterprise_id=context.enterprise_id or None)
    except ValueError:
        return None


class WorkspaceClient(AsyncWebClient):
    """A Web API client for one workspace, asking its :class:`TokenSource` for the bot token before
    every call (a rotating token is refreshed there, never held stale in a long-lived client)."""

    def __init__(self, *, tokens: TokenSource, workspace: Workspace, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._tokens = tokens
        self._workspace = workspace

    async def api_call(self, api_method: str, **kwargs: Any) -> AsyncSlackResponse:
        """Set the current token, then call (the token is read as the request is built)."""
        self.token = await self._tokens.bot_token(self._workspace)
        return await super().api_call(api_method, **kwargs)


class TokenAuthorize:
    """Bolt's ``authorize``: the workspace's bot token from the :class:`TokenSource` (None, and
    Bolt's polite "not installed" answer, for a workspace without one). The bot's user and bot
    ids are asked of Slack once per workspace (``auth.test``) and kept."""

    def __init__(self, tokens: TokenSource, client: AsyncWebClient) -> None:
        self._tokens = tokens
        self._client = client
        self._ids: dict[str, tuple[str | None, str | None]] = {}

    async def __call__(self, *, enterprise_id: str | None, team_id: str | None) -> AuthorizeResult | None:
        """Authorize one request."""
        if not team_id:
            return None
        try:
            workspace = Workspace(team_id=team_id, enterprise_id=enterprise_id or None)
        except ValueError:
            return None
        token = await self._tokens.bot_token(workspace)
        if token is None:
            return None
        ids = self._ids.get(workspace.key)
        if ids is None:
            answer = await self._client.auth_test(token=token)
            ids = (answer.get("user_id"), answer.get("bot_id"))
            self._ids[workspace.key] = ids
        return AuthorizeResult(
            enterprise_id=enterprise_id, team_id=team_id, bot_token=token, bot_user_id=ids[0], bot_id=ids[1]
        )
