"""Incidents: check-in answers, the coordinator's incident modal (from the Home tab or ``/peer incident``)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.checkins import IncidentChange, IncidentForm
from bot.durations import format_plan
from bot.errors import DomainError, IncidentNotFound, InvalidForm
from bot.handoff import HandoffKind
from bot.services import Services
from handlers.common.clicks import button_value, coordinator_view, ephemeral, later, open_built
from handlers.common.errors import user_message
from handlers.common.parsing import flatten_state
from handlers.common.payloads import BadPayload, CheckinRef, IncidentRef, decode
from handlers.incidents.blocks import follow_up_modal, incident_modal
from handlers.incidents.ids import IncidentAction, IncidentCallback, IncidentField
from storage.models import CheckinAnswer, IncidentKind


def register(app: AsyncApp) -> None:
    """Bind the check-in answers, the Home's incident button and the incident modal."""
    for action in (IncidentAction.CHECKIN_OK, IncidentAction.CHECKIN_TALK, IncidentAction.CHECKIN_STOP):
        app.action(action)(on_checkin_answer)
    app.action(IncidentAction.HOME_INCIDENT)(on_home_incident)
    app.action(IncidentAction.HOME_FOLLOW_UP)(on_home_follow_up)
    app.action(IncidentAction.CLOSE_EARLY)(on_close_early)
    app.view(IncidentCallback.INCIDENT)(on_incident_submitted)
    app.view(IncidentCallback.FOLLOW_UP)(on_follow_up_submitted)


def incident_view(services: Services) -> dict[str, Any]:
    """The coordinator's incident modal, with each kind's default plan and today's date."""
    plans = {kind: format_plan(services.checkins.default_plan(kind)) for kind in IncidentKind}
    today = services.hours.today(services.clock.now()).isoformat()
    return incident_modal(plans=plans, today=today)


async def follow_up_view(
    services: Services, user_id: str, incident_id: int, notice: str = ""
) -> dict[str, Any]:
    """The incident's follow-up view (``/peer incident N``), for a coordinator only."""
    follow_up = await services.checkins.follow_up(coordinator_id=user_id, incident_id=incident_id)
    return follow_up_modal(follow_up, min_count=services.min_count, tz=services.hours.tz, notice=notice)


_ANSWERS = {
    IncidentAction.CHECKIN_OK: CheckinAnswer.OK,
    IncidentAction.CHECKIN_TALK: CheckinAnswer.TALK,
    IncidentAction.CHECKIN_STOP: CheckinAnswer.STOP,
}


async def on_checkin_answer(
    ack: AsyncAck, body: dict[str, Any], services: Services, client: AsyncWebClient
) -> None:
    """One of a check-in's three answers; the message is redrawn in place."""
    await ack()
    await later(services, client, body, _answer_checkin(services, body), name="checkin_answer")


async def _answer_checkin(services: Services, body: dict[str, Any]) -> None:
    ref = decode(CheckinRef, button_value(body))
    answer = _ANSWERS[IncidentAction(body["actions"][0]["action_id"])]
    await services.checkins.answer(message_id=ref.message_id, user_id=body["user"]["id"], answer=answer)


async def on_home_incident(
    ack: AsyncAck, body: dict[str, Any], services: Services, client: AsyncWebClient
) -> None:
    """A coordinator's Home button: the incident modal."""
    await ack()
    await open_built(
        services, client, body, coordinator_view(services, body, lambda: incident_view(services))
    )


async def on_home_follow_up(
    ack: AsyncAck, body: dict[str, Any], services: Services, client: AsyncWebClient
) -> None:
    """An incident's button on a coordinator's Home: the view ``/peer incident N`` opens."""
    await ack()
    await open_built(services, client, body, _follow_up_of_button(services, body))


async def _follow_up_of_button(services: Services, body: dict[str, Any]) -> dict[str, Any]:
    ref = decode(IncidentRef, button_value(body))
    return await follow_up_view(services, body["user"]["id"], ref.incident_id)


async def on_close_early(
    ack: AsyncAck, body: dict[str, Any], services: Services, client: AsyncWebClient
) -> None:
    """ "Close this incident early" (confirmed in Slack's dialog) in the follow-up view: as
    ``/peer incident close N``; the view is redrawn to show it closed."""
    await ack()
    await later(services, client, body, _close_early(services, client, body), name="close_incident")


