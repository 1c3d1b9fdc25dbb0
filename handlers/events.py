"""Events API listeners."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.services import Services
from handlers.parsing import direct_message


def register(app: AsyncApp) -> None:
    """Bind every event."""
    app.event("app_home_opened")(on_home_opened)
    # The manifest subscribes to ``message.im``; Bolt binds it as "message" (it refuses
    # "message.im"), and every message event matches, so none is "unhandled" and logged.
    app.event("message")(on_direct_message)


async def on_home_opened(event: dict[str, Any], services: Services) -> None:
    """Publish the Home tab as it is now, tailored to the person's roles (after the answer to Slack)."""
    if event.get("tab") != "home":
        return
    services.background.spawn(services.homes.opened(event["user"]), name="publish_home")


async def on_direct_message(body: dict[str, Any], event: dict[str, Any], services: Services) -> None:
    """A message in someone's DM with the app: relayed if it is in an anonymous conversation's thread.

    The event id is claimed before the ack (a quick insert), so a redelivery relays nothing twice.
    """
    message = direct_message(event)
    event_id = body.get("event_id")
    if message is not None and isinstance(event_id, str):
        await services.relay.receive(event_id=event_id, message=message)
