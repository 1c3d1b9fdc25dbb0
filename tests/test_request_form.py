"""The request modal's validation: inline errors, and nothing stored or sent."""

from __future__ import annotations

from tests.flows import add_supporters
from tests.rig import Rig

VALID = {"area": "grief", "urgency": "this_week", "contact": "in_person", "note": None}


async def open_modal(rig: Rig, user: str = "UREQ1") -> dict:
    await rig.command(user)
    await rig.settle()
    return rig.last_view("peer_request")


async def assert_nothing_happened(rig: Rig, user: str = "UREQ1") -> None:
    await rig.settle()
    assert await rig.app.services.requests.status(requester_id=user) is None
    assert not rig.slack.calls_of("chat.postMessage")


async def test_a_note_over_the_limit_is_an_inline_error(rig: Rig) -> None:
    view = await open_modal(rig)
    response = await rig.submit("UREQ1", view, {**VALID, "note": "x" * 501})
    assert response.status == 200
    assert response.json == {
        "response_action": "errors",
        "errors": {"note": "Please keep the note to 500 characters (it has 501)."},
    }
    await assert_nothing_happened(rig)


async def test_the_note_limit_is_shown_in_the_modal(rig: Rig) -> None:
    view = await open_modal(rig)
    note = next(b for b in view["blocks"] if b.get("block_id") == "note")
    assert "up to 500 characters" in note["hint"]["text"]


async def test_a_preferred_supporter_not_on_the_team_is_an_inline_error(rig: Rig) -> None:
    await add_supporters(rig, "USUP1")
    await add_supporters(rig, "ULAPSED", trained="2025-01-01")
    await add_supporters(rig, "USUSP")
    await rig.command("UCOORD1", "roster suspend <@USUSP|s>")
    view = await open_modal(rig)
    # The picker lists the team only (trained, not lapsed, not suspended): never a workspace picker.
    [picker] = [b["element"] for b in view["blocks"] if b.get("block_id") == "preferred_supporter"]
    assert picker["type"] == "static_select"
    assert [o["value"] for o in picker["options"]] == ["USUP1"]
    # A crafted payload naming anyone else is refused at the field, and nothing is stored or sent.
    before = len(rig.slack.calls_of("chat.postMessage"))
    for crafted in ("UNOTSUPPORTER", "ULAPSED", "USUSP"):
        response = await rig.submit("UREQ1", view, {**VALID, "preferred_supporter": crafted})
        assert response.json["response_action"] == "errors"
        assert "isn't on the peer supporter team" in response.json["errors"]["preferred_supporter"]
    await rig.settle()
    assert await rig.app.services.requests.status(requester_id="UREQ1") is None
    assert len(rig.slack.calls_of("chat.postMessage")) == before


async def test_preferring_someone_you_also_excluded_is_an_inline_error(rig: Rig) -> None:
    await add_supporters(rig, "USUP1")
    view = await open_modal(rig)
    before = len(rig.slack.calls_of("chat.postMessage"))
    response = await rig.submit(
        "UREQ1", view, {**VALID, "preferred_supporter": "USUP1", "excluded": ["USUP1"]}
    )
    assert "also listed this person" in response.json["errors"]["preferred_supporter"]
    await rig.settle()
    assert len(rig.slack.calls_of("chat.postMessage")) == before


async def test_crafted_choices_outside_the_lists_are_refused(rig: Rig) -> None:
    view = await open_modal(rig)
    response = await rig.submit(
        "UREQ1", view, {"area": "bogus", "urgency": None, "contact": "carrier pigeon"}
    )
    assert response.json["response_action"] == "errors"
    assert set(response.json["errors"]) == {"area", "urgency", "contact"}
    await assert_nothing_happened(rig)


async def test_a_second_submission_while_one_is_open_is_refused_inline(rig: Rig) -> None:
    view = await open_modal(rig)
    first = await rig.submit("UREQ1", view, VALID)
    assert first.text == ""
    again = await rig.submit("UREQ1", view, VALID)
    assert "already have an open request" in again.json["errors"]["area"]


async def test_close_modal_validates_minutes(rig: Rig) -> None:
    from tests.flows import accept, ask

    await add_supporters(rig, "USUP1")
    await ask(rig, "UREQ1")
    held = await accept(rig, "USUP1")
    await rig.click("USUP1", held, "request_close")
    await rig.settle()
    view = rig.last_view("peer_request_close")
    for bad in ("", "-5", "forty", "100000"):
        response = await rig.submit("USUP1", view, {"minutes": bad, "referral": "none"})
        assert response.json["response_action"] == "errors", bad
        assert "whole minutes" in response.json["errors"]["minutes"]
    status = await rig.app.services.requests.status(requester_id="UREQ1")
    assert status is not None and status.assignee_id == "USUP1"


async def test_only_the_holder_can_close(rig: Rig) -> None:
    from tests.flows import accept, ask

    await add_supporters(rig, "USUP1")
    await ask(rig, "UREQ1")
    held = await accept(rig, "USUP1")
    await rig.click("USUP1", held, "request_close")
    await rig.settle()
    view = rig.last_view("peer_request_close")
    response = await rig.submit("UOTHER", view, {"minutes": "30", "referral": "none"})
    assert "no longer hold this request" in response.json["errors"]["minutes"]
    status = await rig.app.services.requests.status(requester_id="UREQ1")
    assert status is not None and status.assignee_id == "USUP1"
