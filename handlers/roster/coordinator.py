"""The coordinator's roster work from the Home: each button opens a modal, each modal calls the same
service method as its typed ``/peer roster …`` command (audited there), and bad input is answered at
its field (``response_action: errors``) with nothing stored.

Every button and submission checks the coordinator role first: a crafted payload from anyone else is
refused before its values are read.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import (
    AdministratorFromSettings,
    AlreadyDecided,
    CoordinatorFromSettings,
    DomainError,
    InvalidForm,
    LastCoordinator,
    VolunteerNotFound,
)
from bot.handoff import HandoffKind
from bot.services import Services
from handlers.common.blocks import notice_modal
from handlers.common.clicks import open_built
from handlers.common.errors import user_message
from handlers.common.parsing import flatten_state
from handlers.roster import modals
from handlers.roster.ids import RosterAction, RosterCallback, RosterField
from storage.models import TrainingKind

log = logging.getLogger(__name__)

# Where each field of a form error is shown.
_FIELDS = {
    "person": RosterField.SUPPORTER,
    "date": RosterField.TRAINED_ON,
    "kind": RosterField.TRAINING_KIND,
    "name": RosterField.TRAINING_NAME,
    "pause": RosterField.PAUSE,
    "volunteer": RosterField.VOLUNTEER,
    "decision": RosterField.DECISION,
    "role": RosterField.ROLE,
    "change": RosterField.ROLE_CHANGE,
    "supporter_role": RosterField.SUPPORTER_ROLE,
    "unit": RosterField.SUPPORTER_UNIT,
}
NOT_ON_ROSTER = "They aren't on the roster. Add them first."
REPEATED = "Done: this form was submitted before, and that is what was recorded."

Build = Callable[[Services, str], Awaitable[dict[str, Any]]]


def register(app: AsyncApp) -> None:
    """Bind the coordinator's roster buttons (Home) and their modals."""
    for action, build in _BUTTONS.items():
        app.action(action)(_opener(build))
    app.view(RosterCallback.ADD_SUPPORTER)(on_add_submitted)
    app.view(RosterCallback.TRAINING)(on_training_submitted)
    app.view(RosterCallback.SUSPEND)(on_suspend_submitted)
    app.view(RosterCallback.VOLUNTEERS)(on_volunteers_submitted)
    app.view(RosterCallback.ROLES)(on_roles_submitted)
    app.view(RosterCallback.PROFILE)(on_profile_submitted)


def _opener(build: Build) -> Callable[..., Awaitable[None]]:
    async def on_click(
        ack: AsyncAck, body: dict[str, Any], services: Services, client: AsyncWebClient
    ) -> None:
        """A coordinator's Home button: its modal (anyone else is told no)."""
        await ack()
        await open_built(services, client, body, _for_coordinator(services, body["user"]["id"], build))

    return on_click


async def _for_coordinator(services: Services, user_id: str, build: Build) -> dict[str, Any]:
    await services.roles.require_coordinator_role(user_id)
    return await build(services, user_id)


async def _roster(services: Services, user_id: str) -> dict[str, Any]:
    return modals.roster_modal(await services.roster.entries(coordinator_id=user_id))


async def _add(_: Services, __: str) -> dict[str, Any]:
    return modals.add_supporter_modal()


async def _training(services: Services, _: str) -> dict[str, Any]:
    return modals.training_modal(today=services.hours.today(services.clock.now()))


async def _suspend(_: Services, __: str) -> dict[str, Any]:
    return modals.suspend_modal()


async def _volunteers(services: Services, user_id: str) -> dict[str, Any]:
    return modals.volunteers_modal(await services.volunteers.pending(coordinator_id=user_id))


async def _roles(services: Services, _: str) -> dict[str, Any]:
    roles = services.roles
    coordinators = await roles.all_coordinators()
    administrators = await roles.all_administrators()
    fixed = [u for u in coordinators if roles.from_settings(u)]
    fixed_admins = [u for u in administrators if roles.administrator_from_settings(u)]
    return modals.roles_modal(
        (fixed, [u for u in coordinators if u not in fixed]),
        (fixed_admins, [u for u in administrators if u not in fixed_admins]),
    )


