"""``/peer`` and its subcommands. Every answer is ephemeral or a DM."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import DomainError, NotOnRoster
from bot.periods import Period
from bot.reports import chart_png, csv_bytes
from bot.services import Services
from handlers.blocks.common import escape, resources_text
from handlers.blocks.concerns import concern_modal
from handlers.blocks.events import events_text
from handlers.blocks.home import help_text
from handlers.blocks.incidents import incidents_text
from handlers.blocks.requests import request_modal
from handlers.blocks.roster import coordinators_text, due_text, roster_text
from handlers.blocks.tracking import audit_text, log_contact_modal, stats_blocks
from handlers.errors import user_message
from handlers.ids import Command
from handlers.modals import event_view, incident_view, open_view
from handlers.parsing import ArgumentError, mentioned_users, parse_date
from storage.models import TrainingKind

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
        opener = MODALS.get(name)
        view = await opener(services, user_id, args[1:]) if opener else None
        if view is not None:
            await ack()
            open_view(services, client, trigger_id=command.get("trigger_id", ""), view=view)
            return
        if name in REPORTS:
            # Checked before the ack, so a refusal is immediate; the report itself comes after it.
            await services.roles.require_coordinator_role(user_id)
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


async def _request_form(services: Services, user_id: str, _: list[str]) -> dict:
    await services.requests.ensure_can_request(requester_id=user_id)
    return request_modal(note_max_length=services.note_max_length)


async def _log_form(services: Services, user_id: str, args: list[str]) -> dict | None:
    if args:
        return None
    if await services.roster.get(user_id) is None:
        raise NotOnRoster()
    return log_contact_modal(today=services.hours.today(services.clock.now()).isoformat())


async def _help(services: Services, user_id: str, _: list[str]) -> str:
    supporter = await services.roster.get(user_id)
    return help_text(
        is_supporter=supporter is not None,
        is_coordinator=await services.roles.has_coordinator_role(user_id),
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
        entries = await services.roster.entries(coordinator_id=user_id)
        return roster_text(entries, await services.volunteers.pending(coordinator_id=user_id))
    if action == "add":
        await services.roles.require_coordinator_role(user_id)  # refused before the arguments are read
        tokens, trained_on = args[1:], None
        if len(tokens) >= 2 and tokens[-2].lower() == "trained":
            trained_on = parse_date(tokens[-1])
            tokens = tokens[:-2]
        change = await services.roster.add(
            coordinator_id=user_id, user_ids=mentioned_users(tokens), trained_on=trained_on
        )
        parts = []
        if change.added:
            parts.append("Added " + _names(change.added))
        if change.updated and trained_on is not None:
            parts.append(f"Recorded training on {trained_on:%Y-%m-%d} for " + _names(change.updated))
        elif change.updated:
            parts.append("Already on the roster: " + _names(change.updated))
        if trained_on is None and change.added:
            parts.append("No training date recorded: they get offers once one is, with `trained YYYY-MM-DD`")
        return ". ".join(parts) + "."
    if action == "remove":
        await services.roles.require_coordinator_role(user_id)
        change = await services.roster.remove(coordinator_id=user_id, user_ids=mentioned_users(args[1:]))
        parts = []
        if change.removed:
            parts.append("Removed " + _names(change.removed) + "; what they held goes to others")
        if change.not_found:
            parts.append("Not on the roster: " + _names(change.not_found))
        return ". ".join(parts) + "."
    if action in {"suspend", "resume"}:
        suspend = action == "suspend"
        change = await services.roster.suspend(
            coordinator_id=user_id, user_ids=mentioned_users(args[1:]), suspended=suspend
        )
        parts = []
        if change.updated and suspend:
            parts.append(
                "Suspended " + _names(change.updated) + ": no offers until `/peer roster resume`;"
                " open offers were passed on, requests they hold stay with them"
            )
        elif change.updated:
            parts.append("Resumed " + _names(change.updated) + ": offers can reach them again")
        if change.not_found:
            parts.append("Not on the roster: " + _names(change.not_found))
        return ". ".join(parts) + "."
    raise ArgumentError(
        "Use `/peer roster`, `/peer roster add @user… [trained YYYY-MM-DD]`, `/peer roster remove @user…`"
        " or `/peer roster suspend|resume @user…`."
    )


_TRAINING_USAGE = (
    "Use `/peer training @user… basic|refresher YYYY-MM-DD`,"
    " `/peer training @user… advanced YYYY-MM-DD name of the training` or `/peer training due`."
)


async def _training(services: Services, user_id: str, args: list[str]) -> str:
    if [a.lower() for a in args] == ["due"]:
        return due_text(await services.roster.due(coordinator_id=user_id))
    people = [a for a in args if a.startswith("<@")]
    rest = args[len(people) :]
    if not people or len(rest) < 2 or rest[0].lower() not in set(TrainingKind):
        raise ArgumentError(_TRAINING_USAGE)
    kind = TrainingKind(rest[0].lower())
    completed_on = parse_date(rest[1])
    change = await services.roster.record_training(
        coordinator_id=user_id,
        user_ids=mentioned_users(people),
        kind=kind,
        completed_on=completed_on,
        name=" ".join(rest[2:]),
    )
    parts = []
    if change.updated:
        what = " ".join(rest[2:]) if kind == TrainingKind.ADVANCED else _TRAINING_WORDS[kind]
        parts.append(f"Recorded {what} on {completed_on:%Y-%m-%d} for " + _names(change.updated))
    if change.not_found:
        parts.append("Not on the roster: " + _names(change.not_found))
    return ". ".join(parts) + "."


_TRAINING_WORDS = {TrainingKind.BASIC: "the basic course", TrainingKind.REFRESHER: "a refresher"}


async def _coordinators(services: Services, user_id: str, args: list[str]) -> str:
    action = args[0].lower() if args else ""
    if action == "":
        await services.roles.require_coordinator_role(user_id)
        coordinators = await services.roles.all_coordinators()
        fixed = [u for u in coordinators if services.roles.from_settings(u)]
        return coordinators_text(fixed, [u for u in coordinators if u not in fixed])
    if action in {"add", "remove"}:
        people = mentioned_users(args[1:])
        if action == "add":
            change = await services.roles.add_coordinators(coordinator_id=user_id, user_ids=people)
            done, already = "Now coordinators: ", "Already coordinators: "
        else:
            change = await services.roles.remove_coordinators(coordinator_id=user_id, user_ids=people)
            done, already = "No longer coordinators: ", "Not coordinators: "
        parts = []
        if change.changed:
            parts.append(done + _names(change.changed))
        if change.unchanged:
            parts.append(already + _names(change.unchanged))
        return ". ".join(parts) + "."
    raise ArgumentError("Use `/peer coordinators`, `/peer coordinators add @user…` or `remove @user…`.")


async def _volunteer(services: Services, user_id: str, args: list[str]) -> str:
    volunteer = await services.volunteers.volunteer(user_id=user_id, note=" ".join(args))
    services.background.spawn(
        services.volunteers.ask_coordinators(volunteer_id=volunteer.id), name="ask_coordinators"
    )
    return (
        "Thank you for offering to become a peer supporter. The coordinators will review it and"
        " you'll hear back here. Peer supporters complete a basic course before taking requests."
    )


def _names(user_ids: list[str]) -> str:
    return ", ".join(f"<@{u}>" for u in user_ids)


async def _incident_form(services: Services, user_id: str, args: list[str]) -> dict | None:
    if args:
        return None
    await services.roles.require_coordinator_role(user_id)
    return incident_view(services)


async def _event_form(services: Services, user_id: str, args: list[str]) -> dict | None:
    if not args:
        await services.roles.require_coordinator_role(user_id)
        return event_view(services)
    if len(args) == 2 and args[0].lower() == "edit" and args[1].lstrip("#").isdigit():
        event = await services.announcements.for_edit(
            coordinator_id=user_id, announcement_id=int(args[1].lstrip("#"))
        )
        return event_view(services, event)
    return None


async def _concern_form(services: Services, user_id: str, args: list[str]) -> dict | None:
    subject = mentioned_users(args)[0] if args else None
    return concern_modal(subject_id=subject)


# Subcommands that open a modal (the form is returned; None means "not a form, answer in text").
MODALS: dict[str, Callable[[Services, str, list[str]], Awaitable[dict | None]]] = {
    "": _request_form,
    "incident": _incident_form,
    "event": _event_form,
    "concern": _concern_form,
    "log": _log_form,
}


async def _event(services: Services, user_id: str, args: list[str]) -> str:
    action = args[0].lower() if args else ""
    if action == "list" and len(args) == 1:
        listings = await services.announcements.listing(coordinator_id=user_id)
        return events_text(listings, tz=services.hours.tz)
    if action == "cancel" and len(args) == 2 and args[1].lstrip("#").isdigit():
        event_id = int(args[1].lstrip("#"))
        event = await services.announcements.cancel(coordinator_id=user_id, announcement_id=event_id)
        services.background.spawn(
            services.announcements.redraw(announcement_id=event_id), name="redraw_event"
        )
        return (
            f"*{escape(event.title)}* (#{event_id}) is cancelled: its post says so and no reminders"
            " will go out."
        )
    raise ArgumentError(
        "Use `/peer event`, `/peer event list`, `/peer event edit N` or `/peer event cancel N`."
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
    "training": _training,
    "coordinators": _coordinators,
    "volunteer": _volunteer,
    "event": _event,
    "audit": _audit,
}
