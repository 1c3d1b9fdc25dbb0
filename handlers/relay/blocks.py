"""Builders for anonymous conversations: the two thread roots, relayed copies, and short notes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    InputBlock,
    PlainTextInputElement,
)
from slack_sdk.models.views import View

from bot.ports import NoteKind, RelayedText, ThreadCard, ThreadNote
from handlers.common.blocks import context, escape, header, mention, resources_blocks, section, to_dicts
from handlers.common.payloads import ConversationRef
from handlers.relay.ids import RelayAction, RelayBlockId, RelayCallback, RelayField
from storage.models import ConversationEnd, Side

# How the requester is shown to the supporter until they share their name.
ANONYMOUS = "Anonymous colleague"
# Slack's limit on a section's text.
_SECTION_MAX = 3000

# Why a conversation ended, as each side reads it ({label}: how the supporter is shown).
_WHY: dict[ConversationEnd, dict[Side, str]] = {
    ConversationEnd.REQUESTER: {Side.REQUESTER: "you ended it", Side.SUPPORTER: "the colleague ended it"},
    ConversationEnd.SUPPORTER: {Side.REQUESTER: "{label} ended it", Side.SUPPORTER: "you ended it"},
    ConversationEnd.CLOSED: {
        Side.REQUESTER: "your supporter closed the request",
        Side.SUPPORTER: "you closed the request",
    },
    ConversationEnd.CANCELLED: {
        Side.REQUESTER: "you withdrew the request",
        Side.SUPPORTER: "the colleague withdrew the request",
    },
    ConversationEnd.HANDED_BACK: {
        Side.REQUESTER: "your supporter handed the request on",
        Side.SUPPORTER: "you handed the request back",
    },
}
# The supporter no longer holds the request: the colleague's words leave their DM.
_RELEASED = {ConversationEnd.CLOSED, ConversationEnd.CANCELLED, ConversationEnd.HANDED_BACK}
_REMOVED = (
    "The colleague's messages were removed from this thread: only the supporter who holds a request"
    " keeps what was shared."
)
_PEER_AGAIN = "If you'd like to talk again, type `/peer` at any time."
_CLOSE_WHEN_READY = "Please close the request (*Close*, on the request message) when you're ready."


def thread_root(card: ThreadCard) -> list[dict[str, Any]]:
    """The message a side's thread hangs from, in the conversation's current state."""
    label = escape(card.supporter_label)
    conversation = ConversationRef(conversation_id=card.conversation_id).encode()
    if card.side == Side.REQUESTER:
        blocks: list[Block] = [
            header("Your anonymous conversation"),
            section(
                f"*{label}*, a trained peer supporter, accepted your request. *Reply in this thread*"
                " to write to them: the app passes each message on without your name, and their"
                f' answers appear here. They see you as "{ANONYMOUS}".'
            ),
        ]
        if card.revealed:
            blocks.append(section(f"You shared your name with {label}."))
        blocks.append(
            context(
                "What you write can still identify you: names, places, cases, the way you write."
                " Files and images are not passed on. The app keeps no copy of the messages; they"
                " stay in your DM and theirs, like any Slack message."
            )
        )
    else:
        blocks = [
            header("Anonymous conversation"),
            section(
                f"You accepted request #{card.request_id}. The colleague asked to stay anonymous."
                " *Reply in this thread* to write to them: the app passes your messages on, and"
                f' theirs appear here as "{ANONYMOUS}". They see you as "{label}".'
            ),
        ]
        if card.requester_id is not None:
            blocks.append(section(f"The colleague shared their name: {mention(card.requester_id)}."))
        blocks.append(
            context(
                "Please don't try to find out who it is. If they may be in danger, share the crisis"
                f" lines (988). When you're done, end the conversation. {_CLOSE_WHEN_READY}"
            )
        )
    if card.ended_by is not None:
        why = _WHY[card.ended_by][card.side].format(label=label)
        blocks.append(section(f"*This conversation has ended* ({why}). Nothing more is passed on."))
        if card.side == Side.SUPPORTER and card.ended_by in _RELEASED:
            blocks.append(context(_REMOVED))
        return to_dicts(blocks)
    buttons = [_end_button(conversation)]
    if card.side == Side.REQUESTER and not card.revealed:
        buttons.insert(0, _reveal_button(conversation, label))
    if card.side == Side.SUPPORTER:
        buttons.append(
            ButtonElement(action_id=RelayAction.RELAY_RENAME, text="Name shown…", value=conversation)
        )
    blocks.append(ActionsBlock(block_id=RelayBlockId.CONVERSATION, elements=buttons))
    return to_dicts(blocks)


def _reveal_button(conversation: str, label: str) -> ButtonElement:
    return ButtonElement(
        action_id=RelayAction.RELAY_REVEAL,
        text="Reveal my name",
        value=conversation,
        confirm=ConfirmObject(
            title="Share your name?",
            text=f"{label} will see your name and Slack profile. This can't be undone.",
            confirm="Share my name",
            deny="Not now",
        ),
    )


def _end_button(conversation: str) -> ButtonElement:
    return ButtonElement(
        action_id=RelayAction.RELAY_END,
        text="End conversation",
        value=conversation,
        confirm=ConfirmObject(
            title="End the conversation?",
            text="Nothing more will be passed on, either way. Both of you are told.",
            confirm="End it",
            deny="Keep talking",
        ),
    )


def relayed_message(message: RelayedText) -> list[dict[str, Any]]:
    """A copy of one person's message, under the name the other may see."""
    if message.sender == Side.SUPPORTER:
        who = escape(message.supporter_label)
    else:
        who = mention(message.requester_id) if message.requester_id else ANONYMOUS
    # The text is Slack's own markup of what they wrote, so it renders as they wrote it.
    blocks: list[Block] = [context(f"*{who}*" + (" · edited" if message.edited else ""))]
    blocks += [section(chunk) for chunk in chunks(message.text)]
    return to_dicts(blocks)


