"""Round-robin routing: fairness, pass, timeout, fan-out, hand back, auto-away, escalation."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from tests.flows import (
    COORDINATOR,
    accept,
    add_supporters,
    ask,
    only_open_offer,
    pass_offer,
    who_holds_offers,
)
from tests.rig import Rig, has_button, text_of

SUPPORTERS = ["USUP1", "USUP2", "USUP3", "USUP4"]
NOTE = "Please keep this between us: my brother was arrested."


async def test_round_robin_is_fair_when_everyone_accepts(start_app) -> None:
    rig = await start_app(peer_supporter_capacity=50)
    await add_supporters(rig, *SUPPORTERS)
    holders: Counter[str] = Counter()
    for n in range(10):
        requester = f"UREQ{n:02d}"
        await ask(rig, requester)
        [holder] = who_holds_offers(rig, SUPPORTERS)
        await accept(rig, holder)
        holders[holder] += 1
    assert sum(holders.values()) == 10
    assert set(holders) == set(SUPPORTERS)
    assert max(holders.values()) - min(holders.values()) <= 1


async def test_pass_moves_the_offer_on_and_the_passer_never_learns_who(rig: Rig) -> None:
    await add_supporters(rig, "USUP1", "USUP2")
    await ask(rig, "UREQ1", note=NOTE)
    [first] = who_holds_offers(rig, ["USUP1", "USUP2"])
    second = "USUP2" if first == "USUP1" else "USUP1"

    passed = await pass_offer(rig, first)
    assert "You passed" in text_of(passed.blocks)
    assert not has_button(passed.blocks, "offer_accept")
    assert who_holds_offers(rig, [first, second]) == [second]
    await accept(rig, second)

    # Nothing identifying ever reached the one who passed: scan every call to them.
    for call in rig.slack.calls_for(first):
        dumped = str(call.params)
        assert "UREQ1" not in dumped and NOTE not in dumped


async def test_unanswered_offer_expires_and_moves_on(rig: Rig) -> None:
    await add_supporters(rig, "USUP1", "USUP2")
    await ask(rig, "UREQ1")
    [first] = who_holds_offers(rig, ["USUP1", "USUP2"])
    offer = only_open_offer(rig, first)

    rig.clock.advance(timedelta(seconds=899))
    await rig.app.sweep()
    assert who_holds_offers(rig, ["USUP1", "USUP2"]) == [first], "expired before its deadline"

    rig.clock.advance(timedelta(seconds=2))
    await rig.app.sweep()
    await rig.settle()
    assert "expired" in text_of(rig.slack.message(offer.channel, offer.ts).blocks)
    assert who_holds_offers(rig, ["USUP1", "USUP2"]) == [next(s for s in ["USUP1", "USUP2"] if s != first)]


async def test_asap_fans_out_to_three_and_the_first_accept_wins(rig: Rig) -> None:
    await add_supporters(rig, *SUPPORTERS)
    await ask(rig, "UREQ1", urgency="asap")
    offered = who_holds_offers(rig, SUPPORTERS)
    assert len(offered) == 3

    winner, *others = offered
    await accept(rig, winner)
    for other in others:
        [message] = rig.offers_to(other)
        current = rig.slack.message(message.channel, message.ts)
        assert "Another supporter has taken this request" in text_of(current.blocks)
        assert "UREQ1" not in text_of(current.blocks)

    # A late click on a taken offer is told it is no longer theirs, and changes nothing.
    [late] = rig.offers_to(others[0])
    before = len(rig.slack.dms("UREQ1"))
    await rig.click(others[0], late, "offer_accept", as_first_shown=True)
    await rig.settle()
    ephemeral = rig.slack.calls_of("chat.postEphemeral")[-1]
    assert ephemeral.params["user"] == others[0]
    assert "no longer yours" in ephemeral.params["text"]
    assert len(rig.slack.dms("UREQ1")) == before


async def test_hand_back_returns_it_to_the_rotation_without_telling_the_requester_who(rig: Rig) -> None:
    await add_supporters(rig, "USUP1", "USUP2")
    await ask(rig, "UREQ1")
    [first] = who_holds_offers(rig, ["USUP1", "USUP2"])
    held = await accept(rig, first)
    requester_messages = len(rig.slack.dms("UREQ1"))

    await rig.click(first, held, "request_hand_back")
    await rig.settle()
    assert "You handed this request back" in text_of(rig.slack.message(held.channel, held.ts).blocks)
    second = "USUP2" if first == "USUP1" else "USUP1"
    assert who_holds_offers(rig, ["USUP1", "USUP2"]) == [second]
    assert len(rig.slack.dms("UREQ1")) == requester_messages, "the requester was told of the hand back"

    await accept(rig, second)
    told = rig.slack.dms("UREQ1")[-1]
    assert f"<@{second}> will reach out" in text_of(told.blocks)
    assert f"<@{first}>" not in text_of(told.blocks)


async def test_preferred_supporter_is_asked_first_and_excluded_people_never(rig: Rig) -> None:
    await add_supporters(rig, *SUPPORTERS)
    await ask(rig, "UREQ1", preferred="USUP3", excluded=["USUP1", "USUP2"])
    assert who_holds_offers(rig, SUPPORTERS) == ["USUP3"]
    await pass_offer(rig, "USUP3")
    assert who_holds_offers(rig, SUPPORTERS) == ["USUP4"]
    await pass_offer(rig, "USUP4")
    # Nobody left who may see it: escalated, and the excluded were never offered it.
    assert not rig.offers_to("USUP1") and not rig.offers_to("USUP2")
    assert any("is waiting" in text_of(m.blocks) for m in rig.slack.dms(COORDINATOR))


async def test_capacity_limits_open_load(start_app) -> None:
    rig = await start_app(peer_supporter_capacity=1)
    await add_supporters(rig, "USUP1")
    await ask(rig, "UREQ1")
    await accept(rig, "USUP1")
    await ask(rig, "UREQ2")
    assert not rig.open_offers_to("USUP1"), "offered beyond capacity"
    assert any("is waiting" in text_of(m.blocks) for m in rig.slack.dms(COORDINATOR))


async def test_three_expiries_in_a_row_set_a_supporter_away_with_a_way_back(start_app) -> None:
    rig = await start_app(peer_supporter_capacity=10)
    await add_supporters(rig, "USUP1")
    for n in range(3):
        await ask(rig, f"UREQ{n}", urgency="asap")
        rig.clock.advance(timedelta(seconds=901))
        await rig.app.sweep()
        await rig.settle()
    notice = rig.slack.dms("USUP1")[-1]
    assert "set to *away*" in text_of(notice.blocks)
    assert has_button(notice.blocks, "supporter_available_again")

    await ask(rig, "UREQ9")
    assert not rig.open_offers_to("USUP1"), "an away supporter got an offer"

    await rig.click("USUP1", notice, "supporter_available_again")
    await rig.settle()
    assert "available again" in text_of(rig.slack.message(notice.channel, notice.ts).blocks)
    # Back in the rotation: the waiting request reaches them at once.
    assert len(rig.open_offers_to("USUP1")) == 1


async def test_escalation_tells_coordinators_area_and_urgency_only(rig: Rig) -> None:
    await ask(rig, "UREQ1", area="grief", urgency="asap", note=NOTE)

    for coordinator in ("UCOORD1", "UCOORD2"):
        [alert] = [m for m in rig.slack.dms(coordinator) if "is waiting" in text_of(m.blocks)]
        shown = text_of(alert.blocks)
        assert "Grief or loss" in shown and "As soon as possible" in shown
        assert "UREQ1" not in shown and NOTE not in shown
        for call in rig.slack.calls_for(coordinator):
            assert "UREQ1" not in str(call.params) and NOTE not in str(call.params)
    told = rig.slack.dms("UREQ1")[-1]
    assert "coordinators have been alerted" in text_of(told.blocks)
    assert "988" in text_of(told.blocks)


async def test_escalated_request_is_offered_as_soon_as_someone_is_added(rig: Rig) -> None:
    await ask(rig, "UREQ1")
    await add_supporters(rig, "USUP1")
    assert len(rig.open_offers_to("USUP1")) == 1


async def test_hand_to_refuses_only_for_public_reasons_and_quietly_routes_the_rest_on(rig: Rig) -> None:
    await add_supporters(rig, "USUP1")
    await ask(rig, "UREQ1", excluded=["USUP1"])
    [alert] = [m for m in rig.slack.dms(COORDINATOR) if "is waiting" in text_of(m.blocks)]

    await rig.click(COORDINATOR, alert, "escalation_hand_to")
    await rig.settle()
    view = rig.last_view("peer_escalation_hand_to")

    # Not on the roster (the requester is not, here): public, refused with one generic answer.
    answers = set()
    for candidate in ("UNOTONROSTER", "UREQ1"):
        refused = await rig.submit(COORDINATOR, view, {"supporter": candidate})
        assert refused.status == 200 and refused.json["response_action"] == "errors"
        answers.add(refused.json["errors"]["supporter"])
    assert len(answers) == 1 and "can't be offered this request" in answers.pop()
    # Excluded: accepted like anyone (telling them apart would tell who asked), and quietly routed
    # on: they are not offered it. (tests/test_insider_clicks.py tries every relation.)
    for candidate in ("USUP1",):
        accepted = await rig.submit(COORDINATOR, view, {"supporter": candidate})
        assert accepted.status == 200 and accepted.text == ""
        await rig.settle()
        assert not rig.open_offers_to("USUP1") and not rig.open_offers_to("UREQ1")
        # Nobody else can take it: the sweep brings it back to the coordinators, as after a pass.
        alerts = len([m for m in rig.slack.dms(COORDINATOR) if "is waiting" in text_of(m.blocks)])
        await rig.app.sweep()
        await rig.settle()
        assert len([m for m in rig.slack.dms(COORDINATOR) if "is waiting" in text_of(m.blocks)]) == alerts + 1


async def test_coordinator_hand_to_offers_despite_full_capacity(start_app) -> None:
    rig = await start_app(peer_supporter_capacity=1)
    await add_supporters(rig, "USUP1")
    await ask(rig, "UREQ1")
    await accept(rig, "USUP1")
    await ask(rig, "UREQ2")
    [alert] = [m for m in rig.slack.dms(COORDINATOR) if "is waiting" in text_of(m.blocks)]
    await rig.click(COORDINATOR, alert, "escalation_hand_to")
    await rig.settle()
    ok = await rig.submit(COORDINATOR, rig.last_view("peer_escalation_hand_to"), {"supporter": "USUP1"})
    await rig.settle()
    assert ok.status == 200 and ok.text == ""
    offer = only_open_offer(rig, "USUP1")
    assert "UREQ2" not in text_of(offer.blocks)
    # Nothing of this reached the coordinator beyond the alert.
    assert all("UREQ2" not in str(c.params) for c in rig.slack.calls_for(COORDINATOR))


async def test_a_non_coordinator_cannot_open_the_hand_to_modal(rig: Rig) -> None:
    await ask(rig, "UREQ1")
    [alert] = [m for m in rig.slack.dms(COORDINATOR) if "is waiting" in text_of(m.blocks)]
    opened = len(rig.slack.calls_of("views.open"))
    await rig.click("UOTHER", alert, "escalation_hand_to")
    await rig.settle()
    assert len(rig.slack.calls_of("views.open")) == opened
    assert "only program coordinators" in rig.slack.calls_of("chat.postEphemeral")[-1].params["text"]


async def test_coordinators_alerts_are_redrawn_once_the_request_no_longer_waits(rig: Rig) -> None:
    await ask(rig, "UREQ1")
    alerts = {
        c: next(m for m in rig.slack.dms(c) if "is waiting" in text_of(m.blocks))
        for c in ("UCOORD1", "UCOORD2")
    }
    await add_supporters(rig, "USUP1")
    for alert in alerts.values():
        current = rig.slack.message(alert.channel, alert.ts)
        assert "no longer waiting: it has been offered to a supporter" in text_of(current.blocks)
        assert not has_button(current.blocks, "escalation_hand_to")
        assert "UREQ1" not in text_of(current.blocks)

    await ask(rig, "UREQ2", excluded=["USUP1"])
    [alert] = [m for m in rig.slack.dms(COORDINATOR) if "is waiting" in text_of(m.blocks)]
    await rig.command("UREQ2", "cancel")
    await rig.settle()
    assert "was withdrawn" in text_of(rig.slack.message(alert.channel, alert.ts).blocks)
