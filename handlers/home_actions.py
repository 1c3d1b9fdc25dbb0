"""Buttons on the App Home: everyone's, supporters' and coordinators' (each role checked by its service)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import NotOnRoster
from bot.services import Services
from handlers.blocks.concerns import concern_modal
from handlers.blocks.roster import away_modal
from handlers.blocks.tracking import log_contact_modal, stats_modal
from handlers.clicks import button_value, later, open_built
from handlers.ids import Action
from handlers.modals import event_view, incident_view, open_view
from handlers.payloads import EventRef, decode

# The Home's Statistics button shows what `/peer stats` shows by default.
HOME_STATS_PERIOD = ""


def register(app: AsyncApp) -> None:
    """Bind the Home tab's buttons (Talk to a peer, Close and I'm available again are shared)."""
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


async def on_cancel_request(
    ack: AsyncAck, body: dict[str, Any], services: Services, client: AsyncWebClient
) -> None:
    """The Home tab's Withdraw: the clicker's own open request (never anyone else's)."""
    await ack()
    later(services, client, body, _cancel_own(services, body), name="cancel_request")


async def _cancel_own(services: Services, body: dict[str, Any]) -> None:
    await services.requests.cancel(requester_id=body["user"]["id"])


async def on_pause_offers(
    ack: AsyncAck, body: dict[str, Any], services: Services, client: AsyncWebClient
) -> None:
    """A supporter opens the modal to pause offers."""
    await ack()
    await open_built(services, client, body, _supporter_view(services, body, away_modal))


async def on_log_contact(
    ack: AsyncAck, body: dict[str, Any], services: Services, client: AsyncWebClient
) -> None:
    """A supporter opens the modal to log a contact that happened outside the bot."""
    await ack()
    today = services.hours.today(services.clock.now()).isoformat()
    await open_built(
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
    later(services, client, body, _volunteer(services, body), name="volunteer")


async def _volunteer(services: Services, body: dict[str, Any]) -> None:
    volunteer = await services.volunteers.volunteer(user_id=body["user"]["id"], note=None)
    await services.volunteers.ask_coordinators(volunteer_id=volunteer.id)


async def on_home_incident(
    ack: AsyncAck, body: dict[str, Any], services: Services, client: AsyncWebClient
) -> None:
    """A coordinator's Home button: the incident modal."""
    await ack()
    await open_built(
        services, client, body, _coordinator_view(services, body, lambda: incident_view(services))
    )


async def on_home_event(
    ack: AsyncAck, body: dict[str, Any], services: Services, client: AsyncWebClient
) -> None:
    """A coordinator's Home button: the event modal."""
    await ack()
    await open_built(services, client, body, _coordinator_view(services, body, lambda: event_view(services)))


async def _coordinator_view(services: Services, body: dict[str, Any], build: Callable[[], dict]) -> dict:
    await services.roles.require_coordinator_role(body["user"]["id"])
    return build()


async def on_home_stats(
    ack: AsyncAck, body: dict[str, Any], services: Services, client: AsyncWebClient
) -> None:
    """A coordinator's Home button: the statistics, counts only."""
    await ack()
    await open_built(services, client, body, _stats_view(services, body))


async def _stats_view(services: Services, body: dict[str, Any]) -> dict:
    period = services.tracking.period(HOME_STATS_PERIOD)
    return stats_modal(await services.tracking.stats(coordinator_id=body["user"]["id"], period=period))


async def on_event_edit(
    ack: AsyncAck, body: dict[str, Any], services: Services, client: AsyncWebClient
) -> None:
    """A coordinator edits an upcoming event from their Home."""
    await ack()
    await open_built(services, client, body, _edit_view(services, body))


async def _edit_view(services: Services, body: dict[str, Any]) -> dict:
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
    later(services, client, body, _cancel_event(services, body), name="cancel_event")


async def _cancel_event(services: Services, body: dict[str, Any]) -> None:
    ref = decode(EventRef, button_value(body))
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
