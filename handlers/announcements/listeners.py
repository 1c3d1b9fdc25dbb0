"""Announcements (the program's events): RSVPs, the event modal, editing and cancelling from the Home tab."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.announcements import EventForm
from bot.errors import DomainError, InvalidForm
from bot.handoff import HandoffKind
from bot.services import Services
from handlers.announcements.blocks import event_modal, rsvp_text
from handlers.announcements.ids import AnnouncementAction, AnnouncementCallback, AnnouncementField
from handlers.common.clicks import button_value, coordinator_view, ephemeral, later, open_built, where
from handlers.common.errors import user_message
from handlers.common.parsing import flatten_state
from handlers.common.payloads import BadPayload, EventRef, decode
from storage.models import Announcement


def register(app: AsyncApp) -> None:
    """Bind the event buttons and modals."""
    app.action(AnnouncementAction.RSVP)(on_rsvp)
    app.action(AnnouncementAction.HOME_EVENT)(on_home_event)
    app.action(AnnouncementAction.EVENT_EDIT)(on_event_edit)
    app.action(AnnouncementAction.EVENT_CANCEL)(on_event_cancel)
    app.view(AnnouncementCallback.EVENT)(on_event_submitted)
    app.view(AnnouncementCallback.EVENT_EDIT)(on_event_edit_submitted)


def event_view(services: Services, event: Announcement | None = None) -> dict[str, Any]:
    """The coordinator's modal to announce an event, or to edit ``event``."""
    today = services.hours.today(services.clock.now()).isoformat()
    tz = services.hours.tz
    return event_modal(today=today, tz_name=tz.key, event=event, tz=tz)


async def on_rsvp(ack: AsyncAck, body: dict[str, Any], services: Services, client: AsyncWebClient) -> None:
    """Toggle the clicker in or out of an event; they are told privately, the post's count is redrawn."""
    await ack()
    await later(services, client, body, _rsvp(services, client, body), name="rsvp")


async def _rsvp(services: Services, client: AsyncWebClient, body: dict[str, Any]) -> None:
    ref = decode(EventRef, button_value(body))
    result = await services.announcements.toggle_rsvp(
        announcement_id=ref.announcement_id, user_id=body["user"]["id"]
    )
    if where(body)[0]:  # clicked in the channel (on the Home tab, the Home itself shows it)
        await ephemeral(client, body, rsvp_text(result))
    await services.announcements.redraw(announcement_id=ref.announcement_id)


async def on_home_event(
    ack: AsyncAck, body: dict[str, Any], services: Services, client: AsyncWebClient
) -> None:
    """A coordinator's Home button: the event modal."""
    await ack()
    await open_built(services, client, body, coordinator_view(services, body, lambda: event_view(services)))


async def on_event_edit(
    ack: AsyncAck, body: dict[str, Any], services: Services, client: AsyncWebClient
) -> None:
    """A coordinator edits an upcoming event from their Home."""
    await ack()
    await open_built(services, client, body, _edit_view(services, body))


async def _edit_view(services: Services, body: dict[str, Any]) -> dict[str, Any]:
    ref = decode(EventRef, button_value(body))
    event = await services.announcements.for_edit(
        coordinator_id=body["user"]["id"], announcement_id=ref.announcement_id
    )
    return event_view(services, event)


async def on_event_cancel(
    ack: AsyncAck, body: dict[str, Any], services: Services, client: AsyncWebClient
) -> None:
    """A coordinator cancels an upcoming event from their Home; the post says so."""
    await ack()
    await later(services, client, body, _cancel_event(services, body), name="cancel_event")


async def _cancel_event(services: Services, body: dict[str, Any]) -> None:
    ref = decode(EventRef, button_value(body))
    await services.announcements.cancel(
        coordinator_id=body["user"]["id"], announcement_id=ref.announcement_id
    )
    await services.announcements.redraw(announcement_id=ref.announcement_id)


_EVENT_FIELDS = {
    "title": AnnouncementField.EVENT_TITLE,
    "kind": AnnouncementField.EVENT_KIND,
    "date": AnnouncementField.EVENT_DATE,
    "end": AnnouncementField.EVENT_END,
    "place": AnnouncementField.EVENT_PLACE,
    "description": AnnouncementField.EVENT_DESCRIPTION,
    "channel": AnnouncementField.EVENT_CHANNEL,
}


def _event_form(view: dict[str, Any]) -> EventForm:
    values = flatten_state(view)
    return EventForm(
        title=values.get(AnnouncementField.EVENT_TITLE),
        kind=values.get(AnnouncementField.EVENT_KIND),
        day=values.get(AnnouncementField.EVENT_DATE),
        start=values.get(AnnouncementField.EVENT_START),
        end=values.get(AnnouncementField.EVENT_END),
        place=values.get(AnnouncementField.EVENT_PLACE),
        description=values.get(AnnouncementField.EVENT_DESCRIPTION),
        channel_id=values.get(AnnouncementField.EVENT_CHANNEL),
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
        await ack(response_action="errors", errors={AnnouncementField.EVENT_TITLE: user_message(error)})
        return
    await ack()
    await services.handoff.submit(HandoffKind.PUBLISH_EVENTS)


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
        await ack(response_action="errors", errors={AnnouncementField.EVENT_TITLE: user_message(error)})
        return
    await ack()
    await services.handoff.submit(HandoffKind.REDRAW_EVENT, announcement_id=ref.announcement_id)
