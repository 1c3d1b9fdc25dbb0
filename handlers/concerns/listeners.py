"""Concerns about a colleague: raised from the Home tab, taken or handed to a supporter by a coordinator."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.concerns import ConcernForm
from bot.errors import DomainError, InvalidForm
from bot.handoff import HandoffKind
from bot.services import Services
from handlers.common.clicks import button_value, later, open_built
from handlers.common.errors import user_message
from handlers.common.modals import open_view
from handlers.common.parsing import flatten_state
from handlers.common.payloads import BadPayload, ConcernRef, decode
from handlers.concerns.blocks import CONTACT_ME, concern_hand_to_modal, concern_modal
from handlers.concerns.ids import ConcernAction, ConcernCallback, ConcernField


def register(app: AsyncApp) -> None:
    """Bind the concern buttons and modals."""
    app.action(ConcernAction.OPEN_CONCERN)(on_open_concern)
    app.action(ConcernAction.CONCERN_TAKE)(on_concern_take)
    app.action(ConcernAction.CONCERN_HAND_TO)(on_concern_hand_to)
    app.view(ConcernCallback.CONCERN)(on_concern_submitted)
    app.view(ConcernCallback.CONCERN_HAND_TO)(on_concern_hand_to_submitted)


async def on_open_concern(
    ack: AsyncAck, body: dict[str, Any], services: Services, client: AsyncWebClient
) -> None:
    """The Home tab's "Worried about a colleague?": the concern modal."""
    await ack()
    open_view(services, client, trigger_id=body["trigger_id"], view=concern_modal())


async def on_concern_take(
    ack: AsyncAck, body: dict[str, Any], services: Services, client: AsyncWebClient
) -> None:
    """A coordinator will reach out; every coordinator's copy says so."""
    await ack()
    await later(services, client, body, _take_concern(services, body), name="concern_take")


async def _take_concern(services: Services, body: dict[str, Any]) -> None:
    ref = decode(ConcernRef, button_value(body))
    await services.concerns.take(coordinator_id=body["user"]["id"], concern_id=ref.concern_id)


async def on_concern_hand_to(
    ack: AsyncAck, body: dict[str, Any], services: Services, client: AsyncWebClient
) -> None:
    """A coordinator opens the modal to ask a supporter to reach out."""
    await ack()
    await open_built(services, client, body, _concern_hand_to_view(services, body))


async def _concern_hand_to_view(services: Services, body: dict[str, Any]) -> dict[str, Any]:
    ref = decode(ConcernRef, button_value(body))
    await services.roles.require_coordinator_role(body["user"]["id"])
    return concern_hand_to_modal(concern_id=ref.concern_id)


_CONCERN_FIELDS = {"subject": ConcernField.CONCERN_SUBJECT, "note": ConcernField.CONCERN_NOTE}


async def on_concern_submitted(ack: AsyncAck, body: dict[str, Any], services: Services) -> None:
    """Store the concern before answering Slack; the coordinators are told after."""
    values = flatten_state(body["view"])
    form = ConcernForm(
        subject_id=values.get(ConcernField.CONCERN_SUBJECT),
        note=values.get(ConcernField.CONCERN_NOTE),
        contact_me=CONTACT_ME in (values.get(ConcernField.CONCERN_CONTACT_ME) or []),
    )
    raiser_id = body["user"]["id"]
    try:
        concern_id = await services.concerns.raise_concern(raiser_id=raiser_id, form=form)
    except InvalidForm as invalid:
        await ack(response_action="errors", errors={_CONCERN_FIELDS[f]: m for f, m in invalid.errors.items()})
        return
    await ack()
    # The thanks answers the person who submitted; the coordinators' alerts are the worker's (the
    # raiser's id is never handed on: it is not stored unless they agreed to be contacted).
    services.background.spawn(services.concerns.thank(raiser_id=raiser_id), name="concern_thanks")
    await services.handoff.submit(HandoffKind.ALERT_CONCERN, concern_id=concern_id)


async def on_concern_hand_to_submitted(ack: AsyncAck, body: dict[str, Any], services: Services) -> None:
    """A coordinator asks a supporter to reach out to the colleague."""
    supporter_id = flatten_state(body["view"]).get(ConcernField.CONCERN_SUPPORTER)
    try:
        ref = decode(ConcernRef, body["view"].get("private_metadata"))
        if not supporter_id:
            raise InvalidForm({"supporter": "Please choose a supporter."})
        await services.concerns.hand_to(
            coordinator_id=body["user"]["id"], concern_id=ref.concern_id, supporter_id=supporter_id
        )
    except (DomainError, BadPayload) as error:
        await ack(response_action="errors", errors={ConcernField.CONCERN_SUPPORTER: user_message(error)})
        return
    await ack()