async def _profile(services: Services, _: str) -> dict[str, Any]:
    return modals.profile_modal(services.profiles.policy.roles)


_BUTTONS: dict[RosterAction, Build] = {
    RosterAction.HOME_PROFILE: _profile,
    RosterAction.HOME_ROSTER_ALL: _roster,
    RosterAction.HOME_ADD_SUPPORTER: _add,
    RosterAction.HOME_TRAINING: _training,
    RosterAction.HOME_SUSPEND: _suspend,
    RosterAction.HOME_VOLUNTEERS: _volunteers,
    RosterAction.HOME_ROLES: _roles,
}

# A submission: the services, the coordinator, the form's values and Slack's id of the submitted view
# (a form submitted twice acts once); returns what was done, in words.
Submit = Callable[[Services, str, dict[str, Any], str], Awaitable[str]]


async def _answer(ack: AsyncAck, body: dict[str, Any], services: Services, submit: Submit) -> None:
    """Check the role, run ``submit``; a problem goes to its field, success to a short notice."""
    user_id = body["user"]["id"]
    try:
        await services.roles.require_coordinator_role(user_id)  # before anything is read
        done = await submit(services, user_id, flatten_state(body["view"]), str(body["view"].get("id") or ""))
    except InvalidForm as invalid:
        errors: dict[str, str] = {_FIELDS.get(f, RosterField.SUPPORTER): m for f, m in invalid.errors.items()}
        await ack(response_action="errors", errors=errors)
        return
    except DomainError as error:
        await ack(response_action="errors", errors={_field_of(body): _inline(error)})
        return
    title = (body["view"].get("title") or {}).get("text") or "Peer support"
    await ack(response_action="update", view=notice_modal(title=str(title), text=done))


def _field_of(body: dict[str, Any]) -> str:
    """The field a refusal is shown at: the first input of the modal."""
    blocks = body["view"].get("blocks") or []
    inputs = (b.get("block_id") for b in blocks if isinstance(b, dict) and b.get("type") == "input")
    return str(next((i for i in inputs if i), RosterField.SUPPORTER))


def _inline(error: DomainError) -> str:
    """An inline error is plain text: no mention of who (the field shows them)."""
    match error:
        case CoordinatorFromSettings():
            return "Set in the PEER_COORDINATORS setting: change it there. Nothing was changed."
        case AdministratorFromSettings():
            return "Set in the PEER_ADMINISTRATORS setting: change it there. Nothing was changed."
        case LastCoordinator():
            return "The program needs at least one coordinator, so nothing was changed."
        case AlreadyDecided() | VolunteerNotFound():
            return "Someone already decided this one, so nothing was changed. Reopen the list."
    return user_message(error)


def _person(values: dict[str, Any]) -> str:
    person = values.get(RosterField.SUPPORTER)
    if not isinstance(person, str) or not person:
        raise InvalidForm({"person": "Choose a person."})
    return person


def _date(values: dict[str, Any], *, required: bool) -> date | None:
    text = values.get(RosterField.TRAINED_ON)
    if not text:
        if required:
            raise InvalidForm({"date": "Pick the date it was completed."})
        return None
    try:
        return date.fromisoformat(str(text))
    except ValueError:
        raise InvalidForm({"date": "Pick a date."}) from None


def _choice(values: dict[str, Any], field: str, choices: set[str], message: str) -> str:
    value = values.get(_FIELDS[field])
    if value not in choices:
        raise InvalidForm({field: message})
    return str(value)


async def _repeated_or(services: Services, submission: str, errors: dict[str, str]) -> str:
    """A form that finds its change already made: the same form again (a double click, Slack's retry,
    read after the first one's commit) is answered as done; anything else is refused at its field."""
    if submission and await services.roster.submitted_before(submission):
        return REPEATED
    raise InvalidForm(errors)


