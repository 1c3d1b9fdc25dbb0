"""Anonymous conversations: their buttons, the rename modal, and the DMs relayed (Events API ``message``)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import DomainError, InvalidForm
from bot.services import Services
from handlers.common.clicks import button_value, later, tell
from handlers.common.errors import user_message
from handlers.common.modals import open_view
from handlers.common.parsing import direct_message, flatten_state
from handlers.common.payloads import BadPayload, ConversationRef, decode
from handlers.relay.blocks import rename_modal
from handlers.relay.ids import RelayAction, RelayCallback, RelayField


def register(app: AsyncApp) -> None:
    """Bind a conversation's buttons, its rename modal and the ``message`` event."""
    for action in (RelayAction.RELAY_REVEAL, RelayAction.RELAY_END):
        app.action(action)(on_conversation_button)
    app.action(RelayAction.RELAY_RENAME)(on_rename)
    app.view(RelayCallback.RELAY_RENAME)(on_rename_submitted)
    # The manifest subscribes to ``message.im``; Bolt binds it as "message" (it refuses
    # "message.im"), and every message event matches, so none is "unhandled" and logged.
    app.event("message")(on_direct_message)


async def on_conversation_button(
    ack: AsyncAck, body: dict[str, Any], services: Services, client: AsyncWebClient
) -> None:
    """An anonymous conversation's buttons: the requester reveals their name, or either side ends it."""
    await ack()
    await later(services, client, body, _conversation_button(services, body), name="conversation_button")


async def _conversation_button(services: Services, body: dict[str, Any]) -> None:
    ref = decode(ConversationRef, button_value(body))
    act = (
        services.relay.reveal
        if body["actions"][0]["action_id"] == RelayAction.RELAY_REVEAL
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


async def on_rename_submitted(ack: AsyncAck, body: dict[str, Any], services: Services) -> None:
    """The supporter saves the name the anonymous colleague sees."""
    label = flatten_state(body["view"]).get(RelayField.LABEL) or ""
    try:
        ref = decode(ConversationRef, body["view"].get("private_metadata"))
        await services.relay.rename(
            conversation_id=ref.conversation_id, user_id=body["user"]["id"], label=label
        )
    except InvalidForm as invalid:
        await ack(response_action="errors", errors={RelayField.LABEL: invalid.errors["label"]})
        return
    except (DomainError, BadPayload) as error:
        await ack(response_action="errors", errors={RelayField.LABEL: user_message(error)})
        return
    await ack()


async def on_direct_message(body: dict[str, Any], event: dict[str, Any], services: Services) -> None:
    """A message in someone's DM with the app: relayed if it is in an anonymous conversation's thread.

    The event id is claimed before the ack (a quick insert), so a redelivery relays nothing twice.
    """
    message = direct_message(event)
    event_id = body.get("event_id")
    if message is not None and isinstance(event_id, str):
        await services.relay.receive(event_id=event_id, message=message)
