"""Bolt middleware: put the domain services of the request's workspace into every listener's context."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext, AsyncRespond
from slack_bolt.request.payload_utils import is_event
from slack_bolt.response import BoltResponse

from bot.failures import failure
from bot.services import Services
from bot.tenancy import Workspace
from handlers.common.workspaces import NOT_INSTALLED, UNAVAILABLE, workspace_of

log = logging.getLogger(__name__)

# Events about the installation itself, handled whether or not the workspace is still installed.
LIFECYCLE_EVENTS = frozenset({"app_uninstalled", "tokens_revoked"})

# The services of a request's workspace (None: Slack named none): None when it is not installed.
ServicesFor = Callable[[Workspace | None], Awaitable[Services | None]]


def register(app: AsyncApp, services: ServicesFor) -> None:
    """Every listener may declare a ``services`` argument: its workspace's services (in
    single-workspace mode the office's, whatever the team)."""

    @app.middleware
    async def inject_services(
        context: AsyncBoltContext,
        body: dict[str, Any],
        respond: AsyncRespond,
        next: Callable[[], Awaitable[None]],
    ) -> BoltResponse | None:
        if _lifecycle_event(body):
            # A workspace leaving (its tokens may be gone already): the install flow's listeners
            # record it; they need no office's services.
            await next()
            return None
        workspace = workspace_of(context)
        try:
            found = await services(workspace)
        except Exception as exc:  # noqa: BLE001 - the office could not open: said politely, logged
            log.error("a workspace's office failed to open: %s", failure(exc))
            return await _answer(body, context, respond, UNAVAILABLE)
        if found is None:
            log.info("a request from a workspace that is not installed")
            return await _answer(body, context, respond, NOT_INSTALLED)
        context["services"] = found
        await next()
        return None


def _lifecycle_event(body: dict[str, Any]) -> bool:
    event = body.get("event")
    return is_event(body) and isinstance(event, dict) and event.get("type") in LIFECYCLE_EVENTS


async def _answer(
    body: dict[str, Any], context: AsyncBoltContext, respond: AsyncRespond, text: str
) -> BoltResponse:
    """Never a 500: a polite answer where the person can see one (a slash command's own reply, else
    its ``response_url``), a plain 200 otherwise (events, which Slack would only retry)."""
    if body.get("command"):
        return BoltResponse(status=200, body={"response_type": "ephemeral", "text": text})
    if not is_event(body) and context.response_url is not None:
        await respond(text, response_type="ephemeral")
    return BoltResponse(status=200, body="")
