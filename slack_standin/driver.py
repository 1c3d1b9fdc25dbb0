"""Driving an app the way Slack does: signed requests in Slack's real payload formats.

Slash commands are form-encoded, interactivity is one ``payload=`` form field
of JSON, Events API is a JSON envelope (modeled on the examples Slack and slack-bolt document). Shared
by the tests, the demo and the benchmarks.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import aiohttp

from slack_standin.server import Message, SlackStandIn

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TEAM: dict[str, str] = {"id": "T111", "domain": "workspace-domain"}
TOKEN = "xoxb-test-token"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """Slack's request signature: v0= + HMAC-SHA256 of v0:{timestamp}:{body}."""
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


@dataclass
class Response:
    """What the app answered."""

    status: int
    text: str

    @property
    def json(self) -> Any:
        """The body as JSON."""
        return json.loads(self.text) if self.text else None


class SlackDriver:
    """Sends an app what Slack would: signed requests in Slack's real payload formats."""

    def __init__(
        self,
        slack: SlackStandIn,
        session: aiohttp.ClientSession,
        *,
        url: str,
        signing_secret: str = SIGNING_SECRET,
        team: dict[str, str] | None = None,
    ) -> None:
        self.slack = slack
        # The workspace the requests come from: ``{"id", "domain"}``, and ``"enterprise_id"`` on
        # Enterprise Grid (Slack then names the organization in every payload).
        self.team = team or TEAM
        self.enterprise_id = self.team.get("enterprise_id")
        self.session = session
        self.url = url
        self.signing_secret = signing_secret
        self._triggers = itertools.count(1)
        # The trigger id of each person's latest slash command, to find the modal it opened.
        self.last_trigger: dict[str, str] = {}
        self._event_ids = itertools.count(1)

    async def post(
        self,
        body: bytes,
        content_type: str,
        *,
        timestamp: str | None = None,
        signature: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        """POST a body signed as Slack signs it (or with the given timestamp/signature)."""
        ts = timestamp if timestamp is not None else str(int(time.time()))
        sig = signature if signature is not None else sign(self.signing_secret, ts, body)
        all_headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": sig,
            **(headers or {}),
        }
        async with self.session.post(self.url, data=body, headers=all_headers) as resp:
            return Response(status=resp.status, text=await resp.text())

    async def command(
        self,
        user_id: str,
        text: str = "",
        *,
        channel_id: str = "C0GENERAL",
        trigger_id: str | None = None,
        team_id: str | None = None,
    ) -> Response:
        """Type ``/peer {text}`` in a channel (``trigger_id``: to find the modal it opens)."""
        form = {
            "token": "verification_token",
            "team_id": team_id or self.team["id"],
            "team_domain": self.team["domain"],
            **({"enterprise_id": self.enterprise_id} if self.enterprise_id else {}),
            "channel_id": channel_id,
            "channel_name": "general",
            "user_id": user_id,
            "user_name": user_id.lower(),
            "command": "/peer",
            "text": text,
            "api_app_id": "A111",
            "is_enterprise_install": "false",
            "response_url": self.slack.response_url("cmd"),
            "trigger_id": trigger_id or self.trigger(),
        }
        self.last_trigger[user_id] = form["trigger_id"]
        return await self.post(urlencode(form).encode(), "application/x-www-form-urlencoded")

    async def interact(self, payload: dict[str, Any]) -> Response:
        """POST an interactivity payload as Slack does: one ``payload=`` form field."""
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return await self.post(body, "application/x-www-form-urlencoded")

    async def click(
        self, user_id: str, message: Message, action_id: str, *, as_first_shown: bool = False
    ) -> Response:
        """Click the button ``action_id`` on a message the stand-in holds.

        ``as_first_shown`` clicks the message as it was first posted: a client that had
        not yet redrawn it (a stale click).
        """
        blocks = message.history[0]["blocks"] if as_first_shown and message.history else message.blocks
        container = {
            "type": "message",
            "message_ts": message.ts,
            "channel_id": message.channel,
            "is_ephemeral": False,
        }
        where = {
            "channel": {"id": message.channel, "name": "directmessage"},
            "message": {
                "bot_id": "B111",
                "type": "message",
                "text": message.text,
                "user": self.slack.bot_user_id,
                "ts": message.ts,
                "app_id": "A111",
                "blocks": blocks,
                "team": self.team["id"],
            },
            "state": {"values": {}},
            "response_url": self.slack.response_url("action"),
        }
        return await self._block_action(user_id, blocks, action_id, container, where)

    async def home_click(
        self, user_id: str, action_id: str, *, block_id: str | None = None, home_of: str | None = None
    ) -> Response:
        """Click a button on the user's published Home tab (in block ``block_id``, if given).

        ``home_of`` clicks a button copied from someone else's Home: a crafted payload.
        """
        owner = home_of or user_id
        view = self.slack.home_views[owner]
        blocks = [b for b in view["blocks"] if block_id is None or b.get("block_id") == block_id]
        container = {"type": "view", "view_id": f"VH{owner}"}
        where = {"view": {**view, "id": f"VH{owner}", "state": {"values": {}}}}
        return await self._block_action(user_id, blocks, action_id, container, where)

    async def modal_click(self, user_id: str, view: dict[str, Any], action_id: str) -> Response:
        """Click a button in a modal the stand-in holds (``view``, as :meth:`SlackStandIn.views` keeps it)."""
        container = {"type": "view", "view_id": view["id"]}
        where = {"view": {**view, "state": {"values": {}}}}
        return await self._block_action(user_id, view["blocks"], action_id, container, where)

    async def _block_action(
        self,
        user_id: str,
        blocks: list[dict[str, Any]],
        action_id: str,
        container: dict[str, Any],
        where: dict[str, Any],
    ) -> Response:
        block, button = find_button(blocks, action_id)
        payload = {
            "type": "block_actions",
            "user": _user(user_id, self.team["id"]),
            "api_app_id": "A111",
            "token": "verification_token",
            "container": container,
            "trigger_id": self.trigger(),
            "team": {"id": self.team["id"], "domain": self.team["domain"]},
            "enterprise": {"id": self.enterprise_id, "name": "Org"} if self.enterprise_id else None,
            "is_enterprise_install": False,
            **where,
            "actions": [
                {
                    "action_id": action_id,
                    "block_id": block.get("block_id", "b"),
                    "text": button["text"],
                    "value": button.get("value", ""),
                    "type": "button",
                    "action_ts": f"{time.time():.6f}",
                }
            ],
        }
        return await self.interact(payload)

    async def submit(self, user_id: str, view: dict[str, Any], values: dict[str, Any]) -> Response:
        """Submit a view the stand-in opened, with ``values`` as block id → state value."""
        payload = {
            "type": "view_submission",
            "team": {
                "id": self.team["id"],
                "domain": self.team["domain"],
                "enterprise_id": self.enterprise_id,
            },
            "user": _user(user_id, self.team["id"]),
            "api_app_id": "A111",
            "token": "verification_token",
            "trigger_id": self.trigger(),
            "view": {
                "id": view["id"],
                "team_id": self.team["id"],
                "type": "modal",
                "blocks": view["blocks"],
                "private_metadata": view.get("private_metadata", ""),
                "callback_id": view["callback_id"],
                "state": {"values": state_values(view, values)},
                "hash": view.get("hash", "1.h"),
                "title": view["title"],
                "clear_on_close": False,
                "notify_on_close": False,
                "close": view.get("close"),
                "submit": view.get("submit"),
                "previous_view_id": None,
                "root_view_id": view["id"],
                "app_id": "A111",
                "external_id": "",
                "app_installed_team_id": self.team["id"],
                "bot_id": "B111",
            },
            "response_urls": [],
        }
        return await self.interact(payload)

    async def event(
        self,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        retry: int | None = None,
        team_id: str | None = None,
    ) -> Response:
        """Deliver an Events API event (optionally as Slack's retry number ``retry`` of ``event_id``)."""
        event_id = event_id or self.event_id()
        envelope = {
            "token": "verification_token",
            "team_id": team_id or self.team["id"],
            **({"enterprise_id": self.enterprise_id} if self.enterprise_id else {}),
            "api_app_id": "A111",
            "event": event,
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "enterprise_id": self.enterprise_id,
                    "team_id": team_id or self.team["id"],
                    "user_id": self.slack.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
        }
        headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"} if retry else None
        return await self.post(json.dumps(envelope).encode(), "application/json", headers=headers)

    def view_opened_for(self, user_id: str) -> dict[str, Any] | None:
        """The modal opened in answer to the person's latest slash command, if it has opened."""
        view_id = self.slack.view_by_trigger.get(self.last_trigger.get(user_id, ""))
        return None if view_id is None else self.slack.views[view_id]

    def trigger(self) -> str:
        """A fresh trigger id."""
        return f"{next(self._triggers)}.{int(time.time())}.trigger"

    def event_id(self) -> str:
        """A fresh Events API event id."""
        return f"Ev{next(self._event_ids):08d}"

    # People writing in their DM with the app (the ``message.im`` events)

    async def write(
        self, user_id: str, text: str, *, thread: Message | None = None, files: bool = False
    ) -> tuple[Response, Message]:
        """A person writes in their DM with the app (in ``thread``, a message there): Slack keeps it
        and sends the ``message.im`` event."""
        message = self.slack.user_writes(user_id, text, thread_ts=thread.ts if thread else None)
        return await self.event(posted_event(message, files=files, team=self.team["id"])), message

    async def edit(self, message: Message, text: str) -> Response:
        """The author edits their message."""
        previous = message.text
        message.text = text
        edited = edited_event(message, previous, edited_ts=self.slack._next_ts(), team=self.team["id"])
        return await self.event(edited)

    async def delete(self, message: Message) -> Response:
        """The author deletes their message."""
        self.slack.messages.pop((message.channel, message.ts), None)
        return await self.event(
            deleted_event(message, deleted_at=self.slack._next_ts(), team=self.team["id"])
        )


