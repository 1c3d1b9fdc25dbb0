"""Builders for the resource directory: its lines, the Home section and the coordinator's modal."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    CheckboxesElement,
    DividerBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    OptionGroup,
    PlainTextInputElement,
    SectionBlock,
    StaticMultiSelectElement,
)
from slack_sdk.models.views import View

from bot.referrals import SHARE_MAX
from bot.resources import CRISIS_LINES, TOPIC_LABELS
from handlers.common.blocks import NOT_COUNSELORS, context, escape, header, section
from handlers.common.payloads import RequestRef, ResourceRef
from handlers.resources.ids import ResourceAction, ResourceBlockId, ResourceCallback, ResourceField
from storage.models import Resource, ResourceTopic

CONFIDENTIAL = "confidential"
REMOVE = "remove"
# Entries with an Edit button on a coordinator's Home (a Home holds 100 blocks at most).
HOME_EDIT_MAX = 20


def resource_line(entry: Resource) -> str:
    """One entry as mrkdwn: name, what it is for, how to reach it, hours, cost, confidentiality."""
    reach = []
    if entry.phone:
        reach.append(f"call {escape(entry.phone)}")
    if entry.text:
        reach.append(f"text {escape(entry.text)}")
    if entry.url:
        reach.append(f"<{entry.url}|{escape(entry.url.split('://', 1)[-1].rstrip('/'))}>")
    details = [" or ".join(reach)] if reach else []
    details += [escape(d) for d in (entry.hours, entry.cost) if d]
    if entry.confidential:
        details.append("confidential from the office")
    return f"*{escape(entry.name)}*: {escape(entry.purpose)}. " + " · ".join(details)


def directory_text(
    entries: Sequence[Resource],
    *,
    topic: ResourceTopic | None = None,
    coping: str = "",
    office_lines: Sequence[str] = (),
) -> str:
    """``/peer resources [topic]``: the crisis lines first, then the office's entries, then coping text."""
    crisis = [e for e in entries if e.id < 0]
    office = [e for e in entries if e.id > 0]
    lines = ["*If you need help now*", *(f"• {resource_line(e)}" for e in crisis)]
    about = f" for {TOPIC_LABELS[topic].lower()}" if topic else ""
    if office:
        lines += [f"*The office's directory{about}*", *(f"• {resource_line(e)}" for e in office)]
    if office_lines and not topic:
        lines += ["*Also from the office*", *(f"• {line}" for line in office_lines)]
    if not office and topic:
        lines.append(f"_The office's directory has nothing{about} yet; `/peer resources` lists everything._")
    lines.append(
        "_Topics: " + ", ".join(f"`{t.value}`" for t in ResourceTopic) + " (e.g. `/peer resources grief`)._"
    )
    if coping:
        lines += ["", coping]
    lines.append(f"_{NOT_COUNSELORS}_")
    return "\n".join(lines)


def directory_blocks(
    entries: Sequence[Resource], *, coordinator: bool, office_lines: Sequence[str] = ()
) -> list[Block]:
    """The Home's directory section; coordinators also get Add and an Edit per entry."""
    crisis = [e for e in entries if e.id < 0]
    office = [e for e in entries if e.id > 0]
    blocks: list[Block] = [
        DividerBlock(),
        header("Help is always there"),
        section("\n".join(f"• {resource_line(e)}" for e in crisis)),
    ]
    if office_lines:
        blocks.append(section("\n".join(f"• {line}" for line in office_lines)[:3000]))
    if not coordinator:
        if office:
            listed = "\n".join(f"• {resource_line(e)}" for e in office)
            blocks.append(section(f"*The office's directory*\n{listed}"[:3000]))
        blocks.append(context(NOT_COUNSELORS + " `/peer resources grief` lists those about one topic."))
        return blocks
    for entry in office[:HOME_EDIT_MAX]:
        blocks.append(
            SectionBlock(
                block_id=f"{ResourceBlockId.RESOURCE}{entry.id}",
                text=MarkdownTextObject(text=resource_line(entry)[:3000]),
                accessory=ButtonElement(
                    action_id=ResourceAction.RESOURCE_EDIT,
                    text="Edit",
                    value=ResourceRef(resource_id=entry.id).encode(),
                ),
            )
        )
    if len(office) > HOME_EDIT_MAX:
        blocks.append(context(f"And {len(office) - HOME_EDIT_MAX} more: `/peer resources` lists them all."))
    blocks += [
        ActionsBlock(
            block_id=ResourceBlockId.RESOURCE_ACTIONS,
            elements=[
                ButtonElement(action_id=ResourceAction.RESOURCE_ADD, text="Add a resource", value="add")
            ],
        ),
        context(
            "The crisis lines are always listed first and can't be removed. Changes are audited."
            " " + NOT_COUNSELORS
        ),
    ]
    return blocks


