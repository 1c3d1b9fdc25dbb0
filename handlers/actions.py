"""Button clicks on requests, offers and check-ins: answered at once, the work done right after the ack."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import DomainError
from bot.services import Services
from handlers.blocks.common import UPDATED_TEXT, section
from handlers.blocks.relay import rename_modal
from handlers.blocks.requests import close_modal, hand_to_modal, notice_modal
from handlers.clicks import button_value, clicked, later, tell
from handlers.errors import user_message
from handlers.ids import Action
from handlers.modals import open_request_modal, open_view
from handlers.payloads import BadPayload, CheckinRef, ConversationRef, OfferRef, RequestRef, decode
from storage.models import CheckinAnswer


def register(app: AsyncApp) -> None:
    """Bind the buttons of requests, offers and check-ins."""
    app.action(Action.ACCEPT)(on_accept)
    app.action(Action.PASS)(on_pass)
    app.action(Action.CLOSE)(on_close)
    app.action(Action.HAND_BACK)(on_hand_back)
    app.action(Action.AVAILABLE_AGAIN)(on_available_again)
    app.action(Action.HAND_TO)(on_hand_to)
    app.action(Action.OPEN_REQUEST)(on_open_request)
    for action in (Action.CHECKIN_OK, Action.CHECKIN_TALK, Action.CHECKIN_STOP):
        app.action(action)(on_checkin_answer)
    for action in (Action.RELAY_REVEAL, Action.RELAY_END):
        app.action(action)(on_conversation_button)
    app.action(Action.RELAY_RENAME)(on_rename)


async def on_accept(ack: AsyncAck, body: dict[str, Any], services: Services, client: AsyncWebClient) -> None:
    """Accept an offer: the first Accept wins; every other click is told it is not theirs."""
    await ack()
    later(services, client, body, _accept(services, body), name="accept")


async def _accept(services: Services, body: dict[str, Any]) -> None:
    offer = decode(OfferRef, button_value(body))
    await services.requests.accept(offer_id=offer.offer_id, user_id=body["user"]["id"], clicked=clicked(body))


async def on_pass(ack: AsyncAck, body: dict[str, Any], services: Services, client: AsyncWebClient) -> None:
    """Pass on an offer; it moves on and nobody is told who passed."""
    await ack()
    later(services, client, body, _pass(services, body), name="pass")


async def _pass(services: Services, body: dict[str, Any]) -> None:
    offer = decode(OfferRef, button_value(body))
    await services.requests.pass_offer(
        offer_id=offer.offer_id, user_id=body["user"]["id"], clicked=clicked(body)
    )


async def on_hand_back(
    ack: AsyncAck, body: dict[str, Any], services: Services, client: AsyncWebClient
) -> None:
    """Return a held request to the rotation."""
    await ack()
    later(services, client, body, _hand_back(services, body), name="hand_back")


async def _hand_back(services: Services, body: dict[str, Any]) -> None:
    ref = decode(RequestRef, button_value(body))
    await services.requests.hand_back(request_id=ref.request_id, user_id=body["user"]["id"])


async def on_close(ack: AsyncAck, body: dict[str, Any], services: Services, client: AsyncWebClient) -> None:
    """Open the close modal for a request the clicker holds."""
    await ack()
    try:
        ref = decode(RequestRef, button_value(body))
        request = await services.requests.held_request(request_id=ref.request_id, user_id=body["user"]["id"])
    except (DomainError, BadPayload) as error:
        tell(services, client, body, user_message(error))
        return
    view = close_modal(request_id=ref.request_id, follow_up=request.named)
    open_view(services, client, trigger_id=body["trigger_id"], view=view)


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


async def on_hand_to(ack: AsyncAck, body: dict[str, Any], services: Services, client: AsyncWebClient) -> None:
    """A coordinator opens the hand-to modal for a waiting request."""
    await ack()
    user_id = body["user"]["id"]
    try:
        ref = decode(RequestRef, button_value(body))
        await services.roles.require_coordinator_role(user_id)
    except (DomainError, BadPayload) as error:
        tell(services, client, body, user_message(error))
        return
    open_view(services, client, trigger_id=body["trigger_id"], view=hand_to_modal(request_id=ref.request_id))


async def on_open_request(
    ack: AsyncAck, body: dict[str, Any], services: Services, client: AsyncWebClient
) -> None:
    """The Home tab's "Talk to a peer" button."""
    await ack()
    try:
        await services.requests.ensure_can_request(requester_id=body["user"]["id"])
    except DomainError as error:
        view = notice_modal(title="Peer support", text=user_message(error))
        open_view(services, client, trigger_id=body["trigger_id"], view=view)
        return
    open_request_modal(services, client, trigger_id=body["trigger_id"])


_ANSWERS = {
    Action.CHECKIN_OK: CheckinAnswer.OK,
    Action.CHECKIN_TALK: CheckinAnswer.TALK,
    Action.CHECKIN_STOP: CheckinAnswer.STOP,
}


async def on_checkin_answer(
    ack: AsyncAck, body: dict[str, Any], services: Services, client: AsyncWebClient
) -> None:
    """One of a check-in's three answers; the message is redrawn in place."""
    await ack()
    later(services, client, body, _answer_checkin(services, body), name="checkin_answer")


async def _answer_checkin(services: Services, body: dict[str, Any]) -> None:
    ref = decode(CheckinRef, button_value(body))
    answer = _ANSWERS[Action(body["actions"][0]["action_id"])]
    await services.checkins.answer(message_id=ref.message_id, user_id=body["user"]["id"], answer=answer)


async def on_conversation_button(
    ack: AsyncAck, body: dict[str, Any], services: Services, client: AsyncWebClient
) -> None:
    """An anonymous conversation's buttons: the requester reveals their name, or either side ends it."""
    await ack()
    later(services, client, body, _conversation_button(services, body), name="conversation_button")


async def _conversation_button(services: Services, body: dict[str, Any]) -> None:
    ref = decode(ConversationRef, button_value(body))
    act = (
        services.relay.reveal
        if body["actions"][0]["action_id"] == Action.RELAY_REVEAL
        else services.relay.end
    )
    await act(conversation_id=ref.conversation_id, user_id=body["user"]["id"])


async def on_rename(ack: AsyncAck, body: dict[str, Any], services: Services, client: AsyncWebClient) -> None:
    """The supporter opens the modal to choose the name the anonymous colleague sees."""
    await ack()
    try:
        ref = decode(ConversationRef, button_value(body))
        label = await services.relay.label(conversation_id=ref.conversation_id, user_id=body["user"]["id"])
    except (DomainError, BadPayload) as error:
        tell(services, client, body, user_message(error))
        return
    view = rename_modal(conversation_id=ref.conversation_id, label=label)
    open_view(services, client, trigger_id=body["trigger_id"], view=view)
