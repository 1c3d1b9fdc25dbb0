"""Bolt middleware: put the domain services of the request's workspace into every listener's context."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_bolt.request.payload_utils import is_event

from bot.services import Services
from bot.tenancy import Workspace
from handlers.common.workspaces import NOT_INSTALLED, workspace_of

log = logging.getLogger(__name__)

# The services of a workspace: None when it is not installed.
ServicesFor = Callable[[Workspace], Awaitable[Services | None]]


def register(app: AsyncApp, services: Services | ServicesFor) -> None:
    """Every listener may declare a ``services`` argument: its workspace's services.

    With one :class:`Services` (single-workspace mode), every request gets them, whatever its team.
    """

    @app.middleware
    async def inject_services(
        context: AsyncBoltContext,
        body: dict[str, Any],
        ack: AsyncAck,
        respond: AsyncRespond,
        next: Callable[[], Awaitable[None]],
    ) -> None:
        if isinstance(services, Services):
            context["services"] = services
            await next()
            return
        workspace = workspace_of(context)
        found = None if workspace is None else await services(workspace)
        if found is None:
            # Never a 500: a polite answer where the person can see one, an ack otherwise.
            log.info("a request from a workspace that is not installed")
            if is_event(body) or context.response_url is None:
                await ack()
            else:
                await ack()
                await respond(NOT_INSTALLED, response_type="ephemeral")
            return
        context["services"] = found
        await next()
