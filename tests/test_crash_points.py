"""Crashes at chosen points (the soak finds them at random; these pin each one down)."""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any

from tests.flows import add_supporters, ask, only_open_offer, open_close_modal
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


async def test_a_close_the_modal_acknowledged_is_stored_even_if_the_process_dies_at_the_ack(
    start_app,
) -> None:
    rig = await start_app()
    await add_supporters(rig, "USUP1")
    await ask(rig, "UREQ1")
    close_modal = await open_close_modal(rig, "USUP1")
    # The process dies the moment it has answered Slack: nothing handed to the background runs.
    rig.app.background.spawn = _dies_at_the_ack  # type: ignore[method-assign]

    answer = await rig.submit("USUP1", close_modal, {"minutes": "30", "referral": "none"})

    assert answer.status == 200 and answer.text == "", "the modal closed: the supporter was told it worked"
    await rig.app.stop(drain=False)
    rig = await start_app()
    assert await rig.app.services.requests.held_by(supporter_id="USUP1") == [], "the close was lost"


def _dies_at_the_ack(work: Coroutine[Any, Any, Any], *, name: str) -> None:
    work.close()
