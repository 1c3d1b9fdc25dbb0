"""Exactly once: racing clicks, double clicks, stale and forged clicks."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import parse_qs

from tests.flows import add_supporters, ask, only_open_offer, who_holds_offers
from tests.rig import Rig, text_of

SUPPORTERS = ["USUP1", "USUP2", "USUP3"]


def assigned_notices(rig: Rig, requester: str) -> list[str]:
    return [
        text_of(m.blocks) for m in rig.slack.dms(requester) if "will reach out to you" in text_of(m.blocks)
    ]


async def test_three_supporters_racing_on_accept_make_exactly_one_assignment(rig: Rig) -> None:
    await add_supporters(rig, *SUPPORTERS)
    await ask(rig, "UREQ1", urgency="asap")
    offers = {s: only_open_offer(rig, s) for s in SUPPORTERS}

    responses = await asyncio.gather(*(rig.click(s, offers[s], "offer_accept") for s in SUPPORTERS))
    await rig.settle()

    assert all(r.status == 200 for r in responses)
    [notice] = assigned_notices(rig, "UREQ1")
    holders = [
        s
        for s in SUPPORTERS
        if "<@UREQ1>" in text_of(rig.slack.message(offers[s].channel, offers[s].ts).blocks)
    ]
    assert len(holders) == 1
    assert f"<@{holders[0]}> will reach out" in notice
    losers = [s for s in SUPPORTERS if s not in holders]
    told = [c.params["user"] for c in rig.slack.calls_of("chat.postEphemeral")]
    assert sorted(told) == sorted(losers)
    status = await rig.app.services.requests.status(requester_id="UREQ1")
    assert status is not None and status.assignee_id == holders[0]


async def test_double_click_on_accept_assigns_and_notifies_once(rig: Rig) -> None:
    await add_supporters(rig, "USUP1")
    await ask(rig, "UREQ1")
    offer = only_open_offer(rig, "USUP1")

    await asyncio.gather(rig.click("USUP1", offer, "offer_accept"), rig.click("USUP1", offer, "offer_accept"))
    await rig.settle()

    assert len(assigned_notices(rig, "UREQ1")) == 1
    [ephemeral] = rig.slack.calls_of("chat.postEphemeral")
    assert "already accepted" in ephemeral.params["text"]
    # The offer DM was redrawn once, as held.
    message = rig.slack.message(offer.channel, offer.ts)
    assert len(message.history) == 1 and "<@UREQ1>" in text_of(message.blocks)


async def test_accept_racing_a_cancel_never_leaves_a_held_cancelled_request(rig: Rig) -> None:
    await add_supporters(rig, "USUP1")
    await ask(rig, "UREQ1")
    offer = only_open_offer(rig, "USUP1")

    await asyncio.gather(rig.click("USUP1", offer, "offer_accept"), rig.command("UREQ1", "cancel"))
    await rig.settle()

    assert await rig.app.services.requests.status(requester_id="UREQ1") is None
    final = text_of(rig.slack.message(offer.channel, offer.ts).blocks)
    assert "withdrawn" in final and "<@UREQ1>" not in final


async def test_a_click_on_someone_elses_offer_changes_nothing(rig: Rig) -> None:
    await add_supporters(rig, "USUP1")
    await ask(rig, "UREQ1")
    offer = only_open_offer(rig, "USUP1")

    await rig.click("UINTRUDER", offer, "offer_accept")
    await rig.settle()

    assert "isn't addressed to you" in rig.slack.calls_of("chat.postEphemeral")[-1].params["text"]
    assert who_holds_offers(rig, ["USUP1"]) == ["USUP1"]
    assert not assigned_notices(rig, "UREQ1")
    assert all("UREQ1" not in str(c.params) for c in rig.slack.calls_for("UINTRUDER"))


async def test_a_forged_button_value_gets_a_polite_answer_not_an_error(rig: Rig) -> None:
    await add_supporters(rig, "USUP1")
    await ask(rig, "UREQ1")
    offer = only_open_offer(rig, "USUP1")
    tampered = json.loads(json.dumps(offer.blocks))
    for block in tampered:
        for element in block.get("elements", []):
            if element.get("action_id") == "offer_accept":
                element["value"] = '{"offer_id": "not a number"}'
    offer.blocks = tampered

    response = await rig.click("USUP1", offer, "offer_accept")
    await rig.settle()

    assert response.status == 200
    assert "could not be read" in rig.slack.calls_of("chat.postEphemeral")[-1].params["text"]
    assert not assigned_notices(rig, "UREQ1")


async def test_stale_click_after_expiry_is_told_and_changes_nothing(rig: Rig) -> None:
    from datetime import timedelta

    await add_supporters(rig, "USUP1", "USUP2")
    await ask(rig, "UREQ1")
    [first] = who_holds_offers(rig, ["USUP1", "USUP2"])
    offer = only_open_offer(rig, first)
    rig.clock.advance(timedelta(seconds=901))
    await rig.app.sweep()
    await rig.settle()

    await rig.click(first, rig.slack.message(offer.channel, offer.ts), "offer_accept", as_first_shown=True)
    await rig.settle()

    assert "expired" in rig.slack.calls_of("chat.postEphemeral")[-1].params["text"]
    assert not assigned_notices(rig, "UREQ1")
    second = "USUP2" if first == "USUP1" else "USUP1"
    assert who_holds_offers(rig, ["USUP1", "USUP2"]) == [second]


def _form(body: bytes) -> dict[str, list[str]]:
    return parse_qs(body.decode())


async def test_an_accepts_redraw_reaching_slack_after_the_withdrawals_is_drawn_again(rig: Rig) -> None:
    await add_supporters(rig, "USUP1")
    await ask(rig, "UREQ1", note="a note only the holder may read")
    offer = only_open_offer(rig, "USUP1")

    def holding(params: dict) -> bool:
        return "supporting a colleague" in json.dumps(params.get("blocks"))

    # Slack is slow to take the accept's redraw; meanwhile the colleague withdraws, and that
    # redraw lands first.
    rig.slack.hold("chat.update", holding)
    await rig.click("USUP1", offer, "offer_accept")
    await rig.slack.wait_for(lambda: [c for c in rig.slack.calls_of("chat.update") if holding(c.params)])
    await rig.command("UREQ1", "cancel")
    await rig.slack.wait_for(
        lambda: "withdrawn" in text_of(rig.slack.message(offer.channel, offer.ts).blocks)
    )
    rig.slack.release("chat.update")
    await rig.settle()

    final = text_of(rig.slack.message(offer.channel, offer.ts).blocks)
    assert "withdrawn" in final and "<@UREQ1>" not in final and "a note only" not in final
