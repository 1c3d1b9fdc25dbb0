"""``/peer available|away|afterhours|roster|training|coordinators|administrators|volunteer``."""

from __future__ import annotations

from bot.handoff import HandoffKind
from bot.roles import CoordinatorChange
from bot.services import Services
from handlers.common.feature import Subcommand
from handlers.common.parsing import ArgumentError, mentioned_users, parse_date
from handlers.common.peer_command import names as _names
from handlers.roster.blocks import administrators_text, coordinators_text, due_text, roster_text
from storage.models import TrainingKind


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
    if action in {"role", "unit"}:
        await services.roles.require_coordinator_role(user_id)
        people = [a for a in args[1:] if a.startswith("<@")]
        value = " ".join(args[1 + len(people) :])
        if not people or not value:
            raise ArgumentError(
                f"Use `/peer roster {action} @user… {'Attorney' if action == 'role' else 'Homicide unit'}`."
            )
        setter = services.profiles.set_role if action == "role" else services.profiles.set_unit
        profile_change = await setter(
            coordinator_id=user_id, user_ids=mentioned_users(people), **{action: value}
        )
        parts = []
        if profile_change.updated:
            parts.append(f"Set the {action} of " + _names(profile_change.updated))
        if profile_change.not_found:
            parts.append("Not on the roster: " + _names(profile_change.not_found))
        return ". ".join(parts) + "."
    raise ArgumentError(
        "Use `/peer roster`, `/peer roster add @user… [trained YYYY-MM-DD]`, `/peer roster remove @user…`,"
        " `/peer roster suspend|resume @user…` or `/peer roster role|unit @user… value`."
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


def _changed_text(change: CoordinatorChange, done: str, already: str) -> str:
    """What an add or remove of coordinators or administrators did, in one line."""
    parts = []
    if change.changed:
        parts.append(done + _names(change.changed))
    if change.unchanged:
        parts.append(already + _names(change.unchanged))
    return ". ".join(parts) + "."


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
        return _changed_text(change, done, already)
    raise ArgumentError("Use `/peer coordinators`, `/peer coordinators add @user…` or `remove @user…`.")


async def _administrators(services: Services, user_id: str, args: list[str]) -> str:
    action = args[0].lower() if args else ""
    await services.roles.require_coordinator_role(user_id)  # refused before the arguments are read
    if action == "":
        everyone = await services.roles.all_administrators()
        fixed = [u for u in everyone if services.roles.administrator_from_settings(u)]
        return administrators_text(fixed, [u for u in everyone if u not in fixed])
    if action in {"add", "remove"}:
        people = mentioned_users(args[1:])
        if action == "add":
            change = await services.roles.add_administrators(coordinator_id=user_id, user_ids=people)
            done, already = "Now administrators: ", "Already administrators: "
        else:
            change = await services.roles.remove_administrators(coordinator_id=user_id, user_ids=people)
            done, already = "No longer administrators: ", "Not administrators: "
        return _changed_text(change, done, already)
    raise ArgumentError("Use `/peer administrators`, `/peer administrators add @user…` or `remove @user…`.")


async def _volunteer(services: Services, user_id: str, args: list[str]) -> str:
    volunteer = await services.volunteers.volunteer(user_id=user_id, note=" ".join(args))
    await services.handoff.submit(HandoffKind.ASK_COORDINATORS, volunteer_id=volunteer.id)
    return (
        "Thank you for offering to become a peer supporter. The coordinators will review it and"
        " you'll hear back here. Peer supporters complete a basic course before taking requests."
    )


SUBCOMMANDS: dict[str, Subcommand] = {
    "available": _available,
    "away": _away,
    "afterhours": _afterhours,
    "roster": _roster,
    "training": _training,
    "coordinators": _coordinators,
    "administrators": _administrators,
    "volunteer": _volunteer,
}
