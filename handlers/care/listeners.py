"""Supporter care: the answers to the program's check-in on a supporter."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.services import Services
from handlers.care.ids import CareAction
from handlers.common.clicks import button_value, later
from handlers.common.payloads import CheckinRef, decode
from storage.models import CareAnswer


def register(app: AsyncApp) -> None:
    """Bind a care check-in's answers."""
    for action in (CareAction.CARE_OK, CareAction.CARE_TALK):
        app.action(action)(on_care_answer)


async def on_care_answer(
    ack: AsyncAck, body: dict[str, Any], services: Services, client: AsyncWebClient
) -> None:
    """A supporter answers the program's check-in on them; the message is redrawn in place."""
    await ack()
    await later(services, client, body, _answer_care(services, body), name="care_answer")


async def _answer_care(services: Services, body: dict[str, Any]) -> None:
    ref = decode(CheckinRef, button_value(body))
    answer = CareAnswer.TALK if body["actions"][0]["action_id"] == CareAction.CARE_TALK else CareAnswer.OK
    await services.care.answer(message_id=ref.message_id, user_id=body["user"]["id"], answer=answer)