async def _close_early(services: Services, client: AsyncWebClient, body: dict[str, Any]) -> None:
    ref = decode(IncidentRef, button_value(body))
    user_id, view = body["user"]["id"], body.get("view") or {}
    try:
        cancelled = await services.checkins.close_incident(
            coordinator_id=user_id, incident_id=ref.incident_id
        )
        done = f"Closed early: {cancelled} check-ins not yet sent were cancelled; those sent stay as sent."
    except IncidentNotFound:
        if not view.get("id"):
            raise
        done = "This incident was already closed."  # a second click, or another coordinator
    if view.get("id"):
        redrawn = await follow_up_view(services, user_id, ref.incident_id, notice=done)
        await client.views_update(view_id=view["id"], view=redrawn)
    else:
        await ephemeral(client, body, f"Incident #{ref.incident_id}: {done}")


_INCIDENT_FIELDS = {
    "kind": IncidentField.INCIDENT_KIND,
    "name": IncidentField.INCIDENT_NAME,
    "occurred_on": IncidentField.INCIDENT_DATE,
    "people": IncidentField.INCIDENT_PEOPLE,
    "plan": IncidentField.INCIDENT_PLAN,
    "debrief": IncidentField.DEBRIEF_DATE,
}


async def on_incident_submitted(ack: AsyncAck, body: dict[str, Any], services: Services) -> None:
    """Store the incident before answering Slack; look people up and schedule after."""
    values = flatten_state(body["view"])
    form = IncidentForm(
        kind=values.get(IncidentField.INCIDENT_KIND),
        name=values.get(IncidentField.INCIDENT_NAME),
        occurred_on=values.get(IncidentField.INCIDENT_DATE),
        user_ids=frozenset(values.get(IncidentField.INCIDENT_PEOPLE) or []),
        channel_id=values.get(IncidentField.INCIDENT_CHANNEL) or None,
        plan=values.get(IncidentField.INCIDENT_PLAN),
        debrief_date=values.get(IncidentField.DEBRIEF_DATE),
        debrief_time=values.get(IncidentField.DEBRIEF_TIME),
        debrief_place=values.get(IncidentField.DEBRIEF_PLACE),
    )
    try:
        incident_id = await services.checkins.register_incident(coordinator_id=body["user"]["id"], form=form)
    except InvalidForm as invalid:
        await ack(
            response_action="errors", errors={_INCIDENT_FIELDS[f]: m for f, m in invalid.errors.items()}
        )
        return
    except DomainError as error:
        await ack(response_action="errors", errors={IncidentField.INCIDENT_NAME: user_message(error)})
        return
    await ack()
    await services.handoff.submit(HandoffKind.PREPARE_INCIDENT, incident_id=incident_id)


_CHANGE_FIELDS = {
    "people": IncidentField.ADD_PEOPLE,
    "plan": IncidentField.CHANGE_PLAN,
    "wording_early": IncidentField.WORDING_EARLY,
    "wording_later": IncidentField.WORDING_LATER,
}


def _text(values: dict[str, Any], field: IncidentField) -> str | None:
    """A wording as submitted: None when the field was not in the submission (left as it is), ""
    when emptied (back to the usual wording)."""
    if field not in values:
        return None
    return values[field] or ""


async def on_follow_up_submitted(ack: AsyncAck, body: dict[str, Any], services: Services) -> None:
    """People added or the plan changed from the follow-up view: stored before answering Slack (what is
    no longer in the plan is cancelled then); the new check-ins are scheduled after."""
    values = flatten_state(body["view"])
    change = IncidentChange(
        user_ids=frozenset(values.get(IncidentField.ADD_PEOPLE) or []),
        plan=values.get(IncidentField.CHANGE_PLAN),
        wording_early=_text(values, IncidentField.WORDING_EARLY),
        wording_later=_text(values, IncidentField.WORDING_LATER),
    )
    try:
        ref = decode(IncidentRef, body["view"].get("private_metadata"))
        changed = await services.checkins.change_incident(
            coordinator_id=body["user"]["id"], incident_id=ref.incident_id, change=change
        )
    except InvalidForm as invalid:
        await ack(response_action="errors", errors={_CHANGE_FIELDS[f]: m for f, m in invalid.errors.items()})
        return
    except (DomainError, BadPayload) as error:
        await ack(response_action="errors", errors={IncidentField.CHANGE_PLAN: user_message(error)})
        return
    await ack()
    await services.handoff.submit(
        HandoffKind.SCHEDULE_CHANGE,
        incident_id=changed.incident_id,
        added=list(changed.added),
        new_steps=list(changed.new_steps),
        cancelled=changed.cancelled,
    )