def _message_fields(message: Message, team: str = TEAM["id"]) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "type": "message",
        "user": message.user,
        "text": message.text,
        "ts": message.ts,
        "team": team,
        "client_msg_id": f"c0ffee00-0000-4000-8000-{message.ts.replace('.', '')[-12:]:0>12}",
        "blocks": [
            {
                "type": "rich_text",
                "block_id": "rt",
                "elements": [
                    {"type": "rich_text_section", "elements": [{"type": "text", "text": message.text}]}
                ],
            }
        ],
    }
    if message.thread_ts:
        fields["thread_ts"] = message.thread_ts
    return fields


def posted_event(
    message: Message, *, files: bool = False, bot_id: str | None = None, team: str = TEAM["id"]
) -> dict[str, Any]:
    """Slack's ``message`` event (``message.im``) for a message in a DM with the app."""
    event = {
        **_message_fields(message, team),
        "channel": message.channel,
        "event_ts": message.ts,
        "channel_type": "im",
    }
    if message.thread_ts:
        event["parent_user_id"] = "UBOTPEER"
    if files:
        event["subtype"] = "file_share"
        event["upload"] = False
        event["files"] = [{"id": "F0SCAN", "name": "scan.pdf", "mimetype": "application/pdf"}]
    if bot_id is not None:  # the app's own message, as Slack echoes it back
        event.pop("client_msg_id")
        event.update(bot_id=bot_id, app_id="A111", bot_profile={"id": bot_id, "name": "Peer Support"})
    return event


