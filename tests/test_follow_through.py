"""Follow-through on held requests: "I've reached out", one reminder, then the request moves on;
and the requester asking for someone else (issue 16, part 4)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from slack_standin.server import Message
from tests.flows import accept, add_supporters, ask, only_open_offer, who_holds_offers
from tests.rig import Rig, has_button, text_of
from tests.test_home import home_blocks, open_home

COORDINATORS = ("UCOORD1", "UCOORD2")
# An urgent request goes to three at once; the fourth is the one asked when it moves on (those
# whose offer was taken are never offered the same request again).
SUPPORTERS = ["USUP1", "USUP2", "USUP3", "USUP4"]
NOTE = "Since the Hale verdict I keep replaying it."
WITHIN = timedelta(hours=2)  # PEER_REACH_OUT_WITHIN_ASAP, as set below
SETTINGS = {"peer_reach_out_within_asap": "2h", "peer_reach_out_within": "1d"}
REMINDER = "Have you reached out about request"
RELEASED = "A held request was released"


async def tick(rig: Rig, by: timedelta) -> None:
    """Time passes; the delivery job and the sweep run."""
    rig.clock.advance(by)
    await rig.app.deliver_due()
    await rig.app.sweep()
    await rig.settle()


def now_shown(rig: Rig, message: Message) -> str:
    return text_of(rig.slack.message(message.channel, message.ts).blocks)


def said_to(rig: Rig, user: str, phrase: str) -> list[Message]:
    return [m for m in rig.slack.dms(user) if phrase in text_of(m.blocks)]


async def held_urgent(rig: Rig) -> tuple[str, str, Message]:
    """UREQ1's urgent request, accepted by one supporter: (holder, the one not yet asked, the held card)."""
    await add_supporters(rig, *SUPPORTERS)
    await ask(rig, "UREQ1", urgency="asap", note=NOTE)
    offered = who_holds_offers(rig, SUPPORTERS)
    holder = offered[0]
    offer = only_open_offer(rig, holder)
    await accept(rig, holder)
    [other] = [s for s in SUPPORTERS if s not in offered]
    return holder, other, rig.slack.message(offer.channel, offer.ts)


async def rows(rig: Rig, sql: str, *params: object) -> list[tuple]:
    async with rig.app.db.read() as tx:  # type: ignore[union-attr]
        cur = await tx.conn.execute(sql, params)
        return [tuple(r) for r in await cur.fetchall()]


async def test_a_holder_who_does_not_reach_out_is_reminded_once_then_the_request_moves_on(start_app) -> None:
    rig = await start_app(**SETTINGS)
    holder, other, held = await held_urgent(rig)
    assert has_button(held.blocks, "request_reached_out") and "UREQ1" in text_of(held.blocks)

    await tick(rig, WITHIN - timedelta(seconds=1))
    assert not said_to(rig, holder, REMINDER), "reminded early"
    await tick(rig, timedelta(seconds=2))
    [reminder] = said_to(rig, holder, REMINDER)
    assert has_button(reminder.blocks, "request_reached_out")
    assert "UREQ1" not in text_of(reminder.blocks) and NOTE not in text_of(reminder.blocks)

    await tick(rig, WITHIN - timedelta(seconds=2))
    assert len(said_to(rig, holder, REMINDER)) == 1, "reminded twice"
    assert not who_holds_offers(rig, [other]), "released early"
    await tick(rig, timedelta(seconds=2))

    # The holder's card forgets who asked; they are told why, once.
    shown = now_shown(rig, held)
    assert "moved on to another supporter" in shown and "UREQ1" not in shown and NOTE not in shown
    assert len(said_to(rig, holder, "wasn't marked as reached out in time")) == 1
    # The next supporter is offered it blind, and learns who asked only on Accept.
    offer = only_open_offer(rig, other)
    assert "UREQ1" not in text_of(offer.blocks) and NOTE not in text_of(offer.blocks)
    # Each coordinator is told, naming nobody.
    for coordinator in COORDINATORS:
        [notice] = said_to(rig, coordinator, RELEASED)
        for call in rig.slack.calls_for(coordinator):
            for who in ("UREQ1", holder, NOTE):
                assert who not in str(call.params)
        assert "Grief" not in text_of(notice.blocks) and "As soon as possible" in text_of(notice.blocks)
    held_now = await accept(rig, other)
    assert "UREQ1" in text_of(held_now.blocks)
    assert f"<@{other}> will reach out" in text_of(rig.slack.dms("UREQ1")[-1].blocks)

    for _ in range(3):
        await tick(rig, timedelta(minutes=30))
    assert all(len(said_to(rig, c, RELEASED)) == 1 for c in COORDINATORS), "told twice"


async def test_reaching_out_stops_the_reminder_and_the_release(start_app) -> None:
    rig = await start_app(**SETTINGS)
    holder, other, held = await held_urgent(rig)
    await rig.click(holder, held, "request_reached_out")
    await rig.settle()
    shown = rig.slack.message(held.channel, held.ts)
    assert not has_button(shown.blocks, "request_reached_out") and has_button(shown.blocks, "request_close")
    assert "You marked that you've reached out" in text_of(shown.blocks)

    await tick(rig, 3 * WITHIN)
    assert not said_to(rig, holder, REMINDER)
    assert not rig.offers_to(other)
    assert await rows(rig, "SELECT state FROM peer_requests") == [("assigned",)]
    assert await rows(rig, "SELECT state FROM scheduled_messages WHERE kind = 'reach_out_reminder'") == [
        ("skipped",)
    ]


