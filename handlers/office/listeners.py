"""The settings modal's submission: stored before answering Slack, each problem shown at its field."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import DomainError, InvalidForm
from bot.services import Services
from handlers.common.clicks import open_built
from handlers.common.errors import user_message
from handlers.common.parsing import flatten_state
from handlers.office.blocks import settings_modal, stored
from handlers.office.ids import SHARED, OfficeAction, OfficeCallback, OfficeChoice, OfficeField


def register(app: AsyncApp) -> None:
    """Bind the settings button and modal."""
    app.action(OfficeAction.HOME_SETTINGS)(on_home_settings)
    app.view(OfficeCallback.SETTINGS)(on_settings_submitted)


async def on_home_settings(
    ack: AsyncAck, body: dict[str, Any], services: Services, client: AsyncWebClient
) -> None:
    """A coordinator's "Office settings" on Home: the same modal as ``/peer settings``."""
    await ack()
    await open_built(services, client, body, settings_view(services, body["user"]["id"]))


async def settings_view(services: Services, user_id: str) -> dict[str, Any]:
    """The settings modal, for a coordinator (refused for anyone else), with whether the office
    shares its statistics with the association."""
    settings = await services.office_settings.settings(coordinator_id=user_id)
    shared = await services.office_settings.shares_with_association(coordinator_id=user_id)
    return settings_modal(settings, shared=shared)


async def on_settings_submitted(ack: AsyncAck, body: dict[str, Any], services: Services) -> None:
    """Save the office's settings (a setting left empty goes back to the deployment's)."""
    values = flatten_state(body["view"])
    form = {field.setting: stored(field, values.get(field)) for field in OfficeField}
    try:
        await services.office_settings.save(coordinator_id=body["user"]["id"], values=form)
    except InvalidForm as invalid:
        await ack(response_action="errors", errors={OfficeField.of(n): m for n, m in invalid.errors.items()})
        return
    except DomainError as error:
        await ack(response_action="errors", errors={OfficeField.TIMEZONE: user_message(error)})
        return
    if OfficeChoice.SHARE_STATISTICS in values:  # (a modal opened before the choice existed has none)
        shared = SHARED in (values[OfficeChoice.SHARE_STATISTICS] or [])
        coordinator = body["user"]["id"]
        await services.office_settings.share_with_association(coordinator_id=coordinator, shared=shared)
    await ack()
