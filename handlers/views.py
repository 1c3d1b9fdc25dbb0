"""Modal submissions: validation errors go in the ack, the rest after it."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.announcements import EventForm
from bot.checkins import IncidentForm
from bot.concerns import ConcernForm
from bot.errors import AlreadyHasOpenRequest, DomainError, InvalidForm
from bot.peer_requests import ClosedRequest, RequestForm
from bot.services import Services
from bot.tracking import ContactForm
from handlers.blocks.concerns import CONTACT_ME
from handlers.blocks.requests import ANONYMOUS_CHOICE, HEAVY, notice_modal
from handlers.errors import user_message
from handlers.ids import Block, Callback
from handlers.parsing import flatten_state
from handlers.payloads import BadPayload, ConcernRef, ConversationRef, EventRef, RequestRef, decode
from storage.models import Referral

# Domain form fields → the modal blocks that show their errors.
_REQUEST_FIELDS = {
    "area": Block.AREA,
    "urgency": Block.URGENCY,
    "contact": Block.CONTACT,
    "preferred_supporter": Block.PREFERRED,
    "excluded": Block.EXCLUDED,
    "note": Block.NOTE,
}
_MAX_MINUTES = 24 * 60
_MAX_FOLLOW_UP_DAYS = 365
_INCIDENT_FIELDS = {
    "kind": Block.INCIDENT_KIND,
    "name": Block.INCIDENT_NAME,
    "occurred_on": Block.INCIDENT_DATE,
    "people": Block.INCIDENT_PEOPLE,
    "plan": Block.INCIDENT_PLAN,
    "debrief": Block.DEBRIEF_DATE,
}


_EVENT_FIELDS = {
    "title": Block.EVENT_TITLE,
    "kind": Block.EVENT_KIND,
    "date": Block.EVENT_DATE,
    "end": Block.EVENT_END,
    "place": Block.EVENT_PLACE,
    "description": Block.EVENT_DESCRIPTION,
    "channel": Block.EVENT_CHANNEL,
}


def register(app: AsyncApp) -> None:
    """Bind every modal."""
    app.view(Callback.REQUEST)(on_request_submitted)
    app.view(Callback.CLOSE)(on_close_submitted)
    app.view(Callback.HAND_TO)(on_hand_to_submitted)
    app.view(Callback.INCIDENT)(on_incident_submitted)
    app.view(Callback.EVENT)(on_event_submitted)
    app.view(Callback.EVENT_EDIT)(on_event_edit_submitted)
    app.view(Callback.AWAY)(on_away_submitted)
    app.view(Callback.CONCERN)(on_concern_submitted)
    app.view(Callback.CONCERN_HAND_TO)(on_concern_hand_to_submitted)
    app.view(Callback.LOG_CONTACT)(on_contact_logged)
    app.view(Callback.RELAY_RENAME)(on_rename_submitted)


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
        anonymous=ANONYMOUS_CHOICE in (values.get(Block.ANONYMOUS) or []),
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
    minutes = _whole_number(values.get(Block.MINUTES), empty=-1)
    if not 0 <= minutes <= _MAX_MINUTES:
        errors[Block.MINUTES] = f"Please enter whole minutes, from 0 to {_MAX_MINUTES}."
    try:
        referral = Referral(values.get(Block.REFERRAL) or Referral.NONE)
    except ValueError:
        errors[Block.REFERRAL] = "Please choose one of the options."
    follow_up_days = _whole_number(values.get(Block.FOLLOW_UP_DAYS), empty=0)
    heavy = HEAVY in (values.get(Block.HEAVY) or [])
    if not 0 <= follow_up_days <= _MAX_FOLLOW_UP_DAYS:
        errors[Block.FOLLOW_UP_DAYS] = (
            f"Please enter whole days, from 1 to {_MAX_FOLLOW_UP_DAYS}, or leave it empty."
        )
    try:
        ref = decode(RequestRef, body["view"].get("private_metadata"))
        await services.requests.held_request(request_id=ref.request_id, user_id=user_id)
    except (DomainError, BadPayload) as error:
        errors[Block.MINUTES] = user_message(error)
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
        await ack(response_action="errors", errors={Block.MINUTES: user_message(error)})
        return
    await ack()
    services.background.spawn(
        _after_close(services, closed, follow_up_days, heavy),
        name="close_request",
    )


async def _after_close(
    services: Services,
    closed: ClosedRequest,
    follow_up_days: int,
    heavy: bool,
) -> None:
    await services.requests.announce_close(closed)
    request_id, user_id = closed.request.id, closed.supporter_id
    if heavy:
        await services.care.heavy(request_id=request_id, supporter_id=user_id)
    if follow_up_days:
        await services.checkins.schedule_follow_up(
            request_id=request_id, supporter_id=user_id, after=timedelta(days=follow_up_days)
        )


def _whole_number(text: str | None, *, empty: int) -> int:
    """A non-negative whole number typed in a text input; ``empty`` if blank, -1 if not a number."""
    stripped = (text or "").strip()
    if not stripped:
        return empty
    return int(stripped) if stripped.isdigit() and len(stripped) < 7 else -1


async def on_hand_to_submitted(ack: AsyncAck, body: dict[str, Any], services: Services) -> None:
    """A coordinator offers a waiting request to a named supporter."""
    supporter_id = flatten_state(body["view"]).get(Block.SUPPORTER)
    try:
        ref = decode(RequestRef, body["view"].get("private_metadata"))
        if not supporter_id:
            raise InvalidForm({"supporter": "Please choose a supporter."})
        handed = await services.requests.offer_to(
            request_id=ref.request_id, supporter_id=supporter_id, coordinator_id=body["user"]["id"]
        )
    except InvalidForm as invalid:
        await ack(response_action="errors", errors={Block.SUPPORTER: invalid.errors["supporter"]})
        return
    except (DomainError, BadPayload) as error:
        await ack(response_action="errors", errors={Block.SUPPORTER: user_message(error)})
        return
    await ack()
    services.background.spawn(services.requests.send_offer(handed=handed), name="send_offer")


async def on_incident_submitted(ack: AsyncAck, body: dict[str, Any], services: Services) -> None:
    """Store the incident before answering Slack; look people up and schedule after."""
    values = flatten_state(body["view"])
    form = IncidentForm(
        kind=values.get(Block.INCIDENT_KIND),
        name=values.get(Block.INCIDENT_NAME),
        occurred_on=values.get(Block.INCIDENT_DATE),
        user_ids=frozenset(values.get(Block.INCIDENT_PEOPLE) or []),
        channel_id=values.get(Block.INCIDENT_CHANNEL) or None,
        plan=values.get(Block.INCIDENT_PLAN),
        debrief_date=values.get(Block.DEBRIEF_DATE),
        debrief_time=values.get(Block.DEBRIEF_TIME),
        debrief_place=values.get(Block.DEBRIEF_PLACE),
    )
    try:
        incident_id = await services.checkins.register_incident(coordinator_id=body["user"]["id"], form=form)
    except InvalidForm as invalid:
        await ack(
            response_action="errors", errors={_INCIDENT_FIELDS[f]: m for f, m in invalid.errors.items()}
        )
        return
    except DomainError as error:
        await ack(response_action="errors", errors={Block.INCIDENT_NAME: user_message(error)})
        return
    await ack()
    services.background.spawn(services.checkins.prepare(incident_id=incident_id), name="prepare_incident")


def _event_form(view: dict[str, Any]) -> EventForm:
    values = flatten_state(view)
    return EventForm(
        title=values.get(Block.EVENT_TITLE),
        kind=values.get(Block.EVENT_KIND),
        day=values.get(Block.EVENT_DATE),
        start=values.get(Block.EVENT_START),
        end=values.get(Block.EVENT_END),
        place=values.get(Block.EVENT_PLACE),
        description=values.get(Block.EVENT_DESCRIPTION),
        channel_id=values.get(Block.EVENT_CHANNEL),
    )


async def on_event_submitted(ack: AsyncAck, body: dict[str, Any], services: Services) -> None:
    """Store the event (the channel checked first) before answering Slack; post it after."""
    try:
        await services.announcements.announce(
            coordinator_id=body["user"]["id"], form=_event_form(body["view"])
        )
    except InvalidForm as invalid:
        await ack(response_action="errors", errors={_EVENT_FIELDS[f]: m for f, m in invalid.errors.items()})
        return
    except DomainError as error:
        await ack(response_action="errors", errors={Block.EVENT_TITLE: user_message(error)})
        return
    await ack()
    services.background.spawn(services.announcements.publish(), name="publish_event")


async def on_event_edit_submitted(ack: AsyncAck, body: dict[str, Any], services: Services) -> None:
    """Save an edited event; its post is redrawn after."""
    try:
        ref = decode(EventRef, body["view"].get("private_metadata"))
        await services.announcements.edit(
            coordinator_id=body["user"]["id"],
            announcement_id=ref.announcement_id,
            form=_event_form(body["view"]),
        )
    except InvalidForm as invalid:
        await ack(response_action="errors", errors={_EVENT_FIELDS[f]: m for f, m in invalid.errors.items()})
        return
    except (DomainError, BadPayload) as error:
        await ack(response_action="errors", errors={Block.EVENT_TITLE: user_message(error)})
        return
    await ack()
    services.background.spawn(
        services.announcements.redraw(announcement_id=ref.announcement_id), name="redraw_event"
    )


async def on_away_submitted(ack: AsyncAck, body: dict[str, Any], services: Services) -> None:
    """A supporter pauses offers from their Home, until a date or until they come back."""
    until = flatten_state(body["view"]).get(Block.AWAY_UNTIL)
    try:
        await services.roster.set_away(
            user_id=body["user"]["id"], until=date.fromisoformat(until) if until else None
        )
    except (DomainError, ValueError) as error:
        text = user_message(error) if isinstance(error, DomainError) else "Please pick a date."
        await ack(response_action="errors", errors={Block.AWAY_UNTIL: text})
        return
    await ack()


_CONTACT_FIELDS = {
    "occurred_on": Block.CONTACT_DATE,
    "minutes": Block.CONTACT_MINUTES,
    "areas": Block.CONTACT_AREAS,
    "channel": Block.CONTACT_CHANNEL,
    "referral": Block.CONTACT_REFERRAL,
}


async def on_contact_logged(ack: AsyncAck, body: dict[str, Any], services: Services) -> None:
    """Record an anonymous contact a supporter had outside the bot."""
    values = flatten_state(body["view"])
    form = ContactForm(
        occurred_on=values.get(Block.CONTACT_DATE),
        minutes=values.get(Block.CONTACT_MINUTES),
        areas=tuple(values.get(Block.CONTACT_AREAS) or ()),
        channel=values.get(Block.CONTACT_CHANNEL),
        referral=values.get(Block.CONTACT_REFERRAL),
    )
    try:
        await services.tracking.log_contact(supporter_id=body["user"]["id"], form=form)
    except InvalidForm as invalid:
        await ack(response_action="errors", errors={_CONTACT_FIELDS[f]: m for f, m in invalid.errors.items()})
        return
    except DomainError as error:
        await ack(response_action="errors", errors={Block.CONTACT_MINUTES: user_message(error)})
        return
    await ack(
        response_action="update",
        view=notice_modal(
            title="Contact logged",
            text="Thank you. The contact is recorded without the other person's name, and your time counts.",
        ),
    )


async def on_rename_submitted(ack: AsyncAck, body: dict[str, Any], services: Services) -> None:
    """The supporter saves the name the anonymous colleague sees."""
    label = flatten_state(body["view"]).get(Block.LABEL) or ""
    try:
        ref = decode(ConversationRef, body["view"].get("private_metadata"))
        await services.relay.rename(
            conversation_id=ref.conversation_id, user_id=body["user"]["id"], label=label
        )
    except InvalidForm as invalid:
        await ack(response_action="errors", errors={Block.LABEL: invalid.errors["label"]})
        return
    except (DomainError, BadPayload) as error:
        await ack(response_action="errors", errors={Block.LABEL: user_message(error)})
        return
    await ack()


_CONCERN_FIELDS = {"subject": Block.CONCERN_SUBJECT, "note": Block.CONCERN_NOTE}


async def on_concern_submitted(ack: AsyncAck, body: dict[str, Any], services: Services) -> None:
    """Store the concern before answering Slack; the coordinators are told after."""
    values = flatten_state(body["view"])
    form = ConcernForm(
        subject_id=values.get(Block.CONCERN_SUBJECT),
        note=values.get(Block.CONCERN_NOTE),
        contact_me=CONTACT_ME in (values.get(Block.CONCERN_CONTACT_ME) or []),
    )
    raiser_id = body["user"]["id"]
    try:
        concern_id = await services.concerns.raise_concern(raiser_id=raiser_id, form=form)
    except InvalidForm as invalid:
        await ack(response_action="errors", errors={_CONCERN_FIELDS[f]: m for f, m in invalid.errors.items()})
        return
    await ack()
    services.background.spawn(
        services.concerns.alert(concern_id=concern_id, raiser_id=raiser_id), name="alert"
    )


async def on_concern_hand_to_submitted(ack: AsyncAck, body: dict[str, Any], services: Services) -> None:
    """A coordinator asks a supporter to reach out to the colleague."""
    supporter_id = flatten_state(body["view"]).get(Block.CONCERN_SUPPORTER)
    try:
        ref = decode(ConcernRef, body["view"].get("private_metadata"))
        if not supporter_id:
            raise InvalidForm({"supporter": "Please choose a supporter."})
        await services.concerns.hand_to(
            coordinator_id=body["user"]["id"], concern_id=ref.concern_id, supporter_id=supporter_id
        )
    except (DomainError, BadPayload) as error:
        await ack(response_action="errors", errors={Block.CONCERN_SUPPORTER: user_message(error)})
        return
    await ack()
