"""The test rig: the real app over real HTTP, signed like Slack, against the stand-in."""

from __future__ import annotations

from typing import Any

import aiohttp

from bot.app import PeerSupportApp
from bot.clock import ManualClock
from bot.config import Settings
from slack_standin import SlackStandIn
from slack_standin.driver import (  # noqa: F401 - re-exported for the tests
    SIGNING_SECRET,
    TOKEN,
    Response,
    SlackDriver,
    find_button,
    has_button,
    sign,
    state_values,
    text_of,
)
from slack_standin.server import Message


def make_settings(slack: SlackStandIn, database_url: str, **overrides: Any) -> Settings:
    """Settings for a test app pointed at the stand-in."""
    values: dict[str, Any] = {
        "slack_bot_token": TOKEN,
        "slack_signing_secret": SIGNING_SECRET,
        "slack_api_url": slack.base_url,
        "database_url": database_url,
        "peer_coordinators": "UCOORD1,UCOORD2",
        "peer_service_hours": "any",
        "peer_sweep_seconds": 3600,
        # The tests written before offer times by urgency give every offer 15 minutes; those about
        # urgency set their own.
        "peer_offer_timeout": 900,
        "peer_offer_timeout_asap": 900,
        "peer_offer_timeout_no_rush": 900,
        "log_level": "INFO",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


class Rig(SlackDriver):
    """Drives one running app the way Slack would, and watches what it does."""

    def __init__(
        self, slack: SlackStandIn, app: PeerSupportApp, clock: ManualClock, session: aiohttp.ClientSession
    ) -> None:
        super().__init__(slack, session, url=f"http://127.0.0.1:{app.port}/slack/events")
        self.app = app
        self.clock = clock

    async def settle(self) -> None:
        """Wait for the app's after-the-ack work to finish."""
        await self.app.background.drain()

    async def health(self) -> Response:
        """GET /healthz."""
        async with self.session.get(f"http://127.0.0.1:{self.app.port}/healthz") as resp:
            return Response(status=resp.status, text=await resp.text())

    # Conveniences over the stand-in

    def last_view(self, callback_id: str) -> dict[str, Any]:
        """The most recently opened view with this callback id."""
        views = [v for v in self.slack.views.values() if v.get("callback_id") == callback_id]
        assert views, f"no view {callback_id} was opened"
        return views[-1]

    def offers_to(self, user_id: str) -> list[Message]:
        """Offer DMs a supporter received (whatever their state now)."""
        return [m for m in self.slack.dms(user_id) if _is_offer(m)]

    def open_offers_to(self, user_id: str) -> list[Message]:
        """Offer DMs that still show Accept/Pass."""
        return [m for m in self.offers_to(user_id) if has_button(m.blocks, "offer_accept")]


def _is_offer(message: Message) -> bool:
    everything = [message.blocks, *(h["blocks"] for h in message.history)]
    return any(has_button(blocks, "offer_accept") for blocks in everything)