def chunks(text: str, size: int = _SECTION_MAX) -> list[str]:
    """Text cut into pieces that fit a section, at a line break or space where there is one."""
    pieces: list[str] = []
    while len(text) > size:
        cut = max(text.rfind("\n", 0, size), text.rfind(" ", 0, size))
        if cut < size // 2:
            cut = size
        pieces.append(text[:cut])
        text = text[cut:]
    return [*pieces, text]


def relay_note(note: ThreadNote, *, resources: Sequence[str]) -> list[dict[str, Any]]:
    """A short note from the app in a conversation's thread (or a DM outside one)."""
    label = escape(note.supporter_label)
    requester = note.side == Side.REQUESTER
    with_resources = False
    match note.kind:
        case NoteKind.FILES_NOT_RELAYED:
            text = (
                "Files and images are not passed on: they often carry names and other details."
                " Any text you wrote with it was passed on."
            )
        case NoteKind.NOT_DELIVERED:
            text = "That message couldn't be passed on just now. Please send it again in a moment."
        case NoteKind.HAS_ENDED:
            text = f"This conversation has ended, so that was not passed on. {_PEER_AGAIN}"
            with_resources = True
        case NoteKind.YOU_ENDED:
            after = _PEER_AGAIN if requester else _CLOSE_WHEN_READY
            text = f"You ended this conversation. Nothing more is passed on. {after}"
            with_resources = requester
        case NoteKind.OTHER_ENDED:
            who, after = (label, _PEER_AGAIN) if requester else ("The colleague", _CLOSE_WHEN_READY)
            text = f"{who} ended this conversation. Nothing more is passed on. {after}"
            with_resources = requester
        case NoteKind.HANDED_ON:
            text = (
                "Your supporter had to hand your request on, so this conversation has ended. Your"
                " request goes to another peer supporter; when one accepts, a new conversation opens"
                " here. They won't see this one."
            )
        case NoteKind.REVEALED:
            text = (
                "The colleague has shared their name with you: it's at the top of this thread and on"
                " the request. Please keep it confidential."
            )
        case NoteKind.YOU_REVEALED:
            text = f"Your name is now shown to {label}."
        case NoteKind.RENAMED:
            text = f'Your peer supporter is now shown as "{label}".'
        case NoteKind.OUTSIDE_THREAD:
            who, root = (
                (label, "Your anonymous conversation")
                if requester
                else ("the colleague", "Anonymous conversation")
            )
            text = (
                f'To write to {who}, reply in the thread of "{root}" above. Messages outside'
                " it are not passed on."
            )
        case NoteKind.HELP:
            text = (
                "Messages here aren't read by anyone. Type `/peer` to ask to talk with a peer"
                " supporter, or `/peer help` for more."
            )
            with_resources = True
    blocks: list[Block] = [section(text)]
    if with_resources:
        blocks += resources_blocks(resources, title="If you need someone now")
    return to_dicts(blocks)


def rename_modal(*, conversation_id: int, label: str) -> dict[str, Any]:
    """The supporter chooses the name the anonymous colleague sees."""
    return View(
        type="modal",
        callback_id=RelayCallback.RELAY_RENAME,
        private_metadata=ConversationRef(conversation_id=conversation_id).encode(),
        title="Name shown",
        submit="Save",
        close="Cancel",
        blocks=[
            InputBlock(
                block_id=RelayField.LABEL,
                label="The colleague sees you as",
                hint=(
                    'Your first name, a nickname, or "Peer supporter". Messages already sent keep'
                    " the old name."
                ),
                element=PlainTextInputElement(action_id=RelayField.LABEL, initial_value=label, max_length=40),
            )
        ],
    ).to_dict()
