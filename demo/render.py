"""Block Kit as readable text: roughly what a person sees in Slack, line by line.

Pure functions, data in and lines out. Headers read ``== Title ==``, sections are their
text then their fields, context lines start with ``·``, buttons read ``[ Accept ]``, and
modal inputs show their label, their control and their choices. Mentions ``<@U…>``
read ``@Name`` with the names given.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

Names = Mapping[str, str]
Json = dict[str, Any]

_ANGLE = re.compile(r"<([^<>\n]+)>")
_BOLD = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
_ITALIC = re.compile(r"(?<![\w_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w_])")
RULE = "─" * 40


def mrkdwn(text: str, names: Names) -> str:
    """Slack mrkdwn as plain text: mentions as ``@Name``, links as ``text (url)``, no bold markers."""

    def angle(match: re.Match[str]) -> str:
        target, _, label = match.group(1).partition("|")
        if target.startswith("@"):
            user_id = target[1:]
            return "@" + names.get(user_id, label or user_id)
        if target.startswith("#"):
            return "#" + (label or target[1:])
        if target.startswith("!"):
            return label or "@" + target[1:].split("^")[0]
        return f"{label} ({target})" if label else target

    text = _ANGLE.sub(angle, text)
    text = _ITALIC.sub(r"\1", _BOLD.sub(r"\1", text))
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def text_of(obj: Json | str | None, names: Names) -> str:
    """A text object (plain_text or mrkdwn) as plain text."""
    if obj is None:
        return ""
    if isinstance(obj, str):
        return obj
    if obj.get("type") == "mrkdwn":
        return mrkdwn(str(obj.get("text", "")), names)
    return str(obj.get("text", ""))


def render_text(text: str, names: Names) -> list[str]:
    """A plain message or reply (mrkdwn text, no blocks) as lines."""
    return mrkdwn(text, names).split("\n")


def render_blocks(blocks: Iterable[Json], names: Names) -> list[str]:
    """Message, modal or Home tab blocks as lines."""
    lines: list[str] = []
    for block in blocks:
        render = _BLOCKS.get(str(block.get("type")), _unknown_block)
        lines += render(block, names)
    return lines


def render_view(view: Json, names: Names) -> list[str]:
    """A modal (title, blocks, then its Close/Submit buttons) or a Home tab (its blocks), as lines."""
    if view.get("type") == "home":
        return render_blocks(view.get("blocks", []), names)
    title = text_of(view.get("title"), names)
    footer = [f"[ {text_of(view[key], names)} ]" for key in ("close", "submit") if view.get(key)]
    lines = [title, "═" * max(len(title), 8), *render_blocks(view.get("blocks", []), names)]
    if footer:
        lines += [RULE, "  ".join(footer)]
    return lines


def element(el: Json, names: Names) -> str:
    """One interactive element, compactly: ``[ Accept ]``, ``[ Choose one ▾ ]``, ``(•) Yes  ( ) No``."""
    kind = str(el.get("type", ""))
    placeholder = text_of(el.get("placeholder"), names)
    if kind == "button":
        shown = f"[ {text_of(el.get('text'), names)} ]"
        if el.get("url"):
            shown += f" ↗ {el['url']}"
        if el.get("confirm"):
            shown += f" (asks “{text_of(el['confirm'].get('title'), names)}” first)"
        return shown
    if kind in {"radio_buttons", "checkboxes"}:
        return _choices(el, names)
    if kind == "users_select":
        chosen = el.get("initial_user")
        return f"[ {'@' + names.get(chosen, chosen) if chosen else placeholder or 'Choose a person'} ▾ ]"
    if kind == "multi_users_select":
        chosen = ", ".join("@" + names.get(u, u) for u in el.get("initial_users", []))
        return f"[ {chosen or placeholder or 'Choose people'} ▾ ] (several)"
    if kind.endswith("select"):
        initial = el.get("initial_option")
        shown = text_of(initial.get("text"), names) if initial else placeholder or "Choose"
        return f"[ {shown} ▾ ]" + (" (several)" if kind.startswith("multi_") else "")
    if kind == "plain_text_input":
        # A placeholder is grey hint text in Slack, not a value: it reads as an example here.
        example = placeholder if placeholder.lower().startswith("e.g.") else f"e.g. {placeholder}"
        shown = el.get("initial_value") or (example if placeholder else "____________")
        return f"[ {shown} ]" + (" (several lines)" if el.get("multiline") else "")
    if kind == "overflow":
        return "[ ⋯ ] " + " / ".join(text_of(o.get("text"), names) for o in el.get("options", []))
    if kind in {"datepicker", "timepicker", "datetimepicker"}:
        initial = el.get("initial_date") or el.get("initial_time") or el.get("initial_date_time")
        return f"[ {initial or placeholder or kind.removesuffix('picker')} ▾ ]"
    if kind == "image":
        return f"[image: {el.get('alt_text', '')}]"
    return f"[{kind}]"


def _choices(el: Json, names: Names) -> str:
    radio = el.get("type") == "radio_buttons"
    initial = el.get("initial_options") or ([el["initial_option"]] if el.get("initial_option") else [])
    chosen = {o.get("value") for o in initial}
    marks = ("(•)", "( )") if radio else ("[x]", "[ ]")
    return "  ".join(
        f"{marks[0] if o.get('value') in chosen else marks[1]} {text_of(o.get('text'), names)}"
        for o in el.get("options", [])
    )


def _options_of(el: Json, names: Names) -> str:
    if el.get("type") in {"static_select", "multi_static_select"} and el.get("options"):
        return "    choices: " + " / ".join(text_of(o.get("text"), names) for o in el["options"])
    return ""


def _header(block: Json, names: Names) -> list[str]:
    return [f"== {text_of(block.get('text'), names)} =="]


def _section(block: Json, names: Names) -> list[str]:
    lines = text_of(block.get("text"), names).split("\n") if block.get("text") else []
    lines += [text_of(f, names) for f in block.get("fields", [])]
    if block.get("accessory"):
        lines.append(element(block["accessory"], names))
    return lines


def _context(block: Json, names: Names) -> list[str]:
    parts = [
        element(e, names) if e.get("type") == "image" else text_of(e, names)
        for e in block.get("elements", [])
    ]
    return ["· " + line for line in " ".join(parts).split("\n")]


def _actions(block: Json, names: Names) -> list[str]:
    return ["  ".join(element(e, names) for e in block.get("elements", []))]


def _divider(_block: Json, _names: Names) -> list[str]:
    return [RULE]


def _input(block: Json, names: Names) -> list[str]:
    label = text_of(block.get("label"), names)
    el = block.get("element", {})
    lines = [label + (" (optional)" if block.get("optional") else ""), "    " + element(el, names)]
    if options := _options_of(el, names):
        lines.append(options)
    if block.get("hint"):
        lines.append("    hint: " + text_of(block["hint"], names))
    return lines


def _image(block: Json, names: Names) -> list[str]:
    title = text_of(block.get("title"), names)
    return [f"[image: {title or block.get('alt_text', '')}]"]


def _rich_text(block: Json, names: Names) -> list[str]:
    def flatten(node: Json) -> str:
        kind = node.get("type")
        if kind == "text":
            return str(node.get("text", ""))
        if kind == "user":
            return "@" + names.get(node.get("user_id", ""), node.get("user_id", ""))
        if kind == "link":
            return str(node.get("text") or node.get("url", ""))
        if kind == "emoji":
            return f":{node.get('name', '')}:"
        return "".join(flatten(child) for child in node.get("elements", []))

    return flatten(block).split("\n")


def _unknown_block(block: Json, _names: Names) -> list[str]:
    return [f"[{block.get('type', 'unknown')} block]"]


_BLOCKS: dict[str, Callable[[Json, Names], list[str]]] = {
    "header": _header,
    "section": _section,
    "context": _context,
    "actions": _actions,
    "divider": _divider,
    "input": _input,
    "image": _image,
    "rich_text": _rich_text,
}
