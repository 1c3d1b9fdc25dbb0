"""Button clicks: answered at once, the work done right after the ack."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import DomainError, NotOnRoster
from bot.services import Services
from handlers.blocks.common import UPDATED_TEXT, section
from handlers.blocks.concerns import concern_hand_to_modal, concern_modal
from handlers.blocks.events import rsvp_text
from handlers.blocks.requests import close_modal, hand_to_modal, notice_modal
from handlers.blocks.roster import away_modal, log_contact_modal
from handlers.blocks.stats import stats_modal
from handlers.errors import user_message
from handlers.ids import Action
from handlers.modals import event_view, incident_view, open_request_modal, open_view
from handlers.payloads import (
    BadPayload,
    CheckinRef,
    ConcernRef,
    EventRef,
    OfferRef,
    RequestRef,
    VolunteerRef,
    decode,
)
from storage.models import CareAnswer, CheckinAnswer


def register(app: AsyncApp) -> None:
    """Bind every button."""
    app.action(Action.ACCEPT)(on_accept)
    app.action(Action.PASS)(on_pass)
    app.action(Action.CLOSE)(on_close)
    app.action(Action.HAND_BACK)(on_hand_back)
    app.action(Action.AVAILABLE_AGAIN)(on_available_again)
    app.action(Action.HAND_TO)(on_hand_to)
    app.action(Action.OPEN_REQUEST)(on_open_request)
    for action in (Action.CHECKIN_OK, Action.CHECKIN_TALK, Action.CHECKIN_STOP):
        app.action(action)(on_checkin_answer)
    for action in (Action.VOLUNTEER_APPROVE, Action.VOLUNTEER_DECLINE):
        app.action(action)(on_volunteer_decision)
    app.action(Action.RSVP)(on_rsvp)
    app.action(Action.CANCEL_REQUEST)(on_cancel_request)
    app.action(Action.PAUSE_OFFERS)(on_pause_offers)
    app.action(Action.LOG_CONTACT)(on_log_contact)
    app.action(Action.VOLUNTEER)(on_volunteer)
    app.action(Action.HOME_INCIDENT)(on_home_incident)
    app.action(Action.HOME_EVENT)(on_home_event)
    app.action(Action.HOME_STATS)(on_home_stats)
    app.action(Action.EVENT_EDIT)(on_event_edit)
    app.action(Action.EVENT_CANCEL)(on_event_cancel)
    app.action(Action.OPEN_CONCERN)(on_open_concern)
    app.action(Action.CONCERN_TAKE)(on_concern_take)
    app.action(Action.CONCERN_HAND_TO)(on_concern_hand_to)
    for action in (Action.CARE_OK, Action.CARE_TALK):
        app.action(action)(on_care_answer)


async def on_accept(ack: AsyncAck, body: dict[str, Any], services: Services, client: AsyncWebClient) -> None:
    """Accept an offer: the first Accept wins; every other click is told it is not theirs."""
    await ack()
    _later(services, client, body, _accept(services, body), name="accept")


async def _accept(services: Services, body: dict[str, Any]) -> None:
    offer = decode(OfferRef, _button_value(body))
    await services.requests.accept(offer_id=offer.offer_id, user_id=body["user"]["id"])


async def on_pass(ack: AsyncAck, body: dict[str, Any], services: Services, client: AsyncWebClient) -> None:
    """Pass on an offer; it moves on and nobody is told who passed."""
    await ack()
    _later(services, client, body, _pass(services, body), name="pass")


async def _pass(services: Services, body: dict[str, Any]) -> None:
    offer = decode(OfferRef, _button_value(body))
    await services.requests.pass_offer(offer_id=offer.offer_id, user_id=body["user"]["id"])


async def on_hand_back(
    ack: AsyncAck, body: dict[str, Any], services: Services, client: AsyncWebClient
) -> None:
    """Return a held request to the rotation."""
    await ack()
    _later(services, client, body, _hand_back(services, body), name="hand_back")


async def _hand_back(services: Services, body: dict[str, Any]) -> None:
    ref = decode(RequestRef, _button_value(body))
    await services.requests.hand_back(request_id=ref.request_id, user_id=body["user"]["id"])


async def on_close(ack: AsyncAck, body: dict[str, Any], services: Services, client: AsyncWebClient) -> None:
    """Open the close modal for a request the clicker holds."""
    await ack()
    try:
        ref = decode(RequestRef, _button_value(body))
        await services.requests.held_request(request_id=ref.request_id, user_id=body["user"]["id"])
    except (DomainError, BadPayload) as error:
        _tell(services, client, body, user_message(error))
        return
    open_view(services, client, trigger_id=body["trigger_id"], view=close_modal(request_id=ref.request_id))


async def on_available_again(
    ack: AsyncAck, body: dict[str, Any], services: Services, client: AsyncWebClient
) -> None:
    """One click back from an automatic away."""
    await ack()
    try:
        await services.roster.set_available(user_id=body["user"]["id"])
    except DomainError as error:
        _tell(services, client, body, user_message(error))
        return
    channel, ts = _where(body)
    if channel and ts:
        blocks = [section("You're available again: new requests can be offered to you. Thank you.").to_dict()]
        services.background.spawn(
            client.chat_update(channel=channel, ts=ts, text=UPDATED_TEXT, blocks=blocks), name="chat_update"
        )


async def on_hand_to(ack: AsyncAck, body: dict[str, Any], services: Services, client: AsyncWebClient) -> None:
    """A coordinator opens the hand-to modal for a waiting request."""
    await ack()
    user_id = body["user"]["id"]
    try:
        ref = decode(RequestRef, _button_value(body))
        await services.roles.require_coordinator_role(user_id)
    except (DomainError, BadPayload) as error:
        _tell(services, client, body, user_message(error))
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
    _later(services, client, body, _answer_checkin(services, body), name="checkin_answer")


async def _answer_checkin(services: Services, body: dict[str, Any]) -> None:
    ref = decode(CheckinRef, _button_value(body))
    answer = _ANSWERS[Action(body["actions"][0]["action_id"])]
    await services.checkins.answer(message_id=ref.message_id, user_id=body["user"]["id"], answer=answer)


async def on_volunteer_decision(
    ack: AsyncAck, body: dict[str, Any], services: Services, client: AsyncWebClient
) -> None:
    """A coordinator approves or declines a volunteer; every coordinator's copy is redrawn."""
    await ack()
    _later(services, client, body, _decide_volunteer(services, body), name="volunteer_decision")


