"""Builders for the program's check-in with a supporter after a heavy conversation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement

from bot.ports import CareCard
from handlers.care.ids import CareAction, CareBlockId
from handlers.common.blocks import context, resources_blocks, section
from handlers.common.payloads import CheckinRef
from storage.models import CareAnswer


def care_checkin(card: CareCard, *, resources: Sequence[str]) -> list[dict[str, Any]]:
    """How are you doing, a day after a heavy one; after a click, what the answer did."""
    blocks: list[Block] = [
        section(
            "Yesterday you supported a colleague through something heavy. Thank you. Carrying other"
            " people's hard moments takes something out of anyone: how are you doing?"
        )
    ]
    if card.answer is None:
        ref = CheckinRef(message_id=card.message_id).encode()
        blocks += [
            ActionsBlock(
                block_id=CareBlockId.CARE,
                elements=[
                    ButtonElement(action_id=CareAction.CARE_OK, text="I'm okay", value=ref),
                    ButtonElement(
                        action_id=CareAction.CARE_TALK,
                        text="I'd like to talk to a peer",
                        style="primary",
                        value=ref,
                    ),
                ],
            ),
            context("Only you see this. A peer for you is never the colleague you supported."),
        ]
    elif card.answer == CareAnswer.OK:
        blocks.append(section("Glad to hear it. If that changes, a peer is one `/peer` away."))
    elif card.request_made:
        blocks.append(
            section("A peer supporter will reach out to you; you'll get a message here when one accepts.")
        )
    else:
        blocks.append(
            section("You already have an open request, so a peer will be in touch. `/peer status` shows it.")
        )
    blocks += resources_blocks(resources, title="Support is there for supporters too")
    return [b.to_dict() for b in blocks]
