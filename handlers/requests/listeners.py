"""Requests and offers: the buttons (answered at once, the work done after the ack) and the modals."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import AlreadyHasOpenRequest, DomainError, InvalidForm
from bot.handoff import HandoffKind
from bot.matching import PreferenceForm
from bot.peer_requests import RequestForm
from bot.services import Services
from handlers.common.blocks import notice_modal
from handlers.common.clicks import button_value, clicked, ephemeral, later, tell
from handlers.common.errors import user_message
from handlers.common.modals import open_view
from handlers.common.parsing import flatten_state
from handlers.common.payloads import BadPayload, CheckinRef, OfferRef, RequestRef, decode
from handlers.requests.blocks import (
    ANONYMOUS_CHOICE,
    HEAVY,
    OUTSIDE_UNIT,
    SAME_ROLE,
    TALK_ANSWERS,
    close_modal,
    hand_to_modal,
    someone_else_text,
)
from handlers.requests.commands import request_view
from handlers.requests.ids import RequestAction, RequestCallback, RequestField
from storage.models import Referral


def register(app: AsyncApp) -> None:
    """Bind the buttons and modals of requests and offers."""
    app.action(RequestAction.ACCEPT)(on_accept)
    app.action(RequestAction.PASS)(on_pass)
    app.action(RequestAction.CLOSE)(on_close)
    app.action(RequestAction.HAND_BACK)(on_hand_back)
    app.action(RequestAction.HAND_TO)(on_hand_to)
    app.action(RequestAction.TAKE_ON)(on_take_on)
    app.action(RequestAction.REACHED_OUT)(on_reached_out)
    app.action(RequestAction.NOT_HEARD)(on_someone_else)
    app.action(RequestAction.SOMEONE_ELSE)(on_someone_else)
    for action in TALK_ANSWERS:
        app.action(action)(on_talk_answer)
    app.action(RequestAction.OPEN_REQUEST)(on_open_request)
    app.action(RequestAction.CANCEL_REQUEST)(on_cancel_request)
    app.view(RequestCallback.REQUEST)(on_request_submitted)
    app.view(RequestCallback.CLOSE)(on_close_submitted)
    app.view(RequestCallback.HAND_TO)(on_hand_to_submitted)


async def open_request_modal(
    services: Services, client: AsyncWebClient, *, trigger_id: str, user_id: str
) -> None:
    """Open the request modal (warning first when nobody can be reached now)."""
    open_view(services, client, trigger_id=trigger_id, view=await request_view(services, user_id))


async def on_accept(ack: AsyncAck, body: dict[str, Any], services: Services, client: AsyncWebClient) -> None:
    """Accept an offer: the first Accept wins; every other click is told it is not theirs."""
    await ack()
    await later(services, client, body, _accept(services, body), name="accept")


async def _accept(services: Services, body: dict[str, Any]) -> None:
    offer = decode(OfferRef, button_value(body))
    await services.requests.accept(offer_id=offer.offer_id, user_id=body["user"]["id"], clicked=clicked(body))


async def on_pass(ack: AsyncAck, body: dict[str, Any], services: Services, client: AsyncWebClient) -> None:
    """Pass on an offer; it moves on and nobody is told who passed."""
    await ack()
    await later(services, client, body, _pass(services, body), name="pass")


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
    await later(services, client, body, _hand_back(services, body), name="hand_back")


async def _hand_back(services: Services, body: dict[str, Any]) -> None:
    ref = decode(RequestRef, button_value(body))
    await services.requests.hand_back(request_id=ref.request_id, user_id=body["user"]["id"])


async def on_close(ack: AsyncAck, body: dict[str, Any], services: Services, client: AsyncWebClient) -> None:
    """Open the close modal for a request the clicker holds."""
    await ack()
    try:
        ref = decode(RequestRef, button_value(body))
        request = await services.requests.held_request(request_id=ref.request_id, user_id=body["user"]["id"])
        shared = await services.shares.shared(request_id=ref.request_id, user_id=body["user"]["id"])
    except (DomainError, BadPayload) as error:
        tell(services, client, body, user_message(error))
        return
    view = close_modal(request_id=ref.request_id, follow_up=request.named, shared=shared)
    open_view(services, client, trigger_id=body["trigger_id"], view=view)


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


async def on_take_on(ack: AsyncAck, body: dict[str, Any], services: Services, client: AsyncWebClient) -> None:
    """A coordinator takes an urgent request on themselves ("I'll take it" on the urgent alert)."""
    await ack()
    await later(services, client, body, _take_on(services, body), name="take_on")


async def _take_on(services: Services, body: dict[str, Any]) -> None:
    ref = decode(RequestRef, button_value(body))
    await services.requests.take_on(request_id=ref.request_id, coordinator_id=body["user"]["id"])


async def on_reached_out(
    ack: AsyncAck, body: dict[str, Any], services: Services, client: AsyncWebClient
) -> None:
    """The holder marks "I've reached out" (on the held card or the reminder)."""
    await ack()
    await later(services, client, body, _reached_out(services, body), name="reached_out")


async def _reached_out(services: Services, body: dict[str, Any]) -> None:
    ref = decode(RequestRef, button_value(body))
    await services.requests.reached_out(request_id=ref.request_id, user_id=body["user"]["id"])


async def on_someone_else(
    ack: AsyncAck, body: dict[str, Any], services: Services, client: AsyncWebClient
) -> None:
    """The requester has heard from nobody, or would like someone else: the clicker's own request only."""
    await ack()
    await later(services, client, body, _someone_else(services, client, body), name="someone_else")