def _text_input(
    field: ResourceField,
    label: str,
    *,
    value: str | None,
    optional: bool,
    max_length: int,
    hint: str | None = None,
    multiline: bool = False,
) -> InputBlock:
    return InputBlock(
        block_id=field,
        label=label,
        optional=optional,
        hint=hint,
        element=PlainTextInputElement(
            action_id=field, initial_value=value or None, max_length=max_length, multiline=multiline
        ),
    )


def resource_modal(entry: Resource | None = None) -> dict[str, Any]:
    """Add an entry (``entry`` None) or edit one, with a way to remove it."""
    e = entry
    topics = [Option(value=t.value, label=label) for t, label in TOPIC_LABELS.items()]
    chosen = [o for o in topics if e is not None and ResourceTopic(o.value) in e.topics]
    confidential = Option(value=CONFIDENTIAL, label="Confidential: the office is never told who used it")
    blocks: list[Block] = [
        _text_input(ResourceField.NAME, "Name", value=e.name if e else None, optional=False, max_length=80),
        _text_input(
            ResourceField.PURPOSE,
            "What it is for",
            value=e.purpose if e else None,
            optional=False,
            max_length=300,
            multiline=True,
        ),
        _text_input(ResourceField.PHONE, "Phone", value=e.phone if e else None, optional=True, max_length=30),
        _text_input(
            ResourceField.TEXT,
            "Text line",
            value=e.text if e else None,
            optional=True,
            max_length=100,
            hint="e.g. HOME to 741741",
        ),
        _text_input(
            ResourceField.URL,
            "Web address",
            value=e.url if e else None,
            optional=True,
            max_length=200,
            hint="Give at least one of phone, text line or web address.",
        ),
        _text_input(
            ResourceField.HOURS, "Hours", value=e.hours if e else None, optional=True, max_length=100
        ),
        _text_input(
            ResourceField.COST,
            "Cost",
            value=e.cost if e else None,
            optional=True,
            max_length=100,
            hint="e.g. Free, 6 sessions free through the EAP",
        ),
        InputBlock(
            block_id=ResourceField.CONFIDENTIAL,
            label="Confidential from the employer?",
            optional=True,
            element=CheckboxesElement(
                action_id=ResourceField.CONFIDENTIAL,
                options=[confidential],
                initial_options=[confidential] if e is not None and e.confidential else None,
            ),
        ),
        InputBlock(
            block_id=ResourceField.TOPICS,
            label="Topics",
            optional=True,
            element=CheckboxesElement(
                action_id=ResourceField.TOPICS, options=topics, initial_options=chosen or None
            ),
        ),
    ]
    if e is not None:
        remove = Option(value=REMOVE, label="Remove this resource from the directory")
        blocks.append(
            InputBlock(
                block_id=ResourceField.REMOVE,
                label="Remove",
                optional=True,
                element=CheckboxesElement(action_id=ResourceField.REMOVE, options=[remove]),
            )
        )
    blocks.append(
        context("Crisis lines (988, Crisis Text Line, 911) are always listed first and can't be changed.")
    )
    return View(
        type="modal",
        callback_id=ResourceCallback.RESOURCE,
        title="Edit a resource" if e else "Add a resource",
        submit="Save",
        close="Cancel",
        private_metadata=ResourceRef(resource_id=e.id).encode() if e else "",
        blocks=blocks,
    ).to_dict()


