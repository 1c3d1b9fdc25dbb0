"""Issue 15, findings 5, 6, 8 and 9: a curious insider's clicks and submissions, through the real rig.

5. A click carries its message's location, which the clicker controls: the app redraws only the
   messages it recorded itself, and refuses a click from anywhere else.
6. An offer DM sent twice (Slack answered after the client gave up) leaves no copy showing who
   asked: every copy is recorded, redrawn, and forgotten by the purge.
8. The "rather not talk to" list a request form carries is bounded; a huge one is refused inline.
9. "Offer to a supporter…" answers the same whoever the chosen person is to the request, and is
   audited without naming anyone.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from slack_standin import Fault
from slack_standin.server import Message
from tests.flows import COORDINATOR, accept, add_supporters, ask, pass_offer
from tests.rig import Rig, has_button, text_of

NOTE = "My brother was arrested last night."
CHANNEL = "CGENERAL"
REFUSED = "isn't on one of your offer messages"


def _channel_post(rig: Rig) -> Message:
    """A colleague's post in a public channel the app is in."""
    rig.slack.add_channel(CHANNEL, "UCOLL", rig.slack.bot_user_id)
    post = Message(channel=CHANNEL, ts="1700000000.000001", text="Lunch on Friday?", blocks=[], user="UCOLL")
    rig.slack.messages[(post.channel, post.ts)] = post
    return post


def _pointing_at(message: Message, post: Message) -> Message:
    """A forged click: the message's buttons, with the post's location."""
    return Message(channel=post.channel, ts=post.ts, text=message.text, blocks=message.blocks)


def _untouched(rig: Rig, post: Message) -> bool:
    current = rig.slack.message(post.channel, post.ts)
    return current.text == "Lunch on Friday?" and current.blocks == [] and not current.history


async def test_a_forged_accept_pointing_at_a_channel_post_rewrites_nothing(rig: Rig) -> None:
    await add_supporters(rig, "USUP1")
    await ask(rig, "UREQ1", note=NOTE)
    [offer] = rig.open_offers_to("USUP1")
    post = _channel_post(rig)

    for action in ("offer_accept", "offer_pass"):
        await rig.click("USUP1", _pointing_at(offer, post), action)
        await rig.settle()
        assert _untouched(rig, post), "the channel post was rewritten"
        assert not [c for c in rig.slack.calls_of("chat.update") if c.channel == CHANNEL]
        assert (
            "isn't on one of your offer messages"
            in rig.slack.calls_of("chat.postEphemeral")[-1].params["text"]
        )
    # Nothing changed: the real offer is still open and answers as before.
    assert rig.open_offers_to("USUP1") == [offer]
    held = await accept(rig, "USUP1")
    assert "<@UREQ1>" in text_of(held.blocks)


async def test_a_forged_available_again_pointing_at_a_channel_post_rewrites_nothing(rig: Rig) -> None:
    await add_supporters(rig, "USUP1")
    await rig.command("USUP1", "away")
    await rig.settle()
    post = _channel_post(rig)
    button = Message(
        channel=post.channel,
        ts=post.ts,
        text="",
        blocks=[
            {
                "type": "actions",
                "block_id": "away",
                "elements": [
                    {
                        "type": "button",
                        "action_id": "supporter_available_again",
                        "text": {"type": "plain_text", "text": "I'm available again"},
                        "value": "available",
                    }
                ],
            }
        ],
    )
    await rig.click("USUP1", button, "supporter_available_again")
    await rig.settle()
    assert _untouched(rig, post), "the channel post was rewritten"


def _history_fails_once(rig: Rig) -> None:
    # Slack answers, but with an error the client does not retry.
    rig.slack.inject("conversations.history", Fault(status=200, error="fatal_error", retry_after=None))


