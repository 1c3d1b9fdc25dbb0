"""Button clicks of the program around the requests: volunteers, events, concerns, supporter care."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.services import Services
from handlers.blocks.concerns import concern_hand_to_modal
from handlers.blocks.events import rsvp_text
from handlers.clicks import button_value, ephemeral, later, open_built, where
from handlers.ids import Action
from handlers.payloads import CheckinRef, ConcernRef, EventRef, VolunteerRef, decode
from storage.models import CareAnswer


def register(app: AsyncApp) -> None:
    """Bind the program's buttons in messages."""
    for action in (Action.VOLUNTEER_APPROVE, Action.VOLUNTEER_DECLINE):
        app.action(action)(on_volunteer_decision)
    app.action(Action.RSVP)(on_rsvp)
    app.action(Action.CONCERN_TAKE)(on_concern_take)
    app.action(Action.CONCERN_HAND_TO)(on_concern_hand_to)
    for action in (Action.CARE_OK, Action.CARE_TALK):
        app.action(action)(on_care_answer)


async def on_volunteer_decision(
    ack: AsyncAck, body: dict[str, Any], services: Services, client: AsyncWebClient
) -> None:
    """A coordinator approves or declines a volunteer; every coordinator's copy is redrawn."""
    await ack()
    later(services, client, body, _decide_volunteer(services, body), name="volunteer_decision")


async def _decide_volunteer(services: Services, body: dict[str, Any]) -> None:
    ref = decode(VolunteerRef, button_value(body))
    approve = body["actions"][0]["action_id"] == Action.VOLUNTEER_APPROVE
    await services.volunteers.decide(
        coordinator_id=body["user"]["id"], volunteer_id=ref.volunteer_id, approve=approve
    )


async def on_rsvp(ack: AsyncAck, body: dict[str, Any], services: Services, client: AsyncWebClient) -> None:
    """Toggle the clicker in or out of an event; they are told privately, the post's count is redrawn."""
    await ack()
    later(services, client, body, _rsvp(services, client, body), name="rsvp")


async def _rsvp(services: Services, client: AsyncWebClient, body: dict[str, Any]) -> None:
    ref = decode(EventRef, button_value(body))
    result = await services.announcements.toggle_rsvp(
        announcement_id=ref.announcement_id, user_id=body["user"]["id"]
    )
    if where(body)[0]:  # clicked in the channel (on the Home tab, the Home itself shows it)
        await ephemeral(client, body, rsvp_text(result))
    await services.announcements.redraw(announcement_id=ref.announcement_id)


async def on_concern_take(
    ack: AsyncAck, body: dict[str, Any], services: Services, client: AsyncWebClient
) -> None:
    """A coordinator will reach out; every coordinator's copy says so."""
    await ack()
    later(services, client, body, _take_concern(services, body), name="concern_take")


async def _take_concern(services: Services, body: dict[str, Any]) -> None:
    ref = decode(ConcernRef, button_value(body))
    await services.concerns.take(coordinator_id=body["user"]["id"], concern_id=ref.concern_id)


async def on_concern_hand_to(
    ack: AsyncAck, body: dict[str, Any], services: Services, client: AsyncWebClient
) -> None:
    """A coordinator opens the modal to ask a supporter to reach out."""
    await ack()
    await open_built(services, client, body, _concern_hand_to_view(services, body))


async def _concern_hand_to_view(services: Services, body: dict[str, Any]) -> dict:
    ref = decode(ConcernRef, button_value(body))
    await services.roles.require_coordinator_role(body["user"]["id"])
    return concern_hand_to_modal(concern_id=ref.concern_id)


async def on_care_answer(
    ack: AsyncAck, body: dict[str, Any], services: Services, client: AsyncWebClient
) -> None:
    """A supporter answers the program's check-in on them; the message is redrawn in place."""
    await ack()
    later(services, client, body, _answer_care(services, body), name="care_answer")


async def _answer_care(services: Services, body: dict[str, Any]) -> None:
    ref = decode(CheckinRef, button_value(body))
    answer = CareAnswer.TALK if body["actions"][0]["action_id"] == Action.CARE_TALK else CareAnswer.OK
    await services.care.answer(message_id=ref.message_id, user_id=body["user"]["id"], answer=answer)
