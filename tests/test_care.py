"""Care for the supporters: a heavy conversation brings a check-in a day later, and a peer of their own."""

from __future__ import annotations

from datetime import timedelta

from tests.flows import accept, add_supporters, ask
from tests.rig import Rig, has_button, text_of

CARE_SETTINGS = {"peer_checkin_hours": "any", "peer_checkin_rate": 1000}


async def close(rig: Rig, supporter: str, held, *, heavy: bool) -> None:
    await rig.click(supporter, held, "request_close")
    await rig.settle()
    values = {"minutes": "50", "referral": "none", "heavy": ["heavy"] if heavy else []}
    response = await rig.submit(supporter, rig.last_view("peer_request_close"), values)
    assert response.text == ""
    await rig.settle()


def care_checkins(rig: Rig, supporter: str) -> list:
    return [m for m in rig.slack.dms(supporter) if "something heavy" in text_of(m.blocks)]


async def later(rig: Rig, delta: timedelta) -> None:
    rig.clock.advance(delta)
    await rig.app.deliver_due()
    await rig.settle()


async def test_a_heavy_close_brings_a_check_in_and_a_peer_who_is_never_the_same_pair(start_app) -> None:
    rig = await start_app(**CARE_SETTINGS)
    await add_supporters(rig, "USUP1", "USUP2", "USUP3")
    # A supporter asks for help themselves, and a fellow supporter takes it.
    await ask(rig, "USUP2", preferred="USUP1", note="The Hollis photos.")
    held = await accept(rig, "USUP1")
    await close(rig, "USUP1", held, heavy=True)

    await later(rig, timedelta(hours=23))
    assert not care_checkins(rig, "USUP1"), "checked in before a day had passed"
    await later(rig, timedelta(hours=1))
    await later(rig, timedelta(hours=1))
    [care] = care_checkins(rig, "USUP1")
    assert "USUP2" not in text_of(care.blocks) and "Hollis" not in text_of(care.blocks)
    assert "988" in text_of(care.blocks)

    await rig.click("USUP1", care, "care_talk")
    await rig.settle()
    # USUP2 is next in the rotation, but is the colleague USUP1 supported: it goes to USUP3.
    assert not rig.open_offers_to("USUP2")
    assert len(rig.open_offers_to("USUP3")) == 1
    redrawn = rig.slack.message(care.channel, care.ts)
    assert "A peer supporter will reach out" in text_of(redrawn.blocks)
    assert not has_button(redrawn.blocks, "care_talk")
    held = await accept(rig, "USUP3")
    assert "<@USUP1>" in text_of(held.blocks)


async def test_an_ordinary_close_brings_no_check_in(start_app) -> None:
    rig = await start_app(**CARE_SETTINGS)
    await add_supporters(rig, "USUP1")
    await ask(rig, "UREQ1")
    held = await accept(rig, "USUP1")
    await close(rig, "USUP1", held, heavy=False)
    await later(rig, timedelta(days=2))
    assert not care_checkins(rig, "USUP1")


async def test_the_check_in_is_answered_once_and_only_by_its_supporter(start_app) -> None:
    rig = await start_app(**CARE_SETTINGS)
    await add_supporters(rig, "USUP1", "USUP2")
    await ask(rig, "UREQ1", preferred="USUP1")
    held = await accept(rig, "USUP1")
    await close(rig, "USUP1", held, heavy=True)
    await later(rig, timedelta(days=1))
    [care] = care_checkins(rig, "USUP1")

    await rig.click("USUP2", care, "care_talk")  # someone else's check-in
    await rig.settle()
    assert "isn't addressed to you" in rig.slack.calls_of("chat.postEphemeral")[-1].params["text"]
    await rig.click("USUP1", care, "care_ok")
    await rig.click("USUP1", care, "care_talk", as_first_shown=True)
    await rig.settle()
    assert "already answered" in rig.slack.calls_of("chat.postEphemeral")[-1].params["text"]
    assert "Glad to hear it" in text_of(rig.slack.message(care.channel, care.ts).blocks)
    assert await rig.app.services.requests.status(requester_id="USUP1") is None
