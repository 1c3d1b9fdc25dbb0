"""Reading what Slack sends: slash command arguments and modal state."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from bot.relay import Inbound, InboundKind

_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")


class ArgumentError(ValueError):
    """A slash command argument that could not be read; the message is for the user."""


def mentioned_users(tokens: list[str]) -> list[str]:
    """User ids from escaped mentions (``<@U123|name>``); anything else is an error."""
    users: list[str] = []
    for token in tokens:
        match = _MENTION.match(token)
        if match is None:
            raise ArgumentError(
                f"I couldn't read `{_clip(token)}` as a person. Mention people with @, e.g. `@Jordan`."
            )
        users.append(match.group(1))
    if not users:
        raise ArgumentError("Please mention at least one person with @.")
    return users


def parse_date(text: str) -> date:
    """A ``YYYY-MM-DD`` date."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ArgumentError(f"`{_clip(text)}` isn't a date; please use YYYY-MM-DD.") from None


def flatten_state(view: dict[str, Any]) -> dict[str, Any]:
    """``view.state.values`` flattened to block id → value (str, list or None)."""
    values: dict[str, Any] = {}
    for block_id, actions in (view.get("state") or {}).get("values", {}).items():
        for element in actions.values():
            values[block_id] = _value(element)
    return values


def _value(element: dict[str, Any]) -> Any:
    kind = element.get("type")
    if kind in {"static_select", "radio_buttons"}:
        option = element.get("selected_option")
        return option.get("value") if isinstance(option, dict) else None
    if kind == "users_select":
        return element.get("selected_user")
    if kind == "multi_users_select":
        return list(element.get("selected_users") or [])
    if kind in {"checkboxes", "multi_static_select"}:
        return [o.get("value") for o in element.get("selected_options") or [] if isinstance(o, dict)]
    if kind == "channels_select":
        return element.get("selected_channel")
    if kind == "conversations_select":
        return element.get("selected_conversation")
    if kind == "checkboxes":
        return [o.get("value") for o in element.get("selected_options") or [] if isinstance(o, dict)]
    if kind == "datepicker":
        return element.get("selected_date")
    if kind == "timepicker":
        return element.get("selected_time")
    return element.get("value")


# Message subtypes that are a person's new message (``file_share`` carries files, maybe text).
_NEW_MESSAGE = frozenset({None, "file_share", "thread_broadcast", "me_message"})


def direct_message(event: dict[str, Any]) -> Inbound | None:
    """A person's message in their DM with the app, or None for what the relay ignores.

    Bots' messages (the app's own copies among them) are ignored here too, not only by
    Bolt; so is a ``message_changed`` that is no edit (a link preview being added).
    """
    channel = event.get("channel")
    if event.get("channel_type", "im") != "im" or not isinstance(channel, str) or event.get("bot_id"):
        return None
    subtype = event.get("subtype")
    if subtype == "message_changed":
        message = event.get("message") or {}
        if message.get("bot_id") or not message.get("edited"):
            return None
        return _inbound(InboundKind.EDITED, channel, message, message.get("ts"))
    if subtype == "message_deleted":
        previous = event.get("previous_message") or {}
        if previous.get("bot_id"):
            return None
        return _inbound(InboundKind.DELETED, channel, previous, event.get("deleted_ts") or previous.get("ts"))
    if subtype not in _NEW_MESSAGE:
        return None
    return _inbound(InboundKind.POSTED, channel, event, event.get("ts"))


def _inbound(kind: InboundKind, channel: str, message: dict[str, Any], ts: Any) -> Inbound | None:
    if not isinstance(ts, str):
        return None
    thread_ts = message.get("thread_ts")
    return Inbound(
        kind=kind,
        channel_id=channel,
        ts=ts,
        thread_ts=thread_ts if isinstance(thread_ts, str) else None,
        user_id=message.get("user"),
        text=str(message.get("text") or "") if kind != InboundKind.DELETED else "",
        has_files=bool(message.get("files")) or message.get("subtype") == "file_share",
    )


def _clip(text: str) -> str:
    return text.replace("`", "'")[:40]
