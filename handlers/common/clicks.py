"""What every button handler shares: run the work after the ack, and tell the clicker privately."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any, cast

from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import DomainError, NotOnRoster
from bot.handoff import HandoffKind, ProcessRole
from bot.services import Services
from handlers.common.blocks import notice_modal
from handlers.common.errors import SOMETHING_WENT_WRONG, user_message
from handlers.common.modals import open_view
from handlers.common.payloads import BadPayload
from storage.models import MessageRef


async def open_built(
    services: Services, client: AsyncWebClient, body: dict[str, Any], view: Awaitable[dict[str, Any]]
) -> None:
    """Open a modal once ``view`` is built; a refusal (role, payload) is told instead."""
    try:
        built = await view
    except (DomainError, BadPayload) as error:
        tell(services, client, body, user_message(error))
        return
    open_view(services, client, trigger_id=body["trigger_id"], view=built)


async def supporter_view(
    services: Services, body: dict[str, Any], build: Callable[[], dict[str, Any]]
) -> dict[str, Any]:
    """``build()``, for a supporter on the roster only (else :class:`NotOnRoster`)."""
    if await services.roster.get(body["user"]["id"]) is None:
        raise NotOnRoster()
    return build()


async def coordinator_view(
    services: Services, body: dict[str, Any], build: Callable[[], dict[str, Any]]
) -> dict[str, Any]:
    """``build()``, for a coordinator only (else :class:`NotAllowed`)."""
    await services.roles.require_coordinator_role(body["user"]["id"])
    return build()


async def later(
    services: Services, client: AsyncWebClient, body: dict[str, Any], work: Awaitable[None], *, name: str
) -> None:
    """Run a service call after the ack; a domain refusal is told to the clicker only.

    In the web role the click is handed to the worker instead (stored before the ack returns),
    whose Bolt app runs this listener again: there ``work`` runs at once, inside the claim of the
    click's row. Only the ids of the click are stored, never the message or view it was clicked in
    (they may show a request's details).
    """
    if services.handoff.role is ProcessRole.WEB:
        if inspect.iscoroutine(work):
            work.close()  # built by the listener, run by the worker
        await services.handoff.submit(HandoffKind.CLICK, body=click_only(body))
        return

    async def run() -> None:
        try:
            await work
        except (DomainError, BadPayload) as error:
            await ephemeral(client, body, user_message(error))
        except Exception:
            # Storage or Slack failed: the clicker is asked to try again; the failure is logged.
            await ephemeral(client, body, SOMETHING_WENT_WRONG)
            raise

    if services.handoff.role is ProcessRole.WORKER:
        await run()
        return
    services.background.spawn(run(), name=name)


# What a button's work reads of its click: who, which button, and where (channel and message ts).
_CLICK_KEYS = (
    "type",
    "team",
    "user",
    "api_app_id",
    "container",
    "trigger_id",
    "channel",
    "actions",
    "response_url",
    "is_enterprise_install",
    "enterprise",
)


def click_only(body: dict[str, Any]) -> dict[str, Any]:
    """A click without the message or view it was clicked in (their blocks may hold a note)."""
    kept = {key: body[key] for key in _CLICK_KEYS if key in body}
    # Ids only: Slack's payload also names the clicker (user.username, user.name) and the channel,
    # and the handoffs table keeps no name (nor the legacy verification token).
    for key in ("user", "channel", "team"):
        if isinstance(kept.get(key), dict):
            kept[key] = {k: v for k, v in kept[key].items() if k in ("id", "team_id", "enterprise_id")}
    if isinstance(kept.get("actions"), list):
        # A button's label is the app's own words, but nothing reads it: not kept either.
        kept["actions"] = [
            {k: v for k, v in a.items() if k != "text"} if isinstance(a, dict) else a for a in kept["actions"]
        ]
    view = body.get("view")
    if isinstance(view, dict):
        kept["view"] = {k: view[k] for k in ("id", "type", "callback_id", "private_metadata") if k in view}
    message = body.get("message")
    if isinstance(message, dict) and "ts" in message:
        kept["message"] = {"ts": message["ts"]}
    return kept


def tell(services: Services, client: AsyncWebClient, body: dict[str, Any], text: str) -> None:
    """Tell the clicker something privately, after the ack."""
    services.background.spawn(ephemeral(client, body, text), name="ephemeral")


async def ephemeral(client: AsyncWebClient, body: dict[str, Any], text: str) -> None:
    """Tell only the clicker: in the channel of the message, or in a small modal on the Home tab."""
    channel, _ = where(body)
    if channel:
        await client.chat_postEphemeral(channel=channel, user=body["user"]["id"], text=text)
    elif body.get("trigger_id"):
        await client.views_open(
            trigger_id=body["trigger_id"], view=notice_modal(title="Peer support", text=text)
        )


def where(body: dict[str, Any]) -> tuple[str | None, str | None]:
    """The channel and message a button was clicked in (none on the Home tab)."""
    container = body.get("container") or {}
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
    return channel, container.get("message_ts")


def clicked(body: dict[str, Any]) -> MessageRef | None:
    """The message a button was clicked in, if it was clicked in one."""
    channel, ts = where(body)
    return MessageRef(channel_id=channel, ts=ts) if channel and ts else None


def button_value(body: dict[str, Any]) -> str | None:
    """The clicked button's value (the carried payload)."""
    actions = body.get("actions") or [{}]
    return cast(str | None, actions[0].get("value"))