def edited_event(
    message: Message, previous_text: str, *, edited_ts: str, team: str = TEAM["id"]
) -> dict[str, Any]:
    """Slack's ``message_changed`` event after the author edited a message."""
    now = _message_fields(message, team)
    now["edited"] = {"user": message.user, "ts": edited_ts}
    return {
        "type": "message",
        "subtype": "message_changed",
        "hidden": True,
        "channel": message.channel,
        "channel_type": "im",
        "ts": edited_ts,
        "event_ts": edited_ts,
        "message": now,
        "previous_message": {**_message_fields(message, team), "text": previous_text},
    }


def deleted_event(message: Message, *, deleted_at: str, team: str = TEAM["id"]) -> dict[str, Any]:
    """Slack's ``message_deleted`` event after the author deleted a message."""
    return {
        "type": "message",
        "subtype": "message_deleted",
        "hidden": True,
        "channel": message.channel,
        "channel_type": "im",
        "ts": deleted_at,
        "event_ts": deleted_at,
        "deleted_ts": message.ts,
        "previous_message": _message_fields(message, team),
    }


def _user(user_id: str, team: str = TEAM["id"]) -> dict[str, str]:
    return {"id": user_id, "username": user_id.lower(), "name": user_id.lower(), "team_id": team}


def find_button(blocks: list[dict[str, Any]], action_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The block and button element with ``action_id``."""
    for block in blocks:
        for element in block.get("elements", []) + ([block["accessory"]] if "accessory" in block else []):
            if element.get("action_id") == action_id:
                return block, element
    raise AssertionError(f"no button {action_id} in the message")


def has_button(blocks: list[dict[str, Any]], action_id: str) -> bool:
    """Whether the blocks show a button with ``action_id``."""
    try:
        find_button(blocks, action_id)
    except AssertionError:
        return False
    return True


def state_values(view: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """Slack's ``view.state.values`` for the given block id → value, shaped per element type."""
    state: dict[str, Any] = {}
    for block in view["blocks"]:
        if block.get("type") != "input":
            continue
        element = block["element"]
        block_id, action_id, kind = block["block_id"], element["action_id"], element["type"]
        value = values.get(block_id)
        if kind in {"static_select", "radio_buttons"}:
            entry: dict[str, Any] = {"type": kind, "selected_option": None}
            if value is not None:
                label = next(
                    (o["text"] for o in element["options"] if o["value"] == value),
                    {"type": "plain_text", "text": str(value)},
                )
                entry["selected_option"] = {"text": label, "value": value}
        elif kind == "users_select":
            entry = {"type": kind, "selected_user": value}
        elif kind == "multi_users_select":
            entry = {"type": kind, "selected_users": list(value or [])}
        elif kind in {"checkboxes", "multi_static_select"}:
            offered = element.get("options") or [
                o for g in element.get("option_groups") or [] for o in g["options"]
            ]
            chosen = [o for o in offered if o["value"] in (value or [])]
            entry = {"type": kind, "selected_options": chosen}
        elif kind == "channels_select":
            entry = {"type": kind, "selected_channel": value}
        elif kind == "conversations_select":
            entry = {"type": kind, "selected_conversation": value}
        elif kind == "datepicker":
            entry = {"type": kind, "selected_date": value}
        elif kind == "timepicker":
            entry = {"type": kind, "selected_time": value}
        else:
            entry = {"type": kind, "value": value}
        state[block_id] = {action_id: entry}
    return state


def text_of(blocks: list[dict[str, Any]]) -> str:
    """Every piece of text in some blocks, flattened (for content assertions)."""
    return json.dumps(blocks, ensure_ascii=False)
