"""``/peer`` and its subcommands. Every answer is ephemeral or a DM."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.durations import format_plan
from bot.errors import DomainError, NotOnRoster
from bot.periods import Period
from bot.reports import chart_png, csv_bytes
from bot.services import Services
from handlers.blocks.common import resources_text
from handlers.blocks.home import help_text, roster_text
from handlers.blocks.incidents import incident_modal, incidents_text
from handlers.blocks.requests import request_modal
from handlers.blocks.tracking import audit_text, log_contact_modal, stats_blocks
from handlers.errors import user_message
from handlers.ids import Command
from handlers.modals import open_view
from handlers.parsing import ArgumentError, mentioned_users, parse_date
from storage.models import IncidentKind

log = logging.getLogger(__name__)

Subcommand = Callable[[Services, str, list[str]], Awaitable[str]]


def register(app: AsyncApp) -> None:
    """Bind ``/peer``."""
    app.command(Command.PEER)(on_peer)


async def on_peer(
    ack: AsyncAck, command: dict[str, Any], services: Services, client: AsyncWebClient, respond: AsyncRespond
) -> None:
    """Dispatch ``/peer [subcommand …]``; unknown subcommands get help."""
    user_id = command["user_id"]
    args = (command.get("text") or "").split()
    name = args[0].lower() if args else ""
    try:
        if name in MODALS and len(args) <= 1:
            view = await MODALS[name](services, user_id)
            await ack()
            open_view(services, client, trigger_id=command.get("trigger_id", ""), view=view)
            return
        if name in REPORTS:
            # Checked before the ack, so a refusal is immediate; the report itself comes after it.
            services.roles.require_coordinator(user_id)
            period = services.tracking.period(" ".join(args[1:]))
            await ack(text="Gathering the numbers…", response_type="ephemeral")
            services.background.spawn(REPORTS[name](services, client, respond, user_id, period), name=name)
            return
        subcommand = SUBCOMMANDS.get(name)
        if subcommand is None:
            text = f"I don't know `/peer {name[:30]}`.\n" + await _help(services, user_id, [])
        else:
            text = await subcommand(services, user_id, args[1:])
    except (DomainError, ArgumentError) as error:
        text = str(error) if isinstance(error, ArgumentError) else user_message(error)
    await ack(text=text, response_type="ephemeral")


async def _request_view(services: Services, user_id: str) -> dict:
    await services.requests.ensure_can_request(requester_id=user_id)
    return request_modal(note_max_length=services.note_max_length)


async def _incident_view(services: Services, user_id: str) -> dict:
    services.roles.require_coordinator(user_id)
    plans = {kind: format_plan(services.checkins.default_plan(kind)) for kind in IncidentKind}
    return incident_modal(plans=plans, today=_today(services))


async def _log_view(services: Services, user_id: str) -> dict:
    if await services.roster.get(user_id) is None:
        raise NotOnRoster()
    return log_contact_modal(today=_today(services))


def _today(services: Services) -> str:
    return services.hours.today(services.clock.now()).isoformat()


async def _help(services: Services, user_id: str, _: list[str]) -> str:
    supporter = await services.roster.get(user_id)
    return help_text(
        is_supporter=supporter is not None,
        is_coordinator=services.roles.is_coordinator(user_id),
        hours=services.hours.describe(),
    )


async def _resources(services: Services, _user: str, _: list[str]) -> str:
    return resources_text(services.resources)


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


async def _available(services: Services, user_id: str, _: list[str]) -> str:
    await services.roster.set_available(user_id=user_id)
    return "You're available: new requests can be offered to you again. Thank you."


async def _away(services: Services, user_id: str, args: list[str]) -> str:
    until = None
    if args:
        if len(args) != 2 or args[0].lower() != "until":
            raise ArgumentError("Use `/peer away` or `/peer away until YYYY-MM-DD`.")
        until = parse_date(args[1])
    await services.roster.set_away(user_id=user_id, until=until)
    if until is None:
        return "You're away: no new offers until you type `/peer available`. Open offers were passed on."
    return (
        f"You're away: no new offers until {until:%a %-d %b %Y}, when offers resume."
        " Open offers were passed on."
    )


async def _afterhours(services: Services, user_id: str, args: list[str]) -> str:
    choice = args[0].lower() if args else ""
    if choice not in {"on", "off"}:
        raise ArgumentError("Use `/peer afterhours on` or `/peer afterhours off`.")
    await services.roster.set_after_hours(user_id=user_id, enabled=choice == "on")
    if choice == "on":
        return "You'll also get offers outside program hours. Thank you."
    return f"You'll get offers only during program hours ({services.hours.describe()})."


async def _roster(services: Services, user_id: str, args: list[str]) -> str:
    action = args[0].lower() if args else ""
    if action == "":
        return roster_text(await services.roster.entries(coordinator_id=user_id))
    if action == "add":
        services.roles.require_coordinator(user_id)
        tokens, trained_on = args[1:], None
        if len(tokens) >= 2 and tokens[-2].lower() == "trained":
            trained_on = parse_date(tokens[-1])
            tokens = tokens[:-2]
        change = await services.roster.add(
            coordinator_id=user_id, user_ids=mentioned_users(tokens), trained_on=trained_on
        )
        parts = []
        if change.added:
            parts.append("Added " + ", ".join(f"<@{u}>" for u in change.added))
        if change.updated and trained_on is not None:
            parts.append(
                f"Recorded training on {trained_on:%Y-%m-%d} for "
                + ", ".join(f"<@{u}>" for u in change.updated)
            )
        elif change.updated:
            parts.append("Already on the roster: " + ", ".join(f"<@{u}>" for u in change.updated))
        if trained_on is None and change.added:
            parts.append("No training date recorded: they get offers once one is, with `trained YYYY-MM-DD`")
        return ". ".join(parts) + "."
    if action == "remove":
        services.roles.require_coordinator(user_id)
        change = await services.roster.remove(coordinator_id=user_id, user_ids=mentioned_users(args[1:]))
        parts = []
        if change.removed:
            parts.append(
                "Removed " + ", ".join(f"<@{u}>" for u in change.removed) + "; what they held goes to others"
            )
        if change.not_found:
            parts.append("Not on the roster: " + ", ".join(f"<@{u}>" for u in change.not_found))
        return ". ".join(parts) + "."
    raise ArgumentError(
        "Use `/peer roster`, `/peer roster add @user… [trained YYYY-MM-DD]` or `/peer roster remove @user…`."
    )


async def _incident(services: Services, user_id: str, args: list[str]) -> str:
    action = args[0].lower() if args else ""
    if action == "list":
        progress = await services.checkins.incidents(coordinator_id=user_id)
        return incidents_text(progress, min_count=services.min_count)
    if action == "close" and len(args) == 2 and args[1].lstrip("#").isdigit():
        incident_id = int(args[1].lstrip("#"))
        cancelled = await services.checkins.close_incident(coordinator_id=user_id, incident_id=incident_id)
        return f"Incident #{incident_id} is closed; {cancelled} check-ins still due were cancelled."
    raise ArgumentError("Use `/peer incident`, `/peer incident list` or `/peer incident close N`.")


async def _stats(
    services: Services, _client: AsyncWebClient, respond: AsyncRespond, user_id: str, period: Period
) -> None:
    report = await services.tracking.stats(coordinator_id=user_id, period=period)
    await respond(text="Peer support statistics", blocks=stats_blocks(report), response_type="ephemeral")


async def _export(
    services: Services, client: AsyncWebClient, respond: AsyncRespond, user_id: str, period: Period
) -> None:
    report = await services.tracking.monthly_areas(coordinator_id=user_id, period=period)
    name = f"peer-support-{period.start:%Y-%m-%d}-to-{period.end - timedelta(days=1):%Y-%m-%d}"
    dm = await client.conversations_open(users=user_id)
    await client.files_upload_v2(
        channel=dm["channel"]["id"],
        initial_comment=f"Peer support contacts, {period.label} (aggregates only, small counts suppressed).",
        file_uploads=[
            {
                "file": csv_bytes(report),
                "filename": f"{name}.csv",
                "title": f"Contacts by month and area ({period.label})",
            },
            {
                "file": chart_png(report),
                "filename": f"{name}.png",
                "title": f"Contacts per month ({period.label})",
            },
        ],
    )
    await services.tracking.export_recorded(coordinator_id=user_id, period=period)
    await respond(text="The CSV and the chart are in your DM with the app.", response_type="ephemeral")


async def _audit(services: Services, user_id: str, _: list[str]) -> str:
    return audit_text(await services.tracking.audit_log(coordinator_id=user_id), tz=services.hours.tz)


MODALS: dict[str, Callable[[Services, str], Awaitable[dict]]] = {
    "": _request_view,
    "incident": _incident_view,
    "log": _log_view,
}
REPORTS: dict[str, Callable[[Services, AsyncWebClient, AsyncRespond, str, Period], Awaitable[None]]] = {
    "stats": _stats,
    "export": _export,
}
SUBCOMMANDS: dict[str, Subcommand] = {
    "help": _help,
    "resources": _resources,
    "status": _status,
    "cancel": _cancel,
    "available": _available,
    "away": _away,
    "afterhours": _afterhours,
    "roster": _roster,
    "incident": _incident,
    "audit": _audit,
}
