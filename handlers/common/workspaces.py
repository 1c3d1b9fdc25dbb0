"""The Slack side of many workspaces: which workspace a request comes from, Bolt's authorization
from a :class:`bot.tenancy.TokenSource`, and a Web API client that always carries its workspace's
current bot token.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncBoltContext
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.tenancy import TokenSource, Workspace

__all__ = ["NOT_INSTALLED", "UNAVAILABLE", "token_authorize", "WorkspaceClient", "workspace_of"]

log = logging.getLogger(__name__)

# What someone sees when their workspace has not installed the app (or has just removed it).
NOT_INSTALLED = (
    "Peer support isn't set up in this workspace (or it was just removed). Ask your office's"
    " Slack administrator to install it. If you need someone now, call or text 988."
)
# What someone sees when their office's data cannot be opened just now (a fault, logged).
UNAVAILABLE = (
    "Peer support can't be reached right now; please try again in a few minutes. If you need"
    " someone now, call or text 988."
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


AuthorizeFunction = Callable[..., Awaitable[AuthorizeResult | None]]


def token_authorize(tokens: TokenSource, client: AsyncWebClient) -> AuthorizeFunction:
    """Bolt's ``authorize``: the workspace's bot token from the :class:`TokenSource` (None, and
    Bolt's polite "not installed" answer, for a workspace without one). The bot's user and bot
    ids are asked of Slack once per workspace (``auth.test``) and kept.

    A plain function, not a callable object: Bolt passes its arguments by the names it declares.
    """
    ids: dict[str, tuple[str | None, str | None]] = {}

    async def authorize(enterprise_id: str | None, team_id: str | None) -> AuthorizeResult | None:
        if not team_id:
            return None
        try:
            workspace = Workspace(team_id=team_id, enterprise_id=enterprise_id or None)
        except ValueError:
            return None
        token = await tokens.bot_token(workspace)
        if token is None:
            return None
        known = ids.get(workspace.key)
        if known is None:
            answer = await client.auth_test(token=token)
            known = ids[workspace.key] = (answer.get("user_id"), answer.get("bot_id"))
        return AuthorizeResult(
            enterprise_id=enterprise_id,
            team_id=team_id,
            bot_token=token,
            bot_user_id=known[0],
            bot_id=known[1],
        )

    return authorize
