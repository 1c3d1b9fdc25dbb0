"""Opening modals after the ack (a ``trigger_id`` lives three seconds)."""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient

from bot.services import Services
from handlers.blocks.requests import request_modal


def open_view(services: Services, client: AsyncWebClient, *, trigger_id: str, view: dict) -> None:
    """Open ``view`` in the background, so the ack never waits on Slack."""
    services.background.spawn(client.views_open(trigger_id=trigger_id, view=view), name="views_open")


def open_request_modal(services: Services, client: AsyncWebClient, *, trigger_id: str) -> None:
    """Open the request modal."""
    open_view(
        services,
        client,
        trigger_id=trigger_id,
        view=request_modal(note_max_length=services.note_max_length),
    )