async def test_reaching_out_after_the_reminder_keeps_the_request(start_app) -> None:
    rig = await start_app(**SETTINGS)
    holder, other, _ = await held_urgent(rig)
    await tick(rig, WITHIN)
    [reminder] = said_to(rig, holder, REMINDER)
    await rig.click(holder, reminder, "request_reached_out")
    await rig.settle()
    await tick(rig, 2 * WITHIN)
    assert not rig.offers_to(other)
    assert not said_to(rig, "UCOORD1", RELEASED)


async def test_a_request_that_is_not_urgent_has_a_day(start_app) -> None:
    rig = await start_app(**SETTINGS)
    await add_supporters(rig, "USUP1")
    await ask(rig, "UREQ1", urgency="this_week")
    await accept(rig, "USUP1")
    await tick(rig, timedelta(hours=23, minutes=59))
    assert not said_to(rig, "USUP1", REMINDER)
    await tick(rig, timedelta(minutes=1))
    assert len(said_to(rig, "USUP1", REMINDER)) == 1


async def test_the_release_survives_a_restart_and_two_instances_release_once(start_app) -> None:
    rig = await start_app(**SETTINGS)
    holder, other, _ = await held_urgent(rig)
    await rig.app.stop()
    rig.clock.advance(2 * WITHIN + timedelta(minutes=1))  # reminder and release both due while down

    one = await start_app(**SETTINGS)  # the start sends what is due and sweeps
    two = await start_app(**SETTINGS)
    for _ in range(2):
        await asyncio.gather(one.app.sweep(), two.app.sweep(), one.app.deliver_due(), two.app.deliver_due())
    await one.settle()
    await two.settle()
    assert len(said_to(one, holder, REMINDER)) <= 1
    assert len(said_to(one, holder, "wasn't marked as reached out in time")) == 1
    assert all(len(said_to(one, c, RELEASED)) == 1 for c in COORDINATORS)
    assert len(one.offers_to(other)) == 1
    assert await rows(one, "SELECT state FROM offers WHERE supporter_id = ?", holder) == [("released",)]


async def test_the_requester_asks_for_someone_else_from_their_dm(start_app) -> None:
    rig = await start_app(**SETTINGS)
    holder, other, held = await held_urgent(rig)
    [told] = [m for m in rig.slack.dms("UREQ1") if has_button(m.blocks, "request_someone_else")]
    assert holder in text_of(told.blocks)

    await rig.click("UREQ1", told, "request_someone_else")
    await rig.settle()
    answer = rig.slack.calls_of("chat.postEphemeral")[-1].params
    assert answer["user"] == "UREQ1" and "asking another peer supporter" in answer["text"]
    assert holder not in answer["text"]
    # The first supporter: their card forgets who asked, told neutrally, never offered it again.
    shown = now_shown(rig, held)
    assert "UREQ1" not in shown and NOTE not in shown
    [moved] = said_to(rig, holder, "is no longer with you")
    assert "It has moved on to another supporter." in text_of(moved.blocks)
    for words in ("asked", "someone else", "heard"):
        assert words not in text_of(moved.blocks)
    assert only_open_offer(rig, other)
    assert await rows(rig, "SELECT user_id FROM request_exclusions") == [(holder,)]
    # No coordinator is told of a requester's wish.
    assert not said_to(rig, "UCOORD1", RELEASED)

    # The other passes: nobody is left, and the first supporter is still never asked.
    offer = only_open_offer(rig, other)
    await rig.click(other, offer, "offer_pass")
    await rig.settle()
    assert not rig.open_offers_to(holder)
    assert await rows(rig, "SELECT state FROM peer_requests") == [("escalated",)]


async def test_the_requester_says_they_have_not_heard_from_their_home(start_app) -> None:
    rig = await start_app(**SETTINGS)
    holder, other, _ = await held_urgent(rig)
    await open_home(rig, "UREQ1")
    assert has_button(home_blocks(rig, "UREQ1"), "request_not_heard")
    await rig.home_click("UREQ1", "request_not_heard")
    await rig.settle()
    notice = rig.slack.calls_of("views.open")[-1].params["view"]
    assert "Sorry nobody has been in touch yet" in text_of(notice["blocks"])
    assert only_open_offer(rig, other)
    assert said_to(rig, holder, "is no longer with you")


async def test_asking_for_someone_else_while_nobody_holds_it_changes_nothing(start_app) -> None:
    rig = await start_app(**SETTINGS)
    holder, _, _ = await held_urgent(rig)
    [told] = [m for m in rig.slack.dms("UREQ1") if has_button(m.blocks, "request_someone_else")]
    await rig.click("UREQ1", told, "request_someone_else")
    await rig.settle()
    before = await rows(rig, "SELECT id, state, supporter_id FROM offers ORDER BY id")
    await rig.click("UREQ1", told, "request_not_heard")  # a second click: it is being offered now
    await rig.settle()
    assert "isn't with a supporter right now" in rig.slack.calls_of("chat.postEphemeral")[-1].params["text"]
    assert await rows(rig, "SELECT id, state, supporter_id FROM offers ORDER BY id") == before
    # Someone else's click on the requester's button changes nothing either.
    await rig.click(holder, told, "request_someone_else")
    await rig.settle()
    assert "You don't have an open request" in rig.slack.calls_of("chat.postEphemeral")[-1].params["text"]
    assert await rows(rig, "SELECT id, state, supporter_id FROM offers ORDER BY id") == before
