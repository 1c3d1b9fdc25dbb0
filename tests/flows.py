"""Steps that many tests share, written the way a person would do them in Slack."""

from __future__ import annotations

from typing import Any

from slack_standin.server import Message
from tests.rig import Response, Rig

COORDINATOR = "UCOORD1"


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