async def _decide_volunteer(services: Services, body: dict[str, Any]) -> None:
    ref = decode(VolunteerRef, _button_value(body))
    approve = body["actions"][0]["action_id"] == Action.VOLUNTEER_APPROVE
    await services.volunteers.decide(
        coordinator_id=body["user"]["id"], volunteer_id=ref.volunteer_id, approve=approve
    )


async def on_rsvp(ack: AsyncAck, body: dict[str, Any], services: Services, client: AsyncWebClient) -> None:
    """Toggle the clicker in or out of an event; they are told privately, the post's count is redrawn."""
    await ack()
    _later(services, client, body, _rsvp(services, client, body), name="rsvp")


async def _rsvp(services: Services, client: AsyncWebClient, body: dict[str, Any]) -> None:
    ref = decode(EventRef, _button_value(body))
    result = await services.announcements.toggle_rsvp(
        announcement_id=ref.announcement_id, user_id=body["user"]["id"]
    )
    if _where(body)[0]:  # clicked in the channel (on the Home tab, the Home itself shows it)
        await _ephemeral(client, body, rsvp_text(result))
    await services.announcements.redraw(announcement_id=ref.announcement_id)


async def on_cancel_request(
    ack: AsyncAck, body: dict[str, Any], services: Services, client: AsyncWebClient
) -> None:
    """The Home tab's Withdraw: the clicker's own open request (never anyone else's)."""
    await ack()
    _later(services, client, body, _cancel_own(services, body), name="cancel_request")


