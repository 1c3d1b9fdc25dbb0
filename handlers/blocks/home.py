"""The App Home tab and the help and roster texts."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement
from slack_sdk.models.views import View

from handlers.blocks.common import context, header, resources_blocks, section
from handlers.ids import Action


def home_view(*, is_supporter: bool, is_coordinator: bool, resources: Sequence[str]) -> dict:
    """The Home tab, tailored to the person's roles."""
    blocks: list[Block] = [
        header("Peer support"),
        section(
            "Talk privately with a trained colleague about anything weighing on you: a hard"
            " case, a loss, stress at work or at home. Nobody but you and the supporter who"
            " takes your request will know you asked."
        ),
        ActionsBlock(
            block_id="home_actions",
            elements=[
                ButtonElement(
                    action_id=Action.OPEN_REQUEST,
                    text="Talk to a peer",
                    style="primary",
                    value="open",
                )
            ],
        ),
        context("Or type `/peer` anywhere. `/peer help` lists everything you can do."),
    ]
    if is_supporter:
        blocks.append(
            section(
                "*You're a peer supporter.* `/peer available`, `/peer away`,"
                " `/peer away until YYYY-MM-DD`, `/peer afterhours on|off`."
            )
        )
    if is_coordinator:
        blocks.append(
            section(
                "*You're a coordinator.* `/peer roster`, `/peer roster add @…`, `/peer roster remove @…`."
            )
        )
    blocks += resources_blocks(resources)
    return View(type="home", blocks=blocks).to_dict()


def help_text(*, is_supporter: bool, is_coordinator: bool, hours: str) -> str:
    """``/peer help``, tailored to the caller's roles."""
    lines = [
        "*Peer support: what you can do*",
        "• `/peer` ask privately to talk to a trained colleague",
        "• `/peer status` see where your request is",
        "• `/peer cancel` withdraw your request",
        "• `/peer resources` EAP and crisis lines",
        "• `/peer volunteer [a note]` offer to become a peer supporter",
    ]
    if is_supporter:
        lines += [
            "*As a peer supporter*",
            "• `/peer available` start receiving offers again",
            "• `/peer away` or `/peer away until YYYY-MM-DD` pause offers",
            "• `/peer afterhours on|off` also receive offers outside program hours",
        ]
    if is_coordinator:
        lines += [
            "*As a coordinator*",
            "• `/peer roster` supporters with training, availability and load",
            "• `/peer roster add @user… [trained YYYY-MM-DD]` add supporters or record training",
            "• `/peer roster remove @user…` retire supporters from the roster",
            "• `/peer roster suspend|resume @user…` pause or resume a supporter's offers",
            "• `/peer training @user… basic|refresher YYYY-MM-DD` record training",
            "• `/peer training @user… advanced YYYY-MM-DD name` record an advanced training (e.g. CISM)",
            "• `/peer training due` who is lapsed or due a refresher",
            "• `/peer coordinators [add|remove @user…]` the coordinators",
            "• `/peer event` announce an event in a channel, with RSVP and reminders",
            "• `/peer event list` upcoming events and who is going; `/peer event edit|cancel N`",
        ]
    lines.append(f"_Program hours: {hours}. Peer supporters are not counselors._")
    return "\n".join(lines)
