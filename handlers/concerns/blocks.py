"""Builders for a concern about a colleague: the modal, the coordinators' alert, the thanks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    CheckboxesElement,
    InputBlock,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
    UserSelectElement,
)
from slack_sdk.models.views import View

from handlers.common.blocks import context, header, mention, resources_blocks, section
from handlers.common.payloads import ConcernRef
from handlers.concerns.ids import ConcernAction, ConcernBlockId, ConcernCallback, ConcernField
from storage.models import Concern, ConcernState

CONTACT_ME = "contact_me"


def concern_modal(*, subject_id: str | None = None) -> dict[str, Any]:
    """Anyone says they are worried about a colleague."""
    return View(
        type="modal",
        callback_id=ConcernCallback.CONCERN,
        title="Worried about someone",
        submit="Send",
        close="Cancel",
        blocks=[
            section(
                "If a colleague seems to be struggling, tell the program's coordinators. They will"
                " reach out gently, or ask a peer supporter to. *Your colleague is never told who"
                " raised it.*"
            ),
            InputBlock(
                block_id=ConcernField.CONCERN_SUBJECT,
                label="Who are you worried about?",
                element=UserSelectElement(
                    action_id=ConcernField.CONCERN_SUBJECT,
                    placeholder="Choose a colleague",
                    initial_user=subject_id,
                ),
            ),
            InputBlock(
                block_id=ConcernField.CONCERN_NOTE,
                label="Anything the coordinators should know",
                optional=True,
                hint="Optional. Seen only by the coordinators.",
                element=PlainTextInputElement(
                    action_id=ConcernField.CONCERN_NOTE, multiline=True, max_length=500
                ),
            ),
            InputBlock(
                block_id=ConcernField.CONCERN_CONTACT_ME,
                label="May a coordinator contact you about it?",
                optional=True,
                element=CheckboxesElement(
                    action_id=ConcernField.CONCERN_CONTACT_ME,
                    options=[Option(value=CONTACT_ME, label="Yes, they may contact me")],
                ),
                hint="If not, your name isn't kept: the coordinators won't know it was you.",
            ),
            context(
                "If someone is in danger right now, call 911. The 988 Lifeline also helps people"
                " worried about someone."
            ),
        ],
    ).to_dict()


def concern_alert(concern: Concern) -> list[dict[str, Any]]:
    """A coordinator's copy of a concern: who it is about, the note, and what was done."""
    raised = (
        f"Raised by {mention(concern.raised_by)}, who is happy to be contacted about it."
        if concern.raised_by
        else "Raised anonymously: the colleague who raised it asked not to be named."
    )
    blocks: list[Block] = [
        header("A colleague may be struggling"),
        section(f"Someone is worried about {mention(concern.subject_id)}."),
    ]
    if concern.note:
        blocks.append(SectionBlock(text=PlainTextObject(text=f"Their note: {concern.note}")))
    blocks.append(context(raised + " Never tell the colleague who raised it."))
    if concern.state == ConcernState.OPEN:
        ref = ConcernRef(concern_id=concern.id).encode()
        blocks.append(
            ActionsBlock(
                block_id=ConcernBlockId.CONCERN,
                elements=[
                    ButtonElement(
                        action_id=ConcernAction.CONCERN_TAKE,
                        text="I'll reach out",
                        style="primary",
                        value=ref,
                    ),
                    ButtonElement(
                        action_id=ConcernAction.CONCERN_HAND_TO, text="Ask a supporter…", value=ref
                    ),
                ],
            )
        )
    elif concern.state == ConcernState.TAKEN:
        blocks.append(section(f"{mention(concern.handled_by or '')} is reaching out."))
    else:
        who, supporter = mention(concern.handled_by or ""), mention(concern.supporter_id or "")
        blocks.append(section(f"{who} asked {supporter} to reach out."))
    return [b.to_dict() for b in blocks]


def forgotten_concern_alert() -> list[dict[str, Any]]:
    """A coordinator's copy of a concern once the retention period has passed: nothing left in it."""
    blocks: list[Block] = [
        header("A concern about a colleague"),
        section(
            "A coordinator acted on this concern. Who it was about and the note were removed after"
            " the retention period, here and in the app."
        ),
    ]
    return [b.to_dict() for b in blocks]


def concern_thanks(*, resources: Sequence[str]) -> list[dict[str, Any]]:
    """The person who raised a concern is thanked."""
    blocks: list[Block] = [
        section(
            "Thank you for looking out for a colleague. The coordinators have it now and will reach"
            " out gently; your colleague won't be told who raised it."
        ),
        *resources_blocks(resources, title="Help for them, and for you"),
    ]
    return [b.to_dict() for b in blocks]


def reach_out_request(*, subject_id: str, coordinator_id: str) -> list[dict[str, Any]]:
    """A supporter is asked to check in with a colleague."""
    blocks = [
        header("Could you check in with a colleague?"),
        section(
            f"{mention(coordinator_id)} asks if you could check in gently with {mention(subject_id)}:"
            " a colleague is a little worried about them."
        ),
        context(
            'Please don\'t say that anyone raised it; a friendly "how are you doing?" is enough.'
            " You're not their counselor: if they need more, offer the EAP or a crisis line."
        ),
    ]
    return [b.to_dict() for b in blocks]


def concern_hand_to_modal(*, concern_id: int) -> dict[str, Any]:
    """A coordinator chooses a supporter to reach out."""
    return View(
        type="modal",
        callback_id=ConcernCallback.CONCERN_HAND_TO,
        private_metadata=ConcernRef(concern_id=concern_id).encode(),
        title="Ask a supporter",
        submit="Ask",
        close="Cancel",
        blocks=[
            section("The supporter is asked to check in gently, and never told who raised it."),
            InputBlock(
                block_id=ConcernField.CONCERN_SUPPORTER,
                label="Supporter",
                element=UserSelectElement(
                    action_id=ConcernField.CONCERN_SUPPORTER, placeholder="Choose a supporter"
                ),
            ),
        ],
    ).to_dict()
