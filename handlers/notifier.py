"""The domain's :class:`~bot.ports.Notifier`, implemented with Slack's Web API."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import DeliveryFailed
from bot.ports import CheckinCard, DebriefCard, EscalationCard, FollowUpCard, IncidentReady, OfferCard
from handlers.blocks import incidents as ib
from handlers.blocks import requests as rb
from handlers.blocks.common import NEUTRAL_TEXT, UPDATED_TEXT
from storage.models import ContactMode, MessageRef, Referral

# Slack errors that mean "this person cannot get a DM from us": skip them, don't retry.
UNDELIVERABLE = frozenset(
    {
        "user_not_found",
        "channel_not_found",
        "account_inactive",
        "cannot_dm_bot",
        "messages_tab_disabled",
        "is_archived",
        "user_disabled",
    }
)


class SlackNotifier:
    """Sends the program's DMs; every ``text`` is the neutral lock-screen line."""

    def __init__(self, client: AsyncWebClient, *, tz: ZoneInfo, hours: str, resources: Sequence[str]) -> None:
        self._client = client
        self._tz = tz
        self._hours = hours
        self._resources = tuple(resources)

    async def send_offer(self, supporter_id: str, card: OfferCard) -> MessageRef:
        """DM the offer; returns where it landed."""
        return await self._post(supporter_id, rb.offer_message(card, tz=self._tz))

    async def update_offer(self, ref: MessageRef, card: OfferCard) -> None:
        """Redraw the offer in place."""
        await self._client.chat_update(
            channel=ref.channel_id,
            ts=ref.ts,
            text=UPDATED_TEXT,
            blocks=rb.offer_message(card, tz=self._tz),
        )

    async def request_received(
        self, requester_id: str, *, request_id: int, next_opening: datetime | None
    ) -> MessageRef:
        """Confirm a request to the requester."""
        blocks = rb.request_received(
            request_id=request_id,
            next_opening=next_opening,
            hours=self._hours,
            tz=self._tz,
            resources=self._resources,
        )
        return await self._post(requester_id, blocks)

    async def request_assigned(
        self, requester_id: str, *, supporter_id: str, contact: ContactMode
    ) -> MessageRef:
        """Tell the requester who will reach out."""
        return await self._post(requester_id, rb.request_assigned(supporter_id=supporter_id, contact=contact))

    async def request_escalated(self, requester_id: str) -> MessageRef:
        """Tell the requester nobody is free yet."""
        return await self._post(requester_id, rb.request_escalated(resources=self._resources))

    async def alert_coordinator(self, coordinator_id: str, card: EscalationCard) -> MessageRef:
        """DM one coordinator that a request is waiting (area and urgency only)."""
        return await self._post(coordinator_id, rb.escalation_alert(card, tz=self._tz))

    async def request_closed(self, requester_id: str, *, referral: Referral) -> None:
        """Tell the requester the request was closed."""
        await self._post(requester_id, rb.request_closed(resources=self._resources))

    async def request_withdrawn(self, supporter_id: str, *, request_id: int) -> None:
        """Tell the holder the request was withdrawn."""
        await self._post(supporter_id, rb.request_withdrawn(request_id=request_id))

    async def supporter_set_away(self, supporter_id: str, *, expired_in_a_row: int) -> None:
        """Tell a supporter they were set to away."""
        await self._post(supporter_id, rb.set_away_notice(expired_in_a_row=expired_in_a_row))

    async def supporter_unreachable(self, coordinator_id: str, *, supporter_id: str, reason: str) -> None:
        """Tell a coordinator a supporter cannot get DMs (the request is not named)."""
        await self._post(coordinator_id, rb.supporter_unreachable(supporter_id=supporter_id, reason=reason))

    async def send_checkin(self, recipient_id: str, card: CheckinCard) -> MessageRef:
        """DM a check-in."""
        return await self._post(recipient_id, ib.checkin_message(card, resources=self._resources))

    async def update_checkin(self, ref: MessageRef, card: CheckinCard) -> None:
        """Redraw an answered check-in in place."""
        await self._client.chat_update(
            channel=ref.channel_id,
            ts=ref.ts,
            text=UPDATED_TEXT,
            blocks=ib.checkin_message(card, resources=self._resources),
        )

    async def send_debrief_invite(self, recipient_id: str, card: DebriefCard) -> MessageRef:
        """DM a debrief invitation."""
        return await self._post(recipient_id, ib.debrief_invite(card, tz=self._tz))

    async def send_follow_up(self, recipient_id: str, card: FollowUpCard) -> MessageRef:
        """DM a supporter's follow-up reminder."""
        return await self._post(recipient_id, ib.follow_up_reminder(card))

    async def incident_ready(self, coordinator_id: str, summary: IncidentReady) -> None:
        """Tell the coordinator the incident's check-ins are scheduled."""
        await self._post(coordinator_id, ib.incident_ready(summary, tz=self._tz))

    async def _post(self, user_id: str, blocks: list[dict]) -> MessageRef:
        try:
            response = await self._client.chat_postMessage(channel=user_id, text=NEUTRAL_TEXT, blocks=blocks)
        except SlackApiError as exc:
            error = str(exc.response.get("error", "unknown"))
            if error in UNDELIVERABLE:
                raise DeliveryFailed(error) from None
            raise
        return MessageRef(channel_id=str(response["channel"]), ts=str(response["ts"]))
