"""``/peer event`` (the modal), ``/peer event list|edit N|cancel N``."""

from __future__ import annotations

from typing import Any

from bot.handoff import HandoffKind
from bot.services import Services
from handlers.announcements.blocks import events_text
from handlers.announcements.listeners import event_view
from handlers.common.blocks import escape
from handlers.common.feature import FormOpener, Subcommand
from handlers.common.parsing import ArgumentError


async def _event_form(services: Services, user_id: str, args: list[str]) -> dict[str, Any] | None:
    if not args:
        await services.roles.require_coordinator_role(user_id)
        return event_view(services)
    if len(args) == 2 and args[0].lower() == "edit" and args[1].lstrip("#").isdigit():
        event = await services.announcements.for_edit(
            coordinator_id=user_id, announcement_id=int(args[1].lstrip("#"))
        )
        return event_view(services, event)
    return None


async def _event(services: Services, user_id: str, args: list[str]) -> str:
    action = args[0].lower() if args else ""
    if action == "list" and len(args) == 1:
        listings = await services.announcements.listing(coordinator_id=user_id)
        return events_text(listings, tz=services.hours.tz)
    if action == "cancel" and len(args) == 2 and args[1].lstrip("#").isdigit():
        event_id = int(args[1].lstrip("#"))
        event = await services.announcements.cancel(coordinator_id=user_id, announcement_id=event_id)
        await services.handoff.submit(HandoffKind.REDRAW_EVENT, announcement_id=event_id)
        return (
            f"*{escape(event.title)}* (#{event_id}) is cancelled: its post says so and no reminders"
            " will go out."
        )
    raise ArgumentError(
        "Use `/peer event`, `/peer event list`, `/peer event edit N` or `/peer event cancel N`."
    )


FORMS: dict[str, FormOpener] = {"event": _event_form}
SUBCOMMANDS: dict[str, Subcommand] = {"event": _event}
