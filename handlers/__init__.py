"""The Slack side: Bolt listeners, Block Kit builders, the notifier, the HTTP front."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.response import BoltResponse

from bot.services import Services
from handlers import actions, commands, events, home_actions, middleware, program_actions, views
from handlers.errors import SOMETHING_WENT_WRONG

log = logging.getLogger(__name__)


def register(app: AsyncApp, services: Services) -> None:
    """Bind every listener, the services middleware and the one error handler."""
    middleware.register(app, services)
    commands.register(app)
    actions.register(app)
    program_actions.register(app)
    home_actions.register(app)
    views.register(app)
    events.register(app)

    @app.error
    async def on_error(error: Exception, body: dict[str, Any]) -> BoltResponse:
        # The type only: exception messages from libraries can carry payload text.
        log.error("listener failed (%s): %s", _kind(body), type(error).__name__)
        if body.get("command"):
            return BoltResponse(
                status=200,
                body={"response_type": "ephemeral", "text": SOMETHING_WENT_WRONG},
            )
        if body.get("type") == "view_submission" and (block_id := _first_input(body)):
            # An empty answer would close the modal as if it had worked: keep it open, say so.
            return BoltResponse(
                status=200, body={"response_action": "errors", "errors": {block_id: SOMETHING_WENT_WRONG}}
            )
        return BoltResponse(status=200, body="")


def _first_input(body: dict[str, Any]) -> str | None:
    view = body.get("view")
    blocks = view.get("blocks") if isinstance(view, dict) else None
    for block in blocks if isinstance(blocks, list) else []:
        if (
            isinstance(block, dict)
            and block.get("type") == "input"
            and isinstance(block.get("block_id"), str)
        ):
            return block["block_id"]
    return None


def _kind(body: dict[str, Any]) -> str:
    return str(body.get("type") or ("slash_command" if body.get("command") else "unknown"))