async def _someone_else(services: Services, client: AsyncWebClient, body: dict[str, Any]) -> None:
    ref = decode(RequestRef, button_value(body))
    await services.requests.someone_else(requester_id=body["user"]["id"], request_id=ref.request_id)
    not_heard = body["actions"][0]["action_id"] == RequestAction.NOT_HEARD
    await ephemeral(client, body, someone_else_text(not_heard=not_heard))


async def on_talk_answer(
    ack: AsyncAck, body: dict[str, Any], services: Services, client: AsyncWebClient
) -> None:
    """The requester answers "Did talking help?"; the question is redrawn with the answer."""
    await ack()
    await later(services, client, body, _talk_answer(services, body), name="talk_answer")


async def _talk_answer(services: Services, body: dict[str, Any]) -> None:
    ref = decode(CheckinRef, button_value(body))
    answer, _ = TALK_ANSWERS[RequestAction(body["actions"][0]["action_id"])]
    await services.talk.answer(message_id=ref.message_id, user_id=body["user"]["id"], answer=answer)


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
    await open_request_modal(services, client, trigger_id=body["trigger_id"], user_id=body["user"]["id"])


async def on_cancel_request(
    ack: AsyncAck, body: dict[str, Any], services: Services, client: AsyncWebClient
) -> None:
    """The Home tab's Withdraw: the clicker's own open request (never anyone else's)."""
    await ack()
    await later(services, client, body, _cancel_own(services, body), name="cancel_request")


async def _cancel_own(services: Services, body: dict[str, Any]) -> None:
    await services.requests.cancel(requester_id=body["user"]["id"])


# Domain form fields → the modal blocks that show their errors.
_REQUEST_FIELDS = {
    "area": RequestField.AREA,
    "urgency": RequestField.URGENCY,
    "contact": RequestField.CONTACT,
    "preferred_supporter": RequestField.PREFERRED,
    "excluded": RequestField.EXCLUDED,
    "note": RequestField.NOTE,
    "own_role": RequestField.OWN_ROLE,
    "own_unit": RequestField.OWN_UNIT,
    "wanted_tags": RequestField.WANTED_TAGS,
    "language": RequestField.LANGUAGE,
}


