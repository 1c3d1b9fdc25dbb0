"""The roster: volunteers decided, being away and available again."""

from __future__ import annotations

from datetime import date
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import DomainError
from bot.services import Services
from handlers.common.blocks import UPDATED_TEXT, section
from handlers.common.clicks import button_value, clicked, later, open_built, supporter_view, tell
from handlers.common.errors import user_message
from handlers.common.parsing import flatten_state
from handlers.common.payloads import VolunteerRef, decode
from handlers.roster import coordinator
from handlers.roster.blocks import away_modal
from handlers.roster.ids import RosterAction, RosterCallback, RosterField


def register(app: AsyncApp) -> None:
    """Bind the roster's buttons and the away modal."""
    for action in (RosterAction.VOLUNTEER_APPROVE, RosterAction.VOLUNTEER_DECLINE):
        app.action(action)(on_volunteer_decision)
    app.action(RosterAction.AVAILABLE_AGAIN)(on_available_again)
    app.action(RosterAction.PAUSE_OFFERS)(on_pause_offers)
    app.action(RosterAction.VOLUNTEER)(on_volunteer)
    app.view(RosterCallback.AWAY)(on_away_submitted)
    coordinator.register(app)  # the coordinator's roster work from the Home


async def on_volunteer_decision(
    ack: AsyncAck, body: dict[str, Any], services: Services, client: AsyncWebClient
) -> None:
    """A coordinator approves or declines a volunteer; every coordinator's copy is redrawn."""
    await ack()
    await later(services, client, body, _decide_volunteer(services, body), name="volunteer_decision")


async def _decide_volunteer(services: Services, body: dict[str, Any]) -> None:
    ref = decode(VolunteerRef, button_value(body))
    approve = body["actions"][0]["action_id"] == RosterAction.VOLUNTEER_APPROVE
    await services.volunteers.decide(
        coordinator_id=body["user"]["id"], volunteer_id=ref.volunteer_id, approve=approve
    )


async def on_available_again(
    ack: AsyncAck, body: dict[str, Any], services: Services, client: AsyncWebClient
) -> None:
    """One click back from an automatic away."""
    await ack()
    try:
        notices = await services.roster.set_available(user_id=body["user"]["id"])
    except DomainError as error:
        tell(services, client, body, user_message(error))
        return
    ref = clicked(body)
    if ref is not None and ref in notices:  # only the app's own "you're set away" DM to them
        blocks = [section("You're available again: new requests can be offered to you. Thank you.").to_dict()]
        services.background.spawn(
            client.chat_update(channel=ref.channel_id, ts=ref.ts, text=UPDATED_TEXT, blocks=blocks),
            name="chat_update",
        )


async def on_pause_offers(
    ack: AsyncAck, body: dict[str, Any], services: Services, client: AsyncWebClient
) -> None:
    """A supporter opens the modal to pause offers."""
    await ack()
    await open_built(services, client, body, supporter_view(services, body, away_modal))


async def on_volunteer(
    ack: AsyncAck, body: dict[str, Any], services: Services, client: AsyncWebClient
) -> None:
    """The Home tab's Volunteer, as ``/peer volunteer``; the Home then says it is with the coordinators."""
    await ack()
    await later(services, client, body, _volunteer(services, body), name="volunteer")


async def _volunteer(services: Services, body: dict[str, Any]) -> None:
    volunteer = await services.volunteers.volunteer(user_id=body["user"]["id"], note=None)
    await services.volunteers.ask_coordinators(volunteer_id=volunteer.id)


async def on_away_submitted(ack: AsyncAck, body: dict[str, Any], services: Services) -> None:
    """A supporter pauses offers from their Home, until a date or until they come back."""
    until = flatten_state(body["view"]).get(RosterField.AWAY_UNTIL)
    try:
        await services.roster.set_away(
            user_id=body["user"]["id"], until=date.fromisoformat(until) if until else None
        )
    except (DomainError, ValueError) as error:
        text = user_message(error) if isinstance(error, DomainError) else "Please pick a date."
        await ack(response_action="errors", errors={RosterField.AWAY_UNTIL: text})
        return
    await ack()
