"""The private self-check: opened from Home or ``/peer check``, answered in the modal itself.

The submission is scored and answered with the result in place of the modal (``response_action:
update``): no Web API call, no message, no row, no log line. Whoever submits it sees only their own.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot import self_check
from bot.errors import InvalidForm
from bot.services import Services
from handlers.common.modals import open_view
from handlers.common.parsing import flatten_state
from handlers.resources.blocks import resource_line
from handlers.selfcheck.blocks import self_check_modal, self_check_result
from handlers.selfcheck.ids import ITEM_FIELDS, SelfCheckAction, SelfCheckCallback, SelfCheckField
from storage.models import ResourceTopic


def register(app: AsyncApp) -> None:
    """Bind the Home button and the modal."""
    app.action(SelfCheckAction.OPEN_SELF_CHECK)(on_open_self_check)
    app.view(SelfCheckCallback.SELF_CHECK)(on_self_check_submitted)


async def on_open_self_check(
    ack: AsyncAck, body: dict[str, Any], services: Services, client: AsyncWebClient
) -> None:
    """The Home tab's "How am I doing?": the self-check modal."""
    await ack()
    open_view(services, client, trigger_id=body["trigger_id"], view=self_check_modal())


_FIELDS = {"exposure": SelfCheckField.EXPOSURE} | {f"item{n}": f for n, f in enumerate(ITEM_FIELDS, start=1)}


async def on_self_check_submitted(ack: AsyncAck, body: dict[str, Any], services: Services) -> None:
    """Score the answers and show the result in the modal; nothing is kept."""
    values = flatten_state(body["view"])
    try:
        result = self_check.score_form(
            exposure=values.get(SelfCheckField.EXPOSURE),
            items={n: values.get(f) for n, f in enumerate(ITEM_FIELDS, start=1)},
        )
    except InvalidForm as invalid:
        await ack(response_action="errors", errors={_FIELDS[f]: m for f, m in invalid.errors.items()})
        return
    # The crisis lines and the office's trauma resources: a read, nothing written.
    fitting = [resource_line(e) for e in await services.directory.directory(ResourceTopic.TRAUMA)]
    await ack(response_action="update", view=self_check_result(result, resources=fitting))