async def _submit_add(services: Services, user_id: str, values: dict[str, Any], submission: str) -> str:
    person, trained_on = _person(values), _date(values, required=False)
    if trained_on is None and await services.roster.get(person) is not None:
        return await _repeated_or(
            services,
            submission,
            {"person": "Already on the roster. To record their training, use Record a training."},
        )
    change = await services.roster.add(
        coordinator_id=user_id, user_ids=[person], trained_on=trained_on, submission=submission or None
    )
    if not change.added and not change.updated:
        return REPEATED
    trained = (
        f", trained {trained_on:%Y-%m-%d}"
        if trained_on
        else ": they get offers once their training is recorded"
    )
    verb = "Added" if change.added else "Recorded the basic course of"
    return f"{verb} <@{person}>{trained}."


async def _submit_training(services: Services, user_id: str, values: dict[str, Any], submission: str) -> str:
    person = _person(values)
    kind = TrainingKind(_choice(values, "kind", set(TrainingKind), "Choose which training."))
    completed_on = _date(values, required=True)
    if completed_on is None:  # required above
        raise InvalidForm({"date": "Pick the date it was completed."})
    change = await services.roster.record_training(
        coordinator_id=user_id,
        user_ids=[person],
        kind=kind,
        completed_on=completed_on,
        name=str(values.get(RosterField.TRAINING_NAME) or ""),
        submission=submission or None,
    )
    if change.not_found:
        raise InvalidForm({"person": NOT_ON_ROSTER})
    if not change.updated:
        return REPEATED
    return f"Recorded a {modals.TRAINING_LABELS[kind].lower()} on {completed_on:%Y-%m-%d} for <@{person}>."


async def _submit_suspend(services: Services, user_id: str, values: dict[str, Any], submission: str) -> str:
    person = _person(values)
    choice = _choice(
        values, "pause", {modals.SUSPEND, modals.RESUME, modals.RETIRE}, "Choose suspend, resume or retire."
    )
    supporter = await services.roster.get(person)
    if supporter is None:
        raise InvalidForm({"person": NOT_ON_ROSTER})
    if choice == modals.RETIRE:
        retired = await services.roster.remove(coordinator_id=user_id, user_ids=[person])
        if not retired.removed:  # someone retired them meanwhile
            raise InvalidForm({"person": NOT_ON_ROSTER})
        return f"Retired <@{person}> from the roster; what they held goes back to the rotation."
    suspend = choice == modals.SUSPEND
    if supporter.suspended == suspend:
        return await _repeated_or(
            services,
            submission,
            {"pause": "Already suspended." if suspend else "Not suspended: offers can reach them."},
        )
    change = await services.roster.suspend(
        coordinator_id=user_id, user_ids=[person], suspended=suspend, submission=submission or None
    )
    if change.not_found:
        raise InvalidForm({"person": NOT_ON_ROSTER})
    if not change.updated:
        return REPEATED
    if suspend:
        return f"Suspended <@{person}>: no offers until resumed. Open offers were passed on."
    return f"Resumed <@{person}>: offers can reach them again."


async def _submit_profile(services: Services, user_id: str, values: dict[str, Any], _: str) -> str:
    person = _person(values)
    role, unit = values.get(RosterField.SUPPORTER_ROLE), values.get(RosterField.SUPPORTER_UNIT)
    if not role and not unit:
        raise InvalidForm({"supporter_role": "Choose a role, or type a unit (or both)."})
    if role and services.profiles.policy.role(str(role)) is None:  # checked before anything is stored
        raise InvalidForm({"supporter_role": "Choose one of the roles listed."})
    supporter = await services.roster.get(person)
    if supporter is None:
        raise InvalidForm({"person": NOT_ON_ROSTER})
    try:
        # The unit first: its check (length, one line) comes before anything is stored.
        if unit and str(unit).strip() != (supporter.unit or ""):
            await services.profiles.set_unit(coordinator_id=user_id, user_ids=[person], unit=str(unit))
        if role and role != supporter.role:
            await services.profiles.set_role(coordinator_id=user_id, user_ids=[person], role=str(role))
    except InvalidForm as invalid:
        raise InvalidForm(
            {("supporter_role" if f == "role" else f): m for f, m in invalid.errors.items()}
        ) from None
    return f"Saved the role and unit of <@{person}>."