async def _cancel_own(services: Services, body: dict[str, Any]) -> None:
    await services.requests.cancel(requester_id=body["user"]["id"])


async def on_pause_offers(
    ack: AsyncAck, body: dict[str, Any], services: Services, client: AsyncWebClient
) -> None:
    """A supporter opens the modal to pause offers."""
    await ack()
    await _open(services, client, body, _supporter_view(services, body, away_modal))


async def on_log_contact(
    ack: AsyncAck, body: dict[str, Any], services: Services, client: AsyncWebClient
) -> None:
    """A supporter opens the modal to log a contact that happened outside the bot."""
    await ack()
    today = services.hours.today(services.clock.now()).isoformat()
    await _open(
        services, client, body, _supporter_view(services, body, lambda: log_contact_modal(today=today))
    )


async def _supporter_view(services: Services, body: dict[str, Any], build: Callable[[], dict]) -> dict:
    if await services.roster.get(body["user"]["id"]) is None:
        raise NotOnRoster()
    return build()


async def on_volunteer(
    ack: AsyncAck, body: dict[str, Any], services: Services, client: AsyncWebClient
) -> None:
    """The Home tab's Volunteer, as ``/peer volunteer``; the Home then says it is with the coordinators."""
    await ack()
    _later(services, client, body, _volunteer(services, body), name="volunteer")


async def _volunteer(services: Services, body: dict[str, Any]) -> None:
    volunteer = await services.volunteers.volunteer(user_id=body["user"]["id"], note=None)
    await services.volunteers.ask_coordinators(volunteer_id=volunteer.id)


async def on_home_incident(
    ack: AsyncAck, body: dict[str, Any], services: Services, client: AsyncWebClient
) -> None:
    """A coordinator's Home button: the incident modal."""
    await ack()
    await _open(services, client, body, _coordinator_view(services, body, lambda: incident_view(services)))


async def on_home_event(
    ack: AsyncAck, body: dict[str, Any], services: Services, client: AsyncWebClient
) -> None:
    """A coordinator's Home button: the event modal."""
    await ack()
    await _open(services, client, body, _coordinator_view(services, body, lambda: event_view(services)))


async def _coordinator_view(services: Services, body: dict[str, Any], build: Callable[[], dict]) -> dict:
    await services.roles.require_coordinator_role(body["user"]["id"])
    return build()


async def on_home_stats(
    ack: AsyncAck, body: dict[str, Any], services: Services, client: AsyncWebClient
) -> None:
    """A coordinator's Home button: the statistics, counts only."""
    await ack()
    await _open(services, client, body, _stats_view(services, body))


async def _stats_view(services: Services, body: dict[str, Any]) -> dict:
    return stats_modal(await services.stats.summary(coordinator_id=body["user"]["id"]))


async def on_event_edit(
    ack: AsyncAck, body: dict[str, Any], services: Services, client: AsyncWebClient
) -> None:
    """A coordinator edits an upcoming event from their Home."""
    await ack()
    await _open(services, client, body, _edit_view(services, body))


async def _edit_view(services: Services, body: dict[str, Any]) -> dict:
    ref = decode(EventRef, _button_value(body))
    event = await services.announcements.for_edit(
        coordinator_id=body["user"]["id"], announcement_id=ref.announcement_id
    )
    return event_view(services, event)


async def on_event_cancel(
    ack: AsyncAck, body: dict[str, Any], services: Services, client: AsyncWebClient
) -> None:
    """A coordinator cancels an upcoming event from their Home; the post says so."""
    await ack()
    _later(services, client, body, _cancel_event(services, body), name="cancel_event")


async def _cancel_event(services: Services, body: dict[str, Any]) -> None:
    ref = decode(EventRef, _button_value(body))
    await services.announcements.cancel(
        coordinator_id=body["user"]["id"], announcement_id=ref.announcement_id
    )
    await services.announcements.redraw(announcement_id=ref.announcement_id)