def crisis_lines_text() -> str:
    """The crisis lines as mrkdwn bullets."""
    return "\n".join(f"• {resource_line(e)}" for e in CRISIS_LINES)


# Share a resource (the holder of a request)

# Slack allows 100 options in one menu (across its groups).
_SHARE_OPTIONS_MAX = 100


def share_button(request_id: int) -> ButtonElement:
    """ "Share a resource" on a held request (the held card, the holder's Home)."""
    return ButtonElement(
        action_id=ResourceAction.SHARE,
        text="Share a resource",
        value=RequestRef(request_id=request_id).encode(),
    )


def share_value(resource_id: int, group: int) -> str:
    """An option's value: the entry, and which group it is listed in (an entry may be in several)."""
    return f"{resource_id}/{group}"


def shared_id(value: object) -> int | None:
    """The entry an option's value names, or None if it isn't one of ours."""
    if not isinstance(value, str) or len(value) > 24:
        return None
    head = value.split("/", 1)[0]
    try:
        return int(head)
    except ValueError:
        return None


def share_modal(
    *, request_id: int, entries: Sequence[Resource], topic: ResourceTopic | None, anonymous: bool
) -> dict[str, Any]:
    """Pick up to :data:`SHARE_MAX` entries, grouped by topic: the crisis lines first, then the
    request's own topic, then the others (an entry is listed under each of its topics)."""
    topics = list(TOPIC_LABELS)
    if topic is not None:
        topics.remove(topic)
        topics.insert(0, topic)
    groups: list[tuple[str, list[Resource]]] = [("Crisis lines", [e for e in entries if e.id < 0])]
    office = [e for e in entries if e.id > 0]
    groups += [(TOPIC_LABELS[t], [e for e in office if t in e.topics]) for t in topics]
    groups.append(("Other", [e for e in office if not e.topics]))
    option_groups: list[OptionGroup] = []
    room = _SHARE_OPTIONS_MAX
    for number, (label, members) in enumerate(groups):
        options = [
            Option(value=share_value(e.id, number), label=e.name[:75], description=e.purpose[:75])
            for e in members[:room]
        ]
        room -= len(options)
        if options:
            option_groups.append(OptionGroup(label=label, options=options))
    where = (
        "in your colleague's thread of the conversation, from the name they see you by"
        if anonymous
        else "in your colleague's DM with the app"
    )
    return View(
        type="modal",
        callback_id=ResourceCallback.SHARE,
        private_metadata=RequestRef(request_id=request_id).encode(),
        title="Share a resource",
        submit="Send",
        close="Cancel",
        blocks=[
            InputBlock(
                block_id=ResourceField.SHARE,
                label=f"Resources to send (up to {SHARE_MAX})",
                element=StaticMultiSelectElement(
                    action_id=ResourceField.SHARE,
                    placeholder="Choose from the directory",
                    option_groups=option_groups,
                    max_selected_items=SHARE_MAX,
                ),
            ),
            context(
                f"The app sends them {where}, with how to reach each one. Nobody else sees it."
                " Entries are grouped by topic; the crisis lines are always there."
            ),
        ],
    ).to_dict()


def shared_resources_message(
    entries: Sequence[Resource], *, label: str | None = None
) -> list[dict[str, Any]]:
    """What the colleague receives: the entries, from their peer supporter (by label, if anonymous)."""
    sender = f"{escape(label)}, your peer supporter," if label else "Your peer supporter"
    blocks: list[Block] = [
        section(f"{sender} thought these might help:"),
        section("\n".join(f"• {resource_line(e)}" for e in entries)[:3000]),
        context(
            "If you're in crisis or thinking about suicide, call or text 988, any time. " + NOT_COUNSELORS
        ),
    ]
    return [b.to_dict() for b in blocks]


def resources_shared_note(entries: Sequence[Resource], *, delivered: bool) -> list[dict[str, Any]]:
    """The supporter learns what was sent (names only), or that it could not be."""
    names = ", ".join(escape(e.name) for e in entries)
    text = (
        f"Sent to your colleague: {names}. Thank you for pointing them to help."
        if delivered
        else f"I couldn't send {names} to your colleague just now. Please try *Share a resource* again."
    )
    return [section(text).to_dict()]
