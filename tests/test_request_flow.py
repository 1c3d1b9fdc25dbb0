"""The whole life of a request, end to end over HTTP against the stand-in."""

from __future__ import annotations

from tests.flows import accept, add_supporters, ask, only_open_offer
from tests.rig import Rig, has_button, text_of

REQUESTER = "UREQ1"
NOTE = "Rough week after the verdict."


async def test_slash_peer_opens_the_request_modal_with_confidentiality_terms(rig: Rig) -> None:
    await add_supporters(rig, "USUP1")  # someone to ask first (the picker lists the team only)
    response = await rig.command(REQUESTER)
    await rig.settle()

    assert response.status == 200
    call = rig.slack.calls_of("views.open")[-1]
    assert call.params["trigger_id"].endswith(".trigger")
    view = call.params["view"]
    assert view["callback_id"] == "peer_request"
    body = text_of(view["blocks"])
    assert "not counselors" in body
    assert "Who sees what" in body and "What is stored" in body
    assert {b["block_id"] for b in view["blocks"] if b["type"] == "input"} == {
        "area",
        "urgency",
        "contact",
        "preferred_supporter",
        "excluded",
        "note",
        "anonymous",
        "prefer",  # "Prefer someone who…" (the units, tags and languages appear once profiles list them)
        "own_role",
    }


async def test_request_is_offered_blind_then_accepted_and_closed(rig: Rig) -> None:
    await add_supporters(rig, "USUP1")

    submitted = await ask(rig, REQUESTER, note=NOTE)
    assert submitted.status == 200 and submitted.text == ""

    # The requester is told what happens next, with resources.
    received = rig.slack.dms(REQUESTER)[0]
    assert "We got your request" in text_of(received.blocks)
    assert "988" in text_of(received.blocks)

    # The offer is blind: area, urgency and contact, never who or the note.
    offer = only_open_offer(rig, "USUP1")
    shown = text_of(offer.blocks)
    assert "Case or trauma exposure" in shown and "This week" in shown and "Slack message" in shown
    assert REQUESTER not in shown and NOTE not in shown

    accepted = await accept(rig, "USUP1")
    shown = text_of(accepted.blocks)
    assert f"<@{REQUESTER}>" in shown and NOTE in shown
    assert not has_button(accepted.blocks, "offer_accept")
    assert has_button(accepted.blocks, "request_close") and has_button(accepted.blocks, "request_hand_back")

    told = rig.slack.dms(REQUESTER)[-1]
    assert "<@USUP1> will reach out" in text_of(told.blocks)

    # Close with a small modal: minutes and referral.
    await rig.click("USUP1", accepted, "request_close")
    await rig.settle()
    close_view = rig.last_view("peer_request_close")
    closed = await rig.submit("USUP1", close_view, {"minutes": "45", "referral": "eap"})
    await rig.settle()
    assert closed.status == 200 and closed.text == ""

    final = rig.slack.message(accepted.channel, accepted.ts)
    assert "You closed this request" in text_of(final.blocks) and "45 min" in text_of(final.blocks)
    assert NOTE not in text_of(final.blocks)
    # The "closed" notice, then the one "Did talking help?" question (tests/test_after_close.py).
    assert "closed your request" in text_of(rig.slack.dms(REQUESTER)[-2].blocks)
    status = await rig.command(REQUESTER, "status")
    assert "don't have an open request" in status.json["text"]