@pytest.mark.parametrize("lookup", ["works", "fails_when_resending"])
async def test_no_copy_of_a_resent_offer_keeps_the_name_after_cancel_and_purge(
    start_app, lookup: str
) -> None:
    # Slack posts the offer but answers after the client gave up; the sweep sends it again.
    rig = await start_app(slack_api_timeout=0.3, peer_retention_days=0)
    await add_supporters(rig, "USUP1")
    rig.slack.inject("chat.postMessage", Fault.slow(0.6), match=lambda p: p.get("channel") == "USUP1")
    await ask(rig, "UREQ1", note=NOTE)
    await rig.slack.wait_for(lambda: rig.offers_to("USUP1"))
    if lookup == "fails_when_resending":
        _history_fails_once(rig)  # so the lost copy is not found, and a second one is posted
    await rig.app.sweep()
    await rig.settle()
    copies = rig.offers_to("USUP1")
    assert len(copies) == (1 if lookup == "works" else 2)

    # The supporter accepts on the first copy, the one the app never heard back about.
    await rig.click("USUP1", copies[0], "offer_accept")
    await rig.settle()
    assert "<@UREQ1>" in text_of(rig.slack.message(copies[0].channel, copies[0].ts).blocks)
    await rig.command("UREQ1", "cancel")
    await rig.settle()
    await rig.app.sweep()  # the purge (retention 0)
    await rig.settle()

    for copy in copies:
        shown = rig.slack.message(copy.channel, copy.ts)
        assert "UREQ1" not in text_of(shown.blocks) and NOTE not in text_of(shown.blocks)
        assert not has_button(shown.blocks, "request_close")
        assert not has_button(shown.blocks, "request_hand_back")
    async with rig.app.db.read() as tx:  # type: ignore[union-attr]
        cur = await tx.conn.execute("SELECT COUNT(*) AS n FROM offer_copies")
        row = await cur.fetchone()
    assert row is not None and row["n"] == 0, "the purge kept where the offer DMs are"


async def test_a_click_on_a_copy_slack_cannot_vouch_for_is_refused_and_changes_nothing(start_app) -> None:
    rig = await start_app(slack_api_timeout=0.3)
    await add_supporters(rig, "USUP1")
    rig.slack.inject("chat.postMessage", Fault.slow(0.6), match=lambda p: p.get("channel") == "USUP1")
    await ask(rig, "UREQ1", note=NOTE)
    await rig.slack.wait_for(lambda: rig.offers_to("USUP1"))
    _history_fails_once(rig)
    await rig.app.sweep()
    await rig.settle()
    lost, _known = rig.offers_to("USUP1")

    _history_fails_once(rig)  # the click's lookup cannot find it either
    await rig.click("USUP1", lost, "offer_accept")
    await rig.settle()
    assert (
        "isn't on one of your offer messages" in rig.slack.calls_of("chat.postEphemeral")[-1].params["text"]
    )
    assert len(rig.open_offers_to("USUP1")) == 2, "a refused click changed an offer"
    assert "UREQ1" not in text_of(rig.slack.message(lost.channel, lost.ts).blocks)


async def test_a_request_form_with_a_huge_avoid_list_is_refused_inline_and_nothing_is_stored(
    rig: Rig,
) -> None:
    await add_supporters(rig, "USUP1")
    await rig.command("UREQ1")
    await rig.settle()
    view = rig.last_view("peer_request")
    assert "up to 10" in json.dumps(view), "the modal does not say the limit"
    values: dict[str, Any] = {
        "area": "trauma",
        "urgency": "this_week",
        "contact": "slack",
        "excluded": [f"U{n:08d}" for n in range(33_000)],
        "note": NOTE,
    }
    refused = await rig.submit("UREQ1", view, values)
    assert refused.status == 200 and refused.json["response_action"] == "errors"
    assert "at most 10" in refused.json["errors"]["excluded"]
    async with rig.app.db.read() as tx:  # type: ignore[union-attr]
        for table in ("peer_requests", "request_exclusions"):
            cur = await tx.conn.execute(f"SELECT COUNT(*) AS n FROM {table}")
            row = await cur.fetchone()
            assert row is not None and row["n"] == 0, table
    # Ten is fine, and the sweep runs.
    accepted = await rig.submit("UREQ1", view, {**values, "excluded": [f"U{n:08d}" for n in range(10)]})
    assert accepted.status == 200 and accepted.text == ""
    await rig.app.sweep()


# Finding 9: the roster, each person standing in a different relation to the escalated request.
CANDIDATES = {
    "USUP2": "on the requester's avoid list",
    "USUP3": "already offered it (passed)",
    "UREQ1": "the requester",
    "USUP1": "eligible (at capacity, which a hand-to ignores)",  # last: its offer stays open
}


