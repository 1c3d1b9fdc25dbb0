"""``/peer incident`` (the modal), ``/peer incident list|close N``."""

from __future__ import annotations

from typing import Any

from bot.services import Services
from handlers.common.feature import FormOpener, Subcommand
from handlers.common.parsing import ArgumentError
from handlers.incidents.blocks import incidents_text
from handlers.incidents.listeners import follow_up_view, incident_view


async def _incident_form(services: Services, user_id: str, args: list[str]) -> dict[str, Any] | None:
    if len(args) == 1 and args[0].lstrip("#").isdigit():
        return await follow_up_view(services, user_id, int(args[0].lstrip("#")))
    if args:
        return None
    await services.roles.require_coordinator_role(user_id)
    return incident_view(services)


async def _incident(services: Services, user_id: str, args: list[str]) -> str:
    action = args[0].lower() if args else ""
    if action == "list":
        progress = await services.checkins.incidents(coordinator_id=user_id)
        return incidents_text(progress, min_count=services.min_count, tz=services.hours.tz)
    if action == "close" and len(args) == 2 and args[1].lstrip("#").isdigit():
        incident_id = int(args[1].lstrip("#"))
        cancelled = await services.checkins.close_incident(coordinator_id=user_id, incident_id=incident_id)
        return f"Incident #{incident_id} is closed; {cancelled} check-ins still due were cancelled."
    raise ArgumentError(
        "Use `/peer incident`, `/peer incident list`, `/peer incident N` (its follow-up)"
        " or `/peer incident close N`."
    )


FORMS: dict[str, FormOpener] = {"incident": _incident_form}
SUBCOMMANDS: dict[str, Subcommand] = {"incident": _incident}
