"""The domain's :class:`~bot.ports.Notifier`, implemented with Slack's Web API."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import DeliveryFailed
from bot.home import HomeSnapshot
from bot.ports import (
    CareCard,
    CheckinCard,
    DebriefCard,
    EscalationCard,
    FollowUpCard,
    IncidentReady,
    OfferCard,
    RelayedText,
    TalkCard,
    ThreadCard,
    ThreadNote,
    TrainingReminderCard,
    VolunteerCard,
)
from handlers.announcements import blocks as ab
from handlers.care.blocks import care_checkin
from handlers.common.blocks import ANNOUNCEMENT_TEXT, NEUTRAL_TEXT, UPDATED_TEXT
from handlers.common.payloads import BadPayload, OfferRef, decode
from handlers.concerns import blocks as cb
from handlers.home.blocks import home_view
from handlers.incidents import blocks as ib
from handlers.relay import blocks as relay_blocks
from handlers.requests import blocks as rb
from handlers.resources import blocks as res_blocks
from handlers.roster import blocks as rosb
from storage.models import Announcement, Concern, ContactMode, MessageRef, Referral, Resource

# Slack errors that mean "this person (or channel) cannot get a message from us": skip, don't retry.
UNDELIVERABLE = frozenset(
    {
        "user_not_found",
        "channel_not_found",
        "account_inactive",
        "cannot_dm_bot",
        "messages_tab_disabled",
        "is_archived",
        "user_disabled",
        "not_in_channel",
    }
)


# How far back in a supporter's DM a lost copy of an offer is looked for (one page of history).
_HISTORY_LOOKBACK = 100


def _offer_ids(blocks: list[dict[str, Any]]) -> set[int]:
    """The offers the buttons of a message answer."""
    found: set[int] = set()
    for block in blocks:
        for element in block.get("elements") or []:
            if isinstance(element, dict) and element.get("type") == "button":
                try:
                    found.add(decode(OfferRef, element.get("value")).offer_id)
                except BadPayload:
                    continue
    return found


class SlackNotifier:
    """Sends the program's DMs; every ``text`` is the neutral lock-screen line."""

    def __init__(
        self, client: AsyncWebClient, *, tz: ZoneInfo, hours: str, resources: Sequence[str], coping: str = ""
    ) -> None:
        self._client = client
        self._coping = coping  # "what to expect and what helps": debrief invitations, first check-ins
        self._tz = tz
        self._hours = hours
        self._resources = tuple(resources)

    async def send_offer(self, supporter_id: str, card: OfferCard) -> MessageRef:
        """DM the offer; returns where it landed."""
        return await self._post(supporter_id, rb.offer_message(card, tz=self._tz))

    async def update_offer(self, ref: MessageRef, card: OfferCard) -> None:
        """Redraw the offer in place."""
        await self._update(ref, rb.offer_message(card, tz=self._tz))

    async def find_offer_copies(self, supporter_id: str, offer_id: int) -> list[MessageRef]:
        """The app's own messages in its DM with the supporter whose buttons answer this offer."""
        opened = await self._client.conversations_open(users=supporter_id)
        channel = str(opened["channel"]["id"])
        history = await self._client.conversations_history(channel=channel, limit=_HISTORY_LOOKBACK)
        return [
            MessageRef(channel_id=channel, ts=str(m["ts"]))
            for m in history.get("messages") or []
            # Only the app's own posts (a person's message in the DM is never an offer).
            if m.get("bot_id") and offer_id in _offer_ids(m.get("blocks") or [])
        ]

    async def request_received(
        self, requester_id: str, *, request_id: int, next_opening: datetime | None, anonymous: bool = False
    ) -> MessageRef:
        """Confirm a request to the requester."""
        blocks = rb.request_received(
            request_id=request_id,
            next_opening=next_opening,
            hours=self._hours,
            tz=self._tz,
            resources=self._resources,
            anonymous=anonymous,
        )
        return await self._post(requester_id, blocks)

    async def request_assigned(
        self, requester_id: str, *, supporter_id: str, contact: ContactMode, request_id: int | None = None
    ) -> MessageRef:
        """Tell the requester who will reach out."""
        blocks = rb.request_assigned(supporter_id=supporter_id, contact=contact, request_id=request_id)
        return await self._post(requester_id, blocks)

    async def reach_out_reminder(
        self, supporter_id: str, *, request_id: int, release_at: datetime
    ) -> MessageRef:
        """Remind the holder to mark that they reached out."""
        return await self._post(
            supporter_id, rb.reach_out_reminder(request_id=request_id, release_at=release_at, tz=self._tz)
        )

    async def request_moved_on(self, supporter_id: str, *, request_id: int, lapsed: bool) -> MessageRef:
        """Tell the former holder the request went to another supporter."""
        return await self._post(supporter_id, rb.request_moved_on(request_id=request_id, lapsed=lapsed))

    async def hold_released(self, coordinator_id: str, card: EscalationCard) -> MessageRef:
        """Tell a coordinator a held request was released (names nobody)."""
        return await self._post(coordinator_id, rb.hold_released(card, tz=self._tz))

    async def talk_question(self, requester_id: str, *, message_id: int) -> MessageRef:
        """Ask "Did talking help?" once, after the close."""
        return await self._post(requester_id, rb.talk_question(TalkCard(message_id=message_id)))

    async def update_talk_question(self, ref: MessageRef, card: TalkCard) -> None:
        """Redraw the question with its answer."""
        await self._update(ref, rb.talk_question(card))

    async def request_nobody_on_call(self, requester_id: str, *, next_opening: datetime) -> MessageRef:
        """Tell the requester of an urgent request that nobody is on call, and when a supporter is asked."""
        return await self._post(
            requester_id,
            rb.request_nobody_on_call(next_opening=next_opening, tz=self._tz, resources=self._resources),
        )

    async def request_escalated(self, requester_id: str) -> MessageRef:
        """Tell the requester nobody is free yet."""
        return await self._post(requester_id, rb.request_escalated(resources=self._resources))

    async def request_unmatched(self, requester_id: str, *, wanted: list[str]) -> MessageRef:
        """Tell the requester nobody who matches what they asked for was free; another was asked."""
        return await self._post(requester_id, rb.request_unmatched(wanted=wanted))

    async def alert_coordinator(self, coordinator_id: str, card: EscalationCard) -> MessageRef:
        """DM one coordinator that a request is waiting (area and urgency only)."""
        return await self._post(coordinator_id, rb.escalation_alert(card, tz=self._tz))

    async def resolve_alerts(self, refs: list[MessageRef], card: EscalationCard) -> None:
        """Redraw each alert in place, without its button."""
        blocks = rb.escalation_alert(card, tz=self._tz)
        for ref in refs:
            await self._client.chat_update(
                channel=ref.channel_id, ts=ref.ts, text=UPDATED_TEXT, blocks=blocks
            )

    async def request_closed(self, requester_id: str, *, referral: Referral) -> MessageRef:
        """Tell the requester the request was closed."""
        return await self._post(requester_id, rb.request_closed(resources=self._resources))

    async def request_withdrawn(self, supporter_id: str, *, request_id: int) -> MessageRef:
        """Tell the holder the request was withdrawn."""
        return await self._post(supporter_id, rb.request_withdrawn(request_id=request_id))

    async def supporter_set_away(self, supporter_id: str, *, expired_in_a_row: int) -> MessageRef:
        """Tell a supporter they were set to away."""
        return await self._post(supporter_id, rosb.set_away_notice(expired_in_a_row=expired_in_a_row))

    async def supporter_unreachable(
        self, coordinator_id: str, *, supporter_id: str, reason: str
    ) -> MessageRef:
        """Tell a coordinator a supporter cannot get DMs (the request is not named)."""
        blocks = rb.supporter_unreachable(supporter_id=supporter_id, reason=reason)
        return await self._post(coordinator_id, blocks)

    async def send_checkin(self, recipient_id: str, card: CheckinCard) -> MessageRef:
        """DM a check-in."""
        blocks = ib.checkin_message(card, resources=self._resources, coping=self._coping)
        return await self._post(recipient_id, blocks)

    async def update_checkin(self, ref: MessageRef, card: CheckinCard) -> None:
        """Redraw an answered check-in in place."""
        await self._update(ref, ib.checkin_message(card, resources=self._resources, coping=self._coping))

    async def send_debrief_invite(self, recipient_id: str, card: DebriefCard) -> MessageRef:
        """DM a debrief invitation."""
        return await self._post(recipient_id, ib.debrief_invite(card, tz=self._tz, coping=self._coping))

    async def send_follow_up(self, recipient_id: str, card: FollowUpCard) -> MessageRef:
        """DM a supporter's follow-up reminder."""
        return await self._post(recipient_id, ib.follow_up_reminder(card))

    async def incident_ready(self, coordinator_id: str, summary: IncidentReady) -> None:
        """Tell the coordinator the incident's check-ins are scheduled."""
        await self._post(coordinator_id, ib.incident_ready(summary, tz=self._tz))

    async def send_volunteer_review(self, coordinator_id: str, card: VolunteerCard) -> MessageRef:
        """DM a coordinator a volunteer to decide on."""
        return await self._post(coordinator_id, rosb.volunteer_review(card))

    async def update_volunteer_review(self, ref: MessageRef, card: VolunteerCard) -> None:
        """Redraw a review with the decision."""
        await self._update(ref, rosb.volunteer_review(card))

    async def volunteer_decided(self, user_id: str, *, approved: bool) -> None:
        """Tell the volunteer what was decided."""
        await self._post(user_id, rosb.volunteer_decided(approved=approved))

    async def send_training_reminder(self, user_id: str, card: TrainingReminderCard) -> MessageRef:
        """DM a supporter about their training's lapse date."""
        return await self._post(user_id, rosb.training_reminder(card))

    async def post_announcement(self, event: Announcement) -> MessageRef:
        """Post an event's announcement in its channel."""
        blocks = ab.announcement_message(event, tz=self._tz)
        return await self._post(event.channel_id, blocks, text=ANNOUNCEMENT_TEXT)

    async def update_announcement(self, ref: MessageRef, event: Announcement) -> None:
        """Redraw an event's announcement."""
        await self._update(ref, ab.announcement_message(event, tz=self._tz), text=ANNOUNCEMENT_TEXT)

    async def post_event_reminder(self, event: Announcement, *, lead: timedelta) -> MessageRef:
        """Post a reminder in the event's channel."""
        blocks = ab.event_reminder(event, lead=lead, tz=self._tz)
        return await self._post(event.channel_id, blocks, text=ANNOUNCEMENT_TEXT)

    async def announcement_failed(
        self, coordinator_id: str, *, announcement_id: int, title: str, reason: str
    ) -> None:
        """Tell the coordinator the announcement could not be posted."""
        blocks = ab.announcement_failed(announcement_id=announcement_id, title=title, reason=reason)
        await self._post(coordinator_id, blocks)

    async def send_concern_alert(self, coordinator_id: str, concern: Concern) -> MessageRef:
        """DM a coordinator a concern about a colleague."""
        return await self._post(coordinator_id, cb.concern_alert(concern))

    async def update_concern_alert(self, ref: MessageRef, concern: Concern) -> None:
        """Redraw a coordinator's copy of a concern."""
        await self._update(ref, cb.concern_alert(concern))

    async def forget_concern_alert(self, ref: MessageRef) -> None:
        """Redraw a coordinator's copy of a concern that was forgotten: no name, no note."""
        await self._update(ref, cb.forgotten_concern_alert())

    async def concern_thanks(self, raiser_id: str) -> None:
        """Thank the person who raised a concern."""
        await self._post(raiser_id, cb.concern_thanks(resources=self._resources))

    async def ask_supporter_to_reach_out(
        self, supporter_id: str, *, subject_id: str, coordinator_id: str
    ) -> None:
        """Ask a supporter to check in with a colleague."""
        await self._post(
            supporter_id, cb.reach_out_request(subject_id=subject_id, coordinator_id=coordinator_id)
        )

    async def send_care_checkin(self, supporter_id: str, card: CareCard) -> MessageRef:
        """DM a supporter the program's check-in after a heavy conversation."""
        return await self._post(supporter_id, care_checkin(card, resources=self._resources))

    async def update_care_checkin(self, ref: MessageRef, card: CareCard) -> None:
        """Redraw the check-in once answered."""
        await self._update(ref, care_checkin(card, resources=self._resources))

    async def publish_home(self, user_id: str, snapshot: HomeSnapshot) -> None:
        """Publish a person's Home tab."""
        view = home_view(snapshot, resources=self._resources, tz=self._tz)
        await self._client.views_publish(user_id=user_id, view=view)

    # Relayed conversations (anonymous requests)

    async def open_thread(self, user_id: str, card: ThreadCard) -> MessageRef:
        """Post a conversation's thread root in the person's DM."""
        return await self._post(user_id, relay_blocks.thread_root(card))

    async def update_thread(self, ref: MessageRef, card: ThreadCard) -> None:
        """Redraw a thread root in place."""
        await self._update(ref, relay_blocks.thread_root(card))

    async def relay(self, root: MessageRef, message: RelayedText) -> MessageRef:
        """Post a copy in the thread; the lock screen shows only the neutral line, never the text."""
        return await self._post(root.channel_id, relay_blocks.relayed_message(message), thread_ts=root.ts)

    async def update_relayed(self, ref: MessageRef, message: RelayedText) -> None:
        """Replace a copy after its original was edited."""
        await self._update(ref, relay_blocks.relayed_message(message))

    async def delete_relayed(self, ref: MessageRef) -> None:
        """Delete a copy; one already gone is fine."""
        try:
            await self._client.chat_delete(channel=ref.channel_id, ts=ref.ts)
        except SlackApiError as exc:
            if exc.response.get("error") != "message_not_found":
                raise

    async def note(self, channel_id: str, thread_ts: str | None, note: ThreadNote) -> None:
        """Post a short note in a thread, or in the DM itself."""
        await self._post(
            channel_id, relay_blocks.relay_note(note, resources=self._resources), thread_ts=thread_ts
        )

    # Resources a supporter shares with the colleague they hold a request of

    async def share_resources(self, requester_id: str, entries: Sequence[Resource]) -> MessageRef:
        """The entries, in the colleague's DM with the app."""
        return await self._post(requester_id, res_blocks.shared_resources_message(entries))

    async def share_in_thread(
        self, root: MessageRef, entries: Sequence[Resource], *, label: str
    ) -> MessageRef:
        """The entries, as the app, in the colleague's thread of an anonymous conversation."""
        blocks = res_blocks.shared_resources_message(entries, label=label)
        return await self._post(root.channel_id, blocks, thread_ts=root.ts)

    async def resources_shared(
        self, supporter_id: str, entries: Sequence[Resource], *, delivered: bool
    ) -> None:
        """The supporter learns what was sent, in their DM with the app."""
        await self._post(supporter_id, res_blocks.resources_shared_note(entries, delivered=delivered))

    async def _update(
        self, ref: MessageRef, blocks: list[dict[str, Any]], *, text: str = UPDATED_TEXT
    ) -> None:
        await self._client.chat_update(channel=ref.channel_id, ts=ref.ts, text=text, blocks=blocks)

    async def _post(
        self,
        channel: str,
        blocks: list[dict[str, Any]],
        *,
        text: str = NEUTRAL_TEXT,
        thread_ts: str | None = None,
    ) -> MessageRef:
        """Post to a person's DM (their user id) or a channel; undeliverable ones raise DeliveryFailed."""
        try:
            response = await self._client.chat_postMessage(
                channel=channel, text=text, blocks=blocks, thread_ts=thread_ts
            )
        except SlackApiError as exc:
            error = str(exc.response.get("error", "unknown"))
            if error in UNDELIVERABLE:
                raise DeliveryFailed(error) from None
            raise
        return MessageRef(channel_id=str(response["channel"]), ts=str(response["ts"]))