async def _submit_volunteer(services: Services, user_id: str, values: dict[str, Any], submission: str) -> str:
    chosen = values.get(RosterField.VOLUNTEER)
    if not isinstance(chosen, str) or not chosen.isdigit():
        raise InvalidForm({"volunteer": "Choose a volunteer."})
    approve = (
        _choice(values, "decision", {modals.APPROVE, modals.DECLINE}, "Choose approve or decline.")
        == "approve"
    )
    pending = {v.id: v for v in await services.volunteers.pending(coordinator_id=user_id)}
    volunteer = pending.get(int(chosen))
    if volunteer is None:
        raise AlreadyDecided(None)
    # Decided after the answer to Slack (it redraws every coordinator's review DM and tells the
    # volunteer); the first decision wins there, as with the DM's buttons.
    await services.handoff.submit(
        HandoffKind.DECIDE_VOLUNTEER, coordinator_id=user_id, volunteer_id=volunteer.id, approve=approve
    )
    if approve:
        return f"Approving <@{volunteer.user_id}>: on the roster once decided, untrained for now."
    return f"Declining <@{volunteer.user_id}>. They will be told."


async def _submit_roles(services: Services, user_id: str, values: dict[str, Any], submission: str) -> str:
    person = _person(values)
    role = _choice(values, "role", {modals.COORDINATOR, modals.ADMINISTRATOR}, "Choose a role.")
    change = _choice(values, "change", {modals.ADD, modals.REMOVE}, "Choose give or take away.")
    roles = services.roles
    if role == modals.COORDINATOR:
        act = roles.add_coordinators if change == modals.ADD else roles.remove_coordinators
    else:
        act = roles.add_administrators if change == modals.ADD else roles.remove_administrators
    done = await act(coordinator_id=user_id, user_ids=[person])
    holder = "a coordinator" if role == modals.COORDINATOR else "an administrator"
    if not done.changed:
        raise InvalidForm({"person": f"{'Already' if change == modals.ADD else 'Not'} {holder}."})
    return f"<@{person}> is {'now' if change == modals.ADD else 'no longer'} {holder}."


async def on_add_submitted(ack: AsyncAck, body: dict[str, Any], services: Services) -> None:
    """Add a supporter (``/peer roster add @user [trained YYYY-MM-DD]``)."""
    await _answer(ack, body, services, _submit_add)


async def on_training_submitted(ack: AsyncAck, body: dict[str, Any], services: Services) -> None:
    """Record a training (``/peer training @user kind YYYY-MM-DD [name]``)."""
    await _answer(ack, body, services, _submit_training)


async def on_suspend_submitted(ack: AsyncAck, body: dict[str, Any], services: Services) -> None:
    """Suspend, resume or retire a supporter (``/peer roster suspend|resume|remove @user``)."""
    await _answer(ack, body, services, _submit_suspend)


async def on_volunteers_submitted(ack: AsyncAck, body: dict[str, Any], services: Services) -> None:
    """Approve or decline a volunteer (the review DM's buttons)."""
    await _answer(ack, body, services, _submit_volunteer)


async def on_roles_submitted(ack: AsyncAck, body: dict[str, Any], services: Services) -> None:
    """Give or take the coordinator or administrator role (``/peer coordinators|administrators``)."""
    await _answer(ack, body, services, _submit_roles)


async def on_profile_submitted(ack: AsyncAck, body: dict[str, Any], services: Services) -> None:
    """Set a supporter's role and unit (``/peer roster role|unit @user value``)."""
    await _answer(ack, body, services, _submit_profile)
