"""Opening modals after the ack (a ``trigger_id`` lives three seconds)."""

from __future__ import annotations

from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.services import Services


def open_view(services: Services, client: AsyncWebClient, *, trigger_id: str, view: dict[str, Any]) -> None:
    """Open ``view`` in the background, so the ack never waits on Slack."""
    services.background.spawn(client.views_open(trigger_id=trigger_id, view=view), name="views_open")