async def on_open_concern(
    ack: AsyncAck, body: dict[str, Any], services: Services, client: AsyncWebClient
) -> None:
    """The Home tab's "Worried about a colleague?": the concern modal."""
    await ack()
    open_view(services, client, trigger_id=body["trigger_id"], view=concern_modal())


async def on_concern_take(
    ack: AsyncAck, body: dict[str, Any], services: Services, client: AsyncWebClient
) -> None:
    """A coordinator will reach out; every coordinator's copy says so."""
    await ack()
    _later(services, client, body, _take_concern(services, body), name="concern_take")


async def _take_concern(services: Services, body: dict[str, Any]) -> None:
    ref = decode(ConcernRef, _button_value(body))
    await services.concerns.take(coordinator_id=body["user"]["id"], concern_id=ref.concern_id)


async def on_concern_hand_to(
    ack: AsyncAck, body: dict[str, Any], services: Services, client: AsyncWebClient
) -> None:
    """A coordinator opens the modal to ask a supporter to reach out."""
    await ack()
    await _open(services, client, body, _concern_hand_to_view(services, body))


async def _concern_hand_to_view(services: Services, body: dict[str, Any]) -> dict:
    ref = decode(ConcernRef, _button_value(body))
    await services.roles.require_coordinator_role(body["user"]["id"])
    return concern_hand_to_modal(concern_id=ref.concern_id)


async def _open(
    services: Services, client: AsyncWebClient, body: dict[str, Any], view: Awaitable[dict]
) -> None:
    """Open a modal once ``view`` is built; a refusal (role, payload) is told instead."""
    try:
        built = await view
    except (DomainError, BadPayload) as error:
        _tell(services, client, body, user_message(error))
        return
    open_view(services, client, trigger_id=body["trigger_id"], view=built)


async def on_care_answer(
    ack: AsyncAck, body: dict[str, Any], services: Services, client: AsyncWebClient
) -> None:
    """A supporter answers the program's check-in on them; the message is redrawn in place."""
    await ack()
    _later(services, client, body, _answer_care(services, body), name="care_answer")


async def _answer_care(services: Services, body: dict[str, Any]) -> None:
    ref = decode(CheckinRef, _button_value(body))
    answer = CareAnswer.TALK if body["actions"][0]["action_id"] == Action.CARE_TALK else CareAnswer.OK
    await services.care.answer(message_id=ref.message_id, user_id=body["user"]["id"], answer=answer)


def _later(
    services: Services, client: AsyncWebClient, body: dict[str, Any], work: Awaitable[None], *, name: str
) -> None:
    """Run a service call after the ack; a domain refusal is told to the clicker only."""

    async def run() -> None:
        try:
            await work
        except (DomainError, BadPayload) as error:
            await _ephemeral(client, body, user_message(error))

    services.background.spawn(run(), name=name)


def _tell(services: Services, client: AsyncWebClient, body: dict[str, Any], text: str) -> None:
    services.background.spawn(_ephemeral(client, body, text), name="ephemeral")


async def _ephemeral(client: AsyncWebClient, body: dict[str, Any], text: str) -> None:
    """Tell only the clicker: in the channel of the message, or in a small modal on the Home tab."""
    channel, _ = _where(body)
    if channel:
        await client.chat_postEphemeral(channel=channel, user=body["user"]["id"], text=text)
    elif body.get("trigger_id"):
        await client.views_open(
            trigger_id=body["trigger_id"], view=notice_modal(title="Peer support", text=text)
        )


def _where(body: dict[str, Any]) -> tuple[str | None, str | None]:
    container = body.get("container") or {}
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
    return channel, container.get("message_ts")


def _button_value(body: dict[str, Any]) -> str | None:
    actions = body.get("actions") or [{}]
    return actions[0].get("value")
