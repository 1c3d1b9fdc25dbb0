"""Reading what Slack sends: slash command arguments and modal state."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

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
    if kind == "datepicker":
        return element.get("selected_date")
    if kind == "timepicker":
        return element.get("selected_time")
    return element.get("value")


def _clip(text: str) -> str:
    return text.replace("`", "'")[:40]
