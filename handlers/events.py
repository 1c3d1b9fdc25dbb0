"""Events API listeners."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.services import Services
from handlers.blocks.home import home_view


def register(app: AsyncApp) -> None:
    """Bind every event."""
    app.event("app_home_opened")(on_home_opened)


async def on_home_opened(event: dict[str, Any], services: Services, client: AsyncWebClient) -> None:
    """Publish the Home tab, tailored to the person's roles."""
    if event.get("tab") != "home":
        return
    user_id = event["user"]
    supporter = await services.roster.get(user_id)
    view = home_view(
        is_supporter=supporter is not None,
        is_coordinator=await services.roles.has_coordinator_role(user_id),
        resources=services.resources,
    )
    services.background.spawn(client.views_publish(user_id=user_id, view=view), name="views_publish")
