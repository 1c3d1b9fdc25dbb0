"""Opening modals after the ack (a ``trigger_id`` lives three seconds)."""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient

from bot.durations import format_plan
from bot.services import Services
from handlers.blocks.events import event_modal
from handlers.blocks.incidents import incident_modal
from handlers.blocks.requests import request_modal
from storage.models import Announcement, IncidentKind


def open_view(services: Services, client: AsyncWebClient, *, trigger_id: str, view: dict) -> None:
    """Open ``view`` in the background, so the ack never waits on Slack."""
    services.background.spawn(client.views_open(trigger_id=trigger_id, view=view), name="views_open")


def open_request_modal(services: Services, client: AsyncWebClient, *, trigger_id: str) -> None:
    """Open the request modal."""
    open_view(
        services,
        client,
        trigger_id=trigger_id,
        view=request_modal(note_max_length=services.note_max_length),
    )


def incident_view(services: Services) -> dict:
    """The coordinator's incident modal, with each kind's default plan and today's date."""
    plans = {kind: format_plan(services.checkins.default_plan(kind)) for kind in IncidentKind}
    today = services.hours.today(services.clock.now()).isoformat()
    return incident_modal(plans=plans, today=today)


def event_view(services: Services, event: Announcement | None = None) -> dict:
    """The coordinator's modal to announce an event, or to edit ``event``."""
    today = services.hours.today(services.clock.now()).isoformat()
    tz = services.hours.tz
    return event_modal(today=today, tz_name=tz.key, event=event, tz=tz)
