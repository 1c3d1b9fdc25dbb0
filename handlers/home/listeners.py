"""The App Home tab: published when opened (Events API ``app_home_opened``)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.services import Services


def register(app: AsyncApp) -> None:
    """Bind ``app_home_opened`` (the Home's buttons belong to the features they act for)."""
    app.event("app_home_opened")(on_home_opened)


async def on_home_opened(event: dict[str, Any], services: Services) -> None:
    """Publish the Home tab as it is now, tailored to the person's roles (after the answer to Slack)."""
    if event.get("tab") != "home":
        return
    services.background.spawn(services.homes.opened(event["user"]), name="publish_home")
