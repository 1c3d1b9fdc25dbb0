"""``/peer`` (the request form), ``/peer status`` and ``/peer cancel``."""

from __future__ import annotations

from typing import Any

from bot.services import Services
from handlers.common.feature import FormOpener, Subcommand
from handlers.requests.blocks import nobody_on_call_text, request_modal


async def _request_form(services: Services, user_id: str, _: list[str]) -> dict[str, Any]:
    await services.requests.ensure_can_request(requester_id=user_id)
    return await request_view(services, user_id)


async def request_view(services: Services, user_id: str) -> dict[str, Any]:
    """The request modal, warning first when nobody from the peer team can be reached now."""
    until = await services.requests.nobody_reachable_until(requester_id=user_id)
    warning = None if until is None else nobody_on_call_text(until, services.hours.tz)
    return request_modal(
        note_max_length=services.note_max_length,
        nobody_until=warning,
        choices=await services.profiles.match_choices(),
    )


async def _status(services: Services, user_id: str, _: list[str]) -> str:
    status = await services.requests.status(requester_id=user_id)
    if status is None:
        return "You don't have an open request. Type `/peer` to ask for a peer."
    if status.assignee_id:
        return (
            f"Your request #{status.request_id} is with <@{status.assignee_id}>, who will reach out to you."
        )
    if status.anonymous and status.state == "assigned":
        return (
            f"Your request #{status.request_id} is with a peer supporter. Write to them in the thread of"
            ' "Your anonymous conversation" in your messages with this app.'
        )
    if status.state == "escalated":
        return (
            f"Your request #{status.request_id} is waiting: no supporter is free right now, and the"
            " coordinators were alerted (without your name). `/peer resources` if you need someone now."
        )
    return (
        f"Your request #{status.request_id} is being offered to a peer supporter."
        " You'll get a DM when one accepts."
    )


async def _cancel(services: Services, user_id: str, _: list[str]) -> str:
    request_id = await services.requests.cancel(requester_id=user_id)
    return f"Your request #{request_id} was withdrawn. You can ask again at any time with `/peer`."


# ``/peer`` alone opens the request form.
FORMS: dict[str, FormOpener] = {"": _request_form}
SUBCOMMANDS: dict[str, Subcommand] = {"status": _status, "cancel": _cancel}