def _string(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


_MAX_MINUTES = 24 * 60


_MAX_FOLLOW_UP_DAYS = 365


async def on_request_submitted(ack: AsyncAck, body: dict[str, Any], services: Services) -> None:
    """Store the request before answering Slack, then route it."""
    values = flatten_state(body["view"])
    prefer = _strings(values.get(RequestField.PREFER))
    preferences, invalid_preferences = await services.profiles.preferences(
        PreferenceForm(
            own_role=_string(values.get(RequestField.OWN_ROLE)),
            own_unit=_string(values.get(RequestField.OWN_UNIT)),
            same_role=SAME_ROLE in prefer,
            outside_unit=OUTSIDE_UNIT in prefer,
            tags=tuple(_strings(values.get(RequestField.WANTED_TAGS))),
            language=_string(values.get(RequestField.LANGUAGE)),
        )
    )
    if invalid_preferences:
        await ack(
            response_action="errors", errors={_REQUEST_FIELDS[f]: m for f, m in invalid_preferences.items()}
        )
        return
    form = RequestForm(
        area=values.get(RequestField.AREA),
        urgency=values.get(RequestField.URGENCY),
        contact=values.get(RequestField.CONTACT),
        preferred_supporter_id=_string(values.get(RequestField.PREFERRED)),
        excluded_ids=frozenset(values.get(RequestField.EXCLUDED) or []),
        note=values.get(RequestField.NOTE),
        anonymous=ANONYMOUS_CHOICE in (values.get(RequestField.ANONYMOUS) or []),
        preferences=preferences,
    )
    try:
        request = await services.requests.submit(requester_id=body["user"]["id"], form=form)
    except InvalidForm as invalid:
        errors: dict[str, str] = {
            _REQUEST_FIELDS[field]: message for field, message in invalid.errors.items()
        }
        await ack(response_action="errors", errors=errors)
        return
    except AlreadyHasOpenRequest as error:
        await ack(response_action="errors", errors={RequestField.AREA: user_message(error)})
        return
    await ack()
    # Stored (pending) before the ack: routing it is the worker's (or this process's, run as one).
    await services.handoff.submit(HandoffKind.START_REQUEST, request_id=request.id)


async def on_close_submitted(ack: AsyncAck, body: dict[str, Any], services: Services) -> None:
    """Close a held request with the minutes spent and the referral made."""
    user_id = body["user"]["id"]
    values = flatten_state(body["view"])
    errors: dict[str, str] = {}
    minutes = _whole_number(values.get(RequestField.MINUTES), empty=-1)
    if not 0 <= minutes <= _MAX_MINUTES:
        errors[RequestField.MINUTES] = f"Please enter whole minutes, from 0 to {_MAX_MINUTES}."
    try:
        referral = Referral(values.get(RequestField.REFERRAL) or Referral.NONE)
    except ValueError:
        errors[RequestField.REFERRAL] = "Please choose one of the options."
    follow_up_days = _whole_number(values.get(RequestField.FOLLOW_UP_DAYS), empty=0)
    heavy = HEAVY in (values.get(RequestField.HEAVY) or [])
    if not 0 <= follow_up_days <= _MAX_FOLLOW_UP_DAYS:
        errors[RequestField.FOLLOW_UP_DAYS] = (
            f"Please enter whole days, from 1 to {_MAX_FOLLOW_UP_DAYS}, or leave it empty."
        )
    try:
        ref = decode(RequestRef, body["view"].get("private_metadata"))
        await services.requests.held_request(request_id=ref.request_id, user_id=user_id)
    except (DomainError, BadPayload) as error:
        errors[RequestField.MINUTES] = user_message(error)
    if errors:
        await ack(response_action="errors", errors=errors)
        return
    # Written before the modal is answered: a modal that closed is a close that is stored, even if
    # the process dies right after. Storage refusing it keeps the modal open (the error handler).
    try:
        closed = await services.requests.record_close(
            request_id=ref.request_id, user_id=user_id, minutes=minutes, referral=referral
        )
    except DomainError as error:  # lost a race since the check (a second copy of the modal, say)
        await ack(response_action="errors", errors={RequestField.MINUTES: user_message(error)})
        return
    await ack()
    await services.handoff.submit(
        HandoffKind.CLOSE_REQUEST,
        request_id=closed.request.id,
        supporter_id=closed.supporter_id,
        follow_up_days=follow_up_days,
        heavy=heavy,
    )


def _whole_number(text: str | None, *, empty: int) -> int:
    """A non-negative whole number typed in a text input; ``empty`` if blank, -1 if not a number."""
    stripped = (text or "").strip()
    if not stripped:
        return empty
    return int(stripped) if stripped.isdigit() and len(stripped) < 7 else -1


async def on_hand_to_submitted(ack: AsyncAck, body: dict[str, Any], services: Services) -> None:
    """A coordinator offers a waiting request to a named supporter."""
    supporter_id = flatten_state(body["view"]).get(RequestField.SUPPORTER)
    try:
        ref = decode(RequestRef, body["view"].get("private_metadata"))
        if not supporter_id:
            raise InvalidForm({"supporter": "Please choose a supporter."})
        handed = await services.requests.offer_to(
            request_id=ref.request_id, supporter_id=supporter_id, coordinator_id=body["user"]["id"]
        )
    except InvalidForm as invalid:
        await ack(response_action="errors", errors={RequestField.SUPPORTER: invalid.errors["supporter"]})
        return
    except (DomainError, BadPayload) as error:
        await ack(response_action="errors", errors={RequestField.SUPPORTER: user_message(error)})
        return
    await ack()
    await services.handoff.submit(
        HandoffKind.SEND_OFFER, request_id=handed.request_id, offer_id=handed.offer_id
    )
