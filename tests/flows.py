"""Steps that many tests share, written the way a person would do them in Slack."""

from __future__ import annotations

from typing import Any

from slack_standin.server import Message
from tests.rig import Response, Rig, has_button, text_of

COORDINATOR = "UCOORD1"
# The people of an anonymous conversation.
REQUESTER = "UREQ1"
SUPPORTER = "USUP1"
ANONYMOUS_NOTE = "Since the Hale trial I can't switch off."


async def add_supporters(rig: Rig, *user_ids: str, trained: str | None = "2026-01-15") -> Response:
    """A coordinator adds supporters with a training date."""
    mentions = " ".join(f"<@{u}|{u.lower()}>" for u in user_ids)
    text = f"roster add {mentions}" + (f" trained {trained}" if trained else "")
    response = await rig.command(COORDINATOR, text)
    assert response.status == 200, response.text
    await rig.settle()
    return response


async def ask(
    rig: Rig,
    requester: str,
    *,
    area: str = "trauma",
    urgency: str = "this_week",
    contact: str = "slack",
    preferred: str | None = None,
    excluded: list[str] | None = None,
    note: str | None = "Rough week after the verdict.",
    anonymous: bool = False,
) -> Response:
    """The requester types /peer, fills in the modal and submits it."""
    opened = len(rig.slack.calls_of("views.open"))
    response = await rig.command(requester)
    assert response.status == 200, response.text
    await rig.settle()
    assert len(rig.slack.calls_of("views.open")) == opened + 1, "the request modal did not open"
    view = rig.last_view("peer_request")
    values: dict[str, Any] = {
        "area": area,
        "urgency": urgency,
        "contact": contact,
        "preferred_supporter": preferred,
        "excluded": excluded or [],
        "note": note,
        "anonymous": ["private"] if anonymous else [],
    }
    submitted = await rig.submit(requester, view, values)
    await rig.settle()
    return submitted


def only_open_offer(rig: Rig, supporter: str) -> Message:
    """The single open offer a supporter holds."""
    offers = rig.open_offers_to(supporter)
    assert len(offers) == 1, f"expected one open offer, found {len(offers)}"
    return offers[0]


async def accept(rig: Rig, supporter: str) -> Message:
    """The supporter clicks Accept on their open offer."""
    offer = only_open_offer(rig, supporter)
    response = await rig.click(supporter, offer, "offer_accept")
    assert response.status == 200
    await rig.settle()
    return rig.slack.message(offer.channel, offer.ts)


async def open_close_modal(rig: Rig, supporter: str) -> dict[str, Any]:
    """The supporter accepts their open offer and presses Close on it; returns the close modal."""
    held = await accept(rig, supporter)
    await rig.click(supporter, held, "request_close")
    await rig.settle()
    return rig.last_view("peer_request_close")


async def pass_offer(rig: Rig, supporter: str) -> Message:
    """The supporter clicks Pass on their open offer."""
    offer = only_open_offer(rig, supporter)
    response = await rig.click(supporter, offer, "offer_pass")
    assert response.status == 200
    await rig.settle()
    return rig.slack.message(offer.channel, offer.ts)


def who_holds_offers(rig: Rig, supporters: list[str]) -> list[str]:
    """Which of ``supporters`` currently hold an open offer."""
    return [s for s in supporters if rig.open_offers_to(s)]


# Anonymous requests and their relayed conversations


async def anonymous_conversation(rig: Rig, supporter: str = SUPPORTER) -> tuple[Message, Message]:
    """An anonymous request, accepted: the thread roots in the requester's and the supporter's DMs."""
    rig.slack.add_users(supporter, first_name="Jordan")
    await add_supporters(rig, supporter)
    submitted = await ask(rig, REQUESTER, anonymous=True, note=ANONYMOUS_NOTE)
    assert submitted.status == 200 and submitted.text == "", submitted.text
    await accept(rig, supporter)
    return root(rig, REQUESTER), root(rig, supporter)


def root(rig: Rig, user_id: str) -> Message:
    """The newest thread root of an anonymous conversation in a person's DM."""
    roots = [m for m in rig.slack.dms(user_id) if m.user is None and has_button_ever(m, "relay_end")]
    assert roots, f"no conversation in {user_id}'s DM"
    return rig.slack.message(roots[-1].channel, roots[-1].ts)


def words(blocks: object) -> str:
    """The plain text strings inside some blocks, joined (no JSON escaping)."""
    if isinstance(blocks, dict):
        return " ".join(words(v) if k != "text" or not isinstance(v, str) else v for k, v in blocks.items())
    if isinstance(blocks, list):
        return " ".join(words(b) for b in blocks)
    return ""


def has_button_ever(message: Message, action_id: str) -> bool:
    return any(has_button(b, action_id) for b in [message.blocks, *(h["blocks"] for h in message.history)])


def thread(rig: Rig, message: Message) -> list[Message]:
    """What the app posted under a thread root (the person's own messages left out)."""
    return [m for m in rig.slack.thread(message) if m.user is None]


def copies(rig: Rig, message: Message) -> list[str]:
    """The texts of the relayed copies in a thread, oldest first."""
    return [text_of(m.blocks) for m in thread(rig, message) if m.blocks[0]["type"] == "context"]


async def say(rig: Rig, user_id: str, where: Message, *texts: str) -> list[Message]:
    """A person writes in a conversation's thread, one message after another, without waiting."""
    written = []
    for text in texts:
        response, message = await rig.write(user_id, text, thread=where)
        assert response.status == 200
        written.append(message)
    await rig.settle()
    return written
