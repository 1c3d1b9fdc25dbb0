"""The on-call rota from a coordinator's Home: the button, and the modal that adds a shift."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import DomainError, InvalidForm
from bot.oncall import ShiftForm
from bot.services import Services
from handlers.common.clicks import open_built
from handlers.common.errors import user_message
from handlers.common.parsing import flatten_state
from handlers.oncall.blocks import oncall_modal
from handlers.oncall.ids import OnCallAction, OnCallCallback, OnCallField


def register(app: AsyncApp) -> None:
    """Bind the rota's button and modal."""
    app.action(OnCallAction.HOME_ONCALL)(on_home_oncall)
    app.view(OnCallCallback.ONCALL)(on_oncall_submitted)


async def on_home_oncall(
    ack: AsyncAck, body: dict[str, Any], services: Services, client: AsyncWebClient
) -> None:
    """A coordinator's "On-call rota": the rota, and a shift to add."""
    await ack()
    await open_built(services, client, body, _view(services, body["user"]["id"]))


async def _view(services: Services, user_id: str) -> dict[str, Any]:
    shifts, now = await services.oncall.shifts(coordinator_id=user_id)
    return oncall_modal(shifts, now, zone=services.hours.tz.key)


_FIELDS = {"person": OnCallField.PERSON, "days": OnCallField.DAYS, "hours": OnCallField.HOURS}


async def on_oncall_submitted(ack: AsyncAck, body: dict[str, Any], services: Services) -> None:
    """Store the shift before answering Slack; every problem is shown at its field."""
    values = flatten_state(body["view"])
    form = ShiftForm(
        user_id=values.get(OnCallField.PERSON) or None,
        days=values.get(OnCallField.DAYS),
        hours=values.get(OnCallField.HOURS),
    )
    try:
        await services.oncall.add(coordinator_id=body["user"]["id"], form=form)
    except InvalidForm as invalid:
        await ack(response_action="errors", errors={_FIELDS[f]: m for f, m in invalid.errors.items()})
        return
    except DomainError as error:
        await ack(response_action="errors", errors={OnCallField.PERSON: user_message(error)})
        return
    await ack()