async def _escalated_world(start_app, **settings: Any) -> Rig:
    rig = await start_app(peer_supporter_capacity=1, **settings)
    await add_supporters(rig, "USUP1", "USUP3", "USUP2", "UREQ1")
    await ask(rig, "UOTHER")
    await pass_offer(rig, "UREQ1")  # first in the rotation (by user id)
    await accept(rig, "USUP1")  # USUP1 is now at capacity
    await ask(rig, "UREQ1", excluded=["USUP2"], note=NOTE)
    await pass_offer(rig, "USUP3")  # nobody else may be offered it: escalated
    return rig


async def _hand_to(rig: Rig, candidate: str) -> dict[str, Any]:
    """What the coordinator sees when they hand the escalated request to ``candidate``."""
    alert = next(m for m in rig.slack.dms(COORDINATOR) if has_button(m.blocks, "escalation_hand_to"))
    await rig.click(COORDINATOR, alert, "escalation_hand_to")
    await rig.settle()
    seen_before = len(rig.slack.calls_for(COORDINATOR))
    answer = await rig.submit(COORDINATOR, rig.last_view("peer_escalation_hand_to"), {"supporter": candidate})
    await rig.settle()
    later = [
        (c.method, text_of(c.params.get("blocks") or []) or c.params.get("text"))
        for c in rig.slack.calls_for(COORDINATOR)[seen_before:]
        if c.method != "views.publish"
    ]
    audit = (await rig.command(COORDINATOR, "audit")).json["text"]
    handed = [line for line in audit.splitlines() if "escalation handed on" in line]
    return {
        "answer": (answer.status, answer.text),
        "told": later,
        "alert": text_of(rig.slack.message(alert.channel, alert.ts).blocks),
        "audit": handed,
    }


async def test_hand_to_answers_the_same_whoever_the_chosen_person_is_to_the_request(
    start_app, tmp_path
) -> None:
    seen = {}
    for n, candidate in enumerate(CANDIDATES):
        # A world of its own for each try (one Slack: each world's messages are looked at afresh).
        rig = await _escalated_world(start_app, database_url=f"sqlite:///{tmp_path}/world{n}.db")
        seen[candidate] = await _hand_to(rig, candidate)
        assert seen[candidate]["audit"], "the attempt was not audited"
        assert not any("UREQ1" in line for line in seen[candidate]["audit"]), "the audit names who asked"
        if candidate != "USUP1":
            # Quietly routed on: the person who must not get it was not offered it.
            assert not rig.open_offers_to(candidate)
        await rig.app.stop(drain=True)
    reference = seen["USUP1"]
    for candidate, relation in CANDIDATES.items():
        assert seen[candidate] == reference, f"a hand-to to someone {relation} answered differently"


async def test_a_coordinator_cannot_hand_a_request_to_themselves_and_its_refusal_is_audited(
    start_app,
) -> None:
    # The coordinator is on the roster too, and at capacity (which a hand-to would ignore).
    rig = await start_app(peer_supporter_capacity=1)
    await add_supporters(rig, COORDINATOR, "USUP1", "USUP3", "USUP2", "UREQ1")
    await ask(rig, "UOTHER")
    await accept(rig, COORDINATOR)  # first in the rotation (by user id)
    await ask(rig, "UREQ1", excluded=["USUP2"], note=NOTE)
    await pass_offer(rig, "USUP1")
    await pass_offer(rig, "USUP3")
    alert = next(m for m in rig.slack.dms(COORDINATOR) if has_button(m.blocks, "escalation_hand_to"))
    await rig.click(COORDINATOR, alert, "escalation_hand_to")
    await rig.settle()
    view = rig.last_view("peer_escalation_hand_to")
    refused = await rig.submit(COORDINATOR, view, {"supporter": COORDINATOR})
    await rig.settle()
    assert refused.json["response_action"] == "errors"
    assert "yourself" in refused.json["errors"]["supporter"]
    assert not rig.open_offers_to(COORDINATOR)
    audit = (await rig.command(COORDINATOR, "audit")).json["text"]
    assert "refused: to themselves" in audit
