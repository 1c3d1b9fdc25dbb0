"""The resource directory, kept by coordinators from their Home: Add, Edit (and remove) in a modal."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import DomainError, InvalidForm
from bot.handoff import HandoffKind
from bot.resources import ResourceForm
from bot.services import Services
from handlers.common.clicks import button_value, open_built
from handlers.common.errors import user_message
from handlers.common.parsing import flatten_state
from handlers.common.payloads import BadPayload, RequestRef, ResourceRef, decode
from handlers.resources.blocks import CONFIDENTIAL, REMOVE, resource_modal, share_modal, shared_id
from handlers.resources.ids import ResourceAction, ResourceCallback, ResourceField


def register(app: AsyncApp) -> None:
    """Bind the directory's buttons and modal."""
    app.action(ResourceAction.RESOURCE_ADD)(on_resource_add)
    app.action(ResourceAction.RESOURCE_EDIT)(on_resource_edit)
    app.view(ResourceCallback.RESOURCE)(on_resource_submitted)
    app.action(ResourceAction.SHARE)(on_share)
    app.view(ResourceCallback.SHARE)(on_share_submitted)


async def on_resource_add(
    ack: AsyncAck, body: dict[str, Any], services: Services, client: AsyncWebClient
) -> None:
    """A coordinator's "Add a resource": the empty modal."""
    await ack()
    await open_built(services, client, body, _add_view(services, body))


async def _add_view(services: Services, body: dict[str, Any]) -> dict[str, Any]:
    await services.roles.require_coordinator_role(body["user"]["id"])
    return resource_modal()


async def on_resource_edit(
    ack: AsyncAck, body: dict[str, Any], services: Services, client: AsyncWebClient
) -> None:
    """A coordinator's "Edit" on an entry: the modal filled in, with a way to remove it."""
    await ack()
    await open_built(services, client, body, _edit_view(services, body))


async def _edit_view(services: Services, body: dict[str, Any]) -> dict[str, Any]:
    ref = decode(ResourceRef, button_value(body))
    entry = await services.directory.for_edit(coordinator_id=body["user"]["id"], resource_id=ref.resource_id)
    return resource_modal(entry)


_FIELDS = {
    "name": ResourceField.NAME,
    "purpose": ResourceField.PURPOSE,
    "phone": ResourceField.PHONE,
    "text": ResourceField.TEXT,
    "url": ResourceField.URL,
    "hours": ResourceField.HOURS,
    "cost": ResourceField.COST,
    "topics": ResourceField.TOPICS,
}


async def on_resource_submitted(ack: AsyncAck, body: dict[str, Any], services: Services) -> None:
    """Save (or remove) the entry before answering Slack; every problem is shown at its field."""
    values = flatten_state(body["view"])
    coordinator_id = body["user"]["id"]
    try:
        metadata = body["view"].get("private_metadata") or ""
        resource_id = decode(ResourceRef, metadata).resource_id if metadata else None
        if resource_id is not None and REMOVE in (values.get(ResourceField.REMOVE) or []):
            await services.directory.remove(coordinator_id=coordinator_id, resource_id=resource_id)
        else:
            form = ResourceForm(
                name=values.get(ResourceField.NAME),
                purpose=values.get(ResourceField.PURPOSE),
                phone=values.get(ResourceField.PHONE),
                text=values.get(ResourceField.TEXT),
                url=values.get(ResourceField.URL),
                hours=values.get(ResourceField.HOURS),
                cost=values.get(ResourceField.COST),
                confidential=CONFIDENTIAL in (values.get(ResourceField.CONFIDENTIAL) or []),
                topics=tuple(values.get(ResourceField.TOPICS) or []),
            )
            await services.directory.save(coordinator_id=coordinator_id, resource_id=resource_id, form=form)
    except InvalidForm as invalid:
        await ack(response_action="errors", errors={_FIELDS[f]: m for f, m in invalid.errors.items()})
        return
    except (DomainError, BadPayload) as error:
        await ack(response_action="errors", errors={ResourceField.NAME: user_message(error)})
        return
    await ack()


# Share a resource: the holder of a request hands entries of the directory to the colleague

# More picks than this in one submission is not something Slack's menu sends: refused as a whole.
_PICKS_MAX = 50


async def on_share(ack: AsyncAck, body: dict[str, Any], services: Services, client: AsyncWebClient) -> None:
    """ "Share a resource" on a held request: the picker, for the request's current holder only."""
    await ack()
    await open_built(services, client, body, _share_view(services, body))


async def _share_view(services: Services, body: dict[str, Any]) -> dict[str, Any]:
    ref = decode(RequestRef, button_value(body))
    user_id = body["user"]["id"]
    entries, topic = await services.shares.choices(request_id=ref.request_id, user_id=user_id)
    request = await services.requests.held_request(request_id=ref.request_id, user_id=user_id)
    return share_modal(request_id=ref.request_id, entries=entries, topic=topic, anonymous=request.anonymous)


async def on_share_submitted(ack: AsyncAck, body: dict[str, Any], services: Services) -> None:
    """Check and record the share before answering Slack (problems shown in the modal); sent after."""
    picked = flatten_state(body["view"]).get(ResourceField.SHARE)
    try:
        values = picked if isinstance(picked, list) else []
        ids = [shared_id(v) for v in values[: _PICKS_MAX + 1]]
        if len(values) > _PICKS_MAX or any(i is None for i in ids):
            raise InvalidForm({"resources": "Please choose from the list."})
        ref = decode(RequestRef, body["view"].get("private_metadata"))
        share = await services.shares.share(
            request_id=ref.request_id,
            user_id=body["user"]["id"],
            resource_ids=[i for i in ids if i is not None],
            submission=str(body["view"]["id"]),
        )
    except InvalidForm as invalid:
        await ack(response_action="errors", errors={ResourceField.SHARE: invalid.errors["resources"]})
        return
    except (DomainError, BadPayload) as error:
        await ack(response_action="errors", errors={ResourceField.SHARE: user_message(error)})
        return
    await ack()
    if share is not None:  # None: this modal was submitted before, and that one is sent
        await services.handoff.submit(
            HandoffKind.SHARE_RESOURCES,
            request_id=share.request_id,
            user_id=share.supporter_id,
            resource_ids=[entry.id for entry in share.entries],
        )
