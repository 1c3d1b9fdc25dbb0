"""The APScheduler job itself moves expired offers on, with nobody calling the sweep."""

from __future__ import annotations

from datetime import timedelta

from tests.flows import add_supporters, ask, who_holds_offers


async def test_the_periodic_job_expires_offers_on_its_own(start_app) -> None:
    rig = await start_app(peer_sweep_seconds=0.05)
    await add_supporters(rig, "USUP1", "USUP2")
    await ask(rig, "UREQ1")
    [first] = who_holds_offers(rig, ["USUP1", "USUP2"])
    second = "USUP2" if first == "USUP1" else "USUP1"

    rig.clock.advance(timedelta(seconds=901))
    await rig.slack.wait_for(lambda: who_holds_offers(rig, ["USUP1", "USUP2"]) == [second], timeout=5)
