"""Crashes at chosen points (the soak finds them at random; these pin each one down)."""

from __future__ import annotations

from tests.flows import add_supporters, ask, only_open_offer
from tests.rig import has_button, text_of


async def test_a_held_card_whose_redraw_a_crash_cut_off_is_redrawn_at_start(start_app, slack) -> None:
    rig = await start_app()
    await add_supporters(rig, "USUP1")
    await ask(rig, "UREQ1")
    offer = only_open_offer(rig, "USUP1")
    slack.hold("chat.update")
    await rig.click("USUP1", offer, "offer_accept")
    await slack.wait_for(lambda: slack.calls_of("chat.update"))
    await rig.app.stop(drain=False)  # accepted and committed; the redraw dies on the wire
    slack.release("chat.update", drop=True)
    card = rig.slack.message(offer.channel, offer.ts)
    assert has_button(card.blocks, "offer_accept") and not has_button(card.blocks, "request_close")

    await start_app()

    assert has_button(card.blocks, "request_close") and "<@UREQ1>" in text_of(card.blocks)
