"""Modal submissions: validation errors go in the ack, the rest after it."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.errors import AlreadyHasOpenRequest, DomainError, InvalidForm
from bot.peer_requests import RequestForm
from bot.services import Services
from handlers.errors import user_message
from handlers.ids import Block, Callback
from handlers.parsing import flatten_state
from handlers.payloads import BadPayload, RequestRef, decode
from storage.models import Referral

# Domain form fields → the modal blocks that show their errors.
_REQUEST_FIELDS = {
    "area": Block.AREA,
    "urgency": Block.URGENCY,
    "contact": Block.CONTACT,
    "preferred_supporter": Block.PREFERRED,
    "note": Block.NOTE,
}
_MAX_MINUTES = 24 * 60


def register(app: AsyncApp) -> None:
    """Bind every modal."""
    app.view(Callback.REQUEST)(on_request_submitted)
    app.view(Callback.CLOSE)(on_close_submitted)
    app.view(Callback.HAND_TO)(on_hand_to_submitted)


async def on_request_submitted(ack: AsyncAck, body: dict[str, Any], services: Services) -> None:
    """Store the request before answering Slack, then route it."""
    values = flatten_state(body["view"])
    form = RequestForm(
        area=values.get(Block.AREA),
        urgency=values.get(Block.URGENCY),
        contact=values.get(Block.CONTACT),
        preferred_supporter_id=values.get(Block.PREFERRED) or None,
        excluded_ids=frozenset(values.get(Block.EXCLUDED) or []),
        note=values.get(Block.NOTE),
    )
    try:
        request = await services.requests.submit(requester_id=body["user"]["id"], form=form)
    except InvalidForm as invalid:
        errors = {_REQUEST_FIELDS[field]: message for field, message in invalid.errors.items()}
        await ack(response_action="errors", errors=errors)
        return
    except AlreadyHasOpenRequest as error:
        await ack(response_action="errors", errors={Block.AREA: user_message(error)})
        return
    await ack()
    services.background.spawn(services.requests.start(request_id=request.id), name="start_request")


async def on_close_submitted(ack: AsyncAck, body: dict[str, Any], services: Services) -> None:
    """Close a held request with the minutes spent and the referral made."""
    user_id = body["user"]["id"]
    values = flatten_state(body["view"])
    errors: dict[str, str] = {}
    minutes_text = (values.get(Block.MINUTES) or "").strip()
    minutes = int(minutes_text) if minutes_text.isdigit() else -1
    if not 0 <= minutes <= _MAX_MINUTES:
        errors[Block.MINUTES] = f"Please enter whole minutes, from 0 to {_MAX_MINUTES}."
    try:
        referral = Referral(values.get(Block.REFERRAL) or Referral.NONE)
    except ValueError:
        errors[Block.REFERRAL] = "Please choose one of the options."
    try:
        ref = decode(RequestRef, body["view"].get("private_metadata"))
        await services.requests.held_request(request_id=ref.request_id, user_id=user_id)
    except (DomainError, BadPayload) as error:
        errors[Block.MINUTES] = user_message(error)
    if errors:
        await ack(response_action="errors", errors=errors)
        return
    await ack()
    services.background.spawn(
        services.requests.close(
            request_id=ref.request_id, user_id=user_id, minutes=minutes, referral=referral
        ),
        name="close_request",
    )


async def on_hand_to_submitted(ack: AsyncAck, body: dict[str, Any], services: Services) -> None:
    """A coordinator offers a waiting request to a named supporter."""
    supporter_id = flatten_state(body["view"]).get(Block.SUPPORTER)
    try:
        ref = decode(RequestRef, body["view"].get("private_metadata"))
        if not supporter_id:
            raise InvalidForm({"supporter": "Please choose a supporter."})
        offer_id = await services.requests.offer_to(
            request_id=ref.request_id, supporter_id=supporter_id, coordinator_id=body["user"]["id"]
        )
    except InvalidForm as invalid:
        await ack(response_action="errors", errors={Block.SUPPORTER: invalid.errors["supporter"]})
        return
    except (DomainError, BadPayload) as error:
        await ack(response_action="errors", errors={Block.SUPPORTER: user_message(error)})
        return
    await ack()
    services.background.spawn(services.requests.send_offer(offer_id=offer_id), name="send_offer")
