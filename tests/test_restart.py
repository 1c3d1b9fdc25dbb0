"""Restarts on the same database file: offers keep their deadlines, the rotation its place."""

from __future__ import annotations

from datetime import timedelta

from tests.flows import accept, add_supporters, ask, only_open_offer, who_holds_offers
from tests.rig import text_of

PAIR = ["USUP1", "USUP2"]


async def test_an_offer_keeps_its_deadline_across_a_restart(start_app) -> None:
    rig = await start_app()
    await add_supporters(rig, *PAIR)
    await ask(rig, "UREQ1")
    [first] = who_holds_offers(rig, PAIR)
    await rig.app.stop()

    rig.clock.advance(timedelta(seconds=600))
    rig = await start_app()
    await rig.app.sweep()
    await rig.settle()
    assert who_holds_offers(rig, PAIR) == [first], "the restart lost or shortened the deadline"

    rig.clock.advance(timedelta(seconds=301))
    await rig.app.sweep()
    await rig.settle()
    assert who_holds_offers(rig, PAIR) == [p for p in PAIR if p != first]


async def test_a_deadline_that_passed_while_down_moves_on_at_start(start_app) -> None:
    rig = await start_app()
    await add_supporters(rig, *PAIR)
    await ask(rig, "UREQ1")
    [first] = who_holds_offers(rig, PAIR)
    offer = only_open_offer(rig, first)
    await rig.app.stop()

    rig.clock.advance(timedelta(hours=2))
    rig = await start_app()  # no sweep called by the test: start itself moves it on

    assert "expired" in text_of(rig.slack.message(offer.channel, offer.ts).blocks)
    assert who_holds_offers(rig, PAIR) == [p for p in PAIR if p != first]


async def test_the_rotation_position_survives_a_restart(start_app) -> None:
    rig = await start_app(peer_supporter_capacity=10)
    await add_supporters(rig, *PAIR)
    await ask(rig, "UREQ1")
    [first] = who_holds_offers(rig, PAIR)
    await accept(rig, first)
    await rig.app.stop()

    rig = await start_app(peer_supporter_capacity=10)
    await ask(rig, "UREQ2")
    assert who_holds_offers(rig, PAIR) == [p for p in PAIR if p != first]


async def test_a_request_stored_before_a_crash_is_routed_at_start(start_app, slack) -> None:
    rig = await start_app()
    await add_supporters(rig, "USUP1")
    slack.hold("chat.postMessage")
    await _submit(rig)
    # The request was stored before the ack; then Slack hangs and the process dies.
    await slack.wait_for(lambda: slack.calls_of("chat.postMessage"))
    await rig.app.stop(drain=False)
    assert not rig.offers_to("USUP1")
    slack.release("chat.postMessage")

    rig = await start_app()
    offer = only_open_offer(rig, "USUP1")
    await rig.click("USUP1", offer, "offer_accept")
    await rig.settle()
    assert "<@UREQ1>" in text_of(rig.slack.message(offer.channel, offer.ts).blocks)


async def test_an_offer_recorded_but_not_sent_before_a_crash_is_sent_at_start(start_app, slack) -> None:
    rig = await start_app()
    await add_supporters(rig, "USUP1")
    slack.hold("chat.postMessage", lambda params: params.get("channel") == "USUP1")
    await _submit(rig)
    # The offer is recorded, its DM is on the wire, and the process dies before it lands.
    await slack.wait_for(lambda: [c for c in slack.calls_of("chat.postMessage") if c.channel == "USUP1"])
    await rig.app.stop(drain=False)
    assert not rig.offers_to("USUP1")
    slack.release("chat.postMessage", drop=True)  # the DM on the wire never landed

    rig = await start_app()
    offer = only_open_offer(rig, "USUP1")
    assert "UREQ1" not in text_of(offer.blocks)
    await rig.click("USUP1", offer, "offer_accept")
    await rig.settle()
    assert "<@UREQ1>" in text_of(rig.slack.message(offer.channel, offer.ts).blocks)


async def _submit(rig) -> None:
    await rig.command("UREQ1")
    await rig.settle()
    submitted = await rig.submit("UREQ1", rig.last_view("peer_request"), _form())
    assert submitted.status == 200 and submitted.text == ""


def _form() -> dict[str, object]:
    return {"area": "work_stress", "urgency": "no_rush", "contact": "phone", "note": None}


async def test_a_click_on_an_offer_whose_reference_a_crash_lost_still_redraws_it(start_app, slack) -> None:
    rig = await start_app()
    await add_supporters(rig, "USUP1")
    slack.hold("chat.postMessage", lambda params: params.get("channel") == "USUP1")
    await _submit(rig)
    await slack.wait_for(lambda: [c for c in slack.calls_of("chat.postMessage") if c.channel == "USUP1"])
    await rig.app.stop(drain=False)
    slack.release("chat.postMessage")  # the DM lands, but the app died before recording where
    first = await slack.wait_for(lambda: rig.offers_to("USUP1"))

    rig = await start_app()
    await rig.click("USUP1", first[0], "offer_accept")
    await rig.settle()
    assert "<@UREQ1>" in text_of(rig.slack.message(first[0].channel, first[0].ts).blocks)
