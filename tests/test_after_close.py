"""After a close: one "Did talking help?", answered once, kept only as counts per quarter
(suppressed like every statistic); "I'd like to keep talking" reopens (issue 16, part 5)."""

from __future__ import annotations

from datetime import timedelta

from slack_standin.server import Message
from tests.flows import accept, add_supporters, ask, only_open_offer, who_holds_offers
from tests.rig import Rig, has_button, text_of
from tests.test_tracking import published_stats

SUPPORTERS = ["USUP1", "USUP2"]
QUESTION = "Did talking help?"
NOTE = "The Hale verdict still keeps me up."


async def close_as(rig: Rig, requester: str, holder: str | None = None) -> str:
    """``requester`` asks, a supporter accepts and closes; returns who held it."""
    await ask(rig, requester, note=NOTE)
    holder = holder or who_holds_offers(rig, SUPPORTERS)[0]
    held = await accept(rig, holder)
    await rig.click(holder, held, "request_close")
    await rig.settle()
    response = await rig.submit(holder, rig.last_view("peer_request_close"), {"minutes": "20"})
    assert response.text == ""
    await rig.settle()
    return holder


def questions(rig: Rig, requester: str) -> list[Message]:
    return [m for m in rig.slack.dms(requester) if QUESTION in text_of(m.blocks)]


async def answer(rig: Rig, requester: str, action: str) -> Message:
    [question] = questions(rig, requester)
    response = await rig.click(requester, question, action)
    assert response.status == 200
    await rig.settle()
    return rig.slack.message(question.channel, question.ts)


async def rows(rig: Rig, sql: str, *params: object) -> list[tuple]:
    async with rig.app.db.read() as tx:  # type: ignore[union-attr]
        cur = await tx.conn.execute(sql, params)
        return [tuple(r) for r in await cur.fetchall()]


async def test_one_question_after_the_close_answered_once_and_kept_only_as_a_count(rig: Rig) -> None:
    await add_supporters(rig, *SUPPORTERS)
    holder = await close_as(rig, "UREQ1")
    [question] = questions(rig, "UREQ1")
    assert "closed your request" in text_of(rig.slack.dms("UREQ1")[-2].blocks)  # the closed notice first
    for action in ("talk_yes", "talk_somewhat", "talk_not_really", "talk_keep_talking"):
        assert has_button(question.blocks, action)
    assert holder not in text_of(question.blocks) and "#1" not in text_of(question.blocks)

    shown = await answer(rig, "UREQ1", "talk_somewhat")
    assert "You answered: Somewhat" in text_of(shown.blocks)
    assert not has_button(shown.blocks, "talk_yes")
    # A second click (a stale copy) counts nothing.
    await rig.click("UREQ1", question, "talk_yes", as_first_shown=True)
    await rig.settle()
    assert "already answered" in rig.slack.calls_of("chat.postEphemeral")[-1].params["text"]
    assert await rows(rig, "SELECT quarter, answer, count FROM talk_answers") == [
        ("2026-10-01", "somewhat", 1)
    ]
    # The question's row says it was answered, never how, nor when.
    assert await rows(
        rig, "SELECT state, answered_at FROM scheduled_messages WHERE kind = 'talk_question'"
    ) == [("answered", None)]
    # Someone else clicking the requester's question counts nothing.
    await rig.click(holder, question, "talk_not_really", as_first_shown=True)
    await rig.settle()
    assert "isn't addressed to you" in rig.slack.calls_of("chat.postEphemeral")[-1].params["text"]
    assert await rows(rig, "SELECT SUM(count) FROM talk_answers") == [(1,)]

    rig.clock.advance(timedelta(days=2))
    await rig.app.deliver_due()
    await rig.app.sweep()
    await rig.settle()
    assert len(questions(rig, "UREQ1")) == 1, "asked twice"


async def test_a_cancelled_request_gets_no_question(rig: Rig) -> None:
    await add_supporters(rig, *SUPPORTERS)
    await ask(rig, "UREQ1")
    await rig.command("UREQ1", "cancel")
    await rig.settle()
    assert not questions(rig, "UREQ1")


async def test_keep_talking_asks_the_same_supporter_first(rig: Rig) -> None:
    await add_supporters(rig, *SUPPORTERS)
    holder = await close_as(rig, "UREQ1")
    shown = await answer(rig, "UREQ1", "talk_keep_talking")
    assert "asking your supporter first" in text_of(shown.blocks)
    offer = only_open_offer(rig, holder)  # asked first, blind as any offer
    assert "UREQ1" not in text_of(offer.blocks) and NOTE not in text_of(offer.blocks)
    assert await rows(rig, "SELECT preferred_supporter_id, state, note FROM peer_requests WHERE id = 2") == [
        (holder, "offered", None)
    ]
    assert await rows(rig, "SELECT answer, count FROM talk_answers") == [("keep_talking", 1)]


async def test_keep_talking_routes_on_when_the_supporter_is_away(rig: Rig) -> None:
    await add_supporters(rig, *SUPPORTERS)
    holder = await close_as(rig, "UREQ1")
    await rig.command(holder, "away")
    await rig.settle()
    await answer(rig, "UREQ1", "talk_keep_talking")
    [other] = [s for s in SUPPORTERS if s != holder]
    assert only_open_offer(rig, other)
    assert not rig.open_offers_to(holder)


async def test_keep_talking_with_a_request_open_makes_no_second(rig: Rig) -> None:
    await add_supporters(rig, *SUPPORTERS)
    await close_as(rig, "UREQ1")
    await ask(rig, "UREQ1")
    shown = await answer(rig, "UREQ1", "talk_keep_talking")
    assert "You already have an open request" in text_of(shown.blocks)
    assert await rows(rig, "SELECT COUNT(*) FROM peer_requests") == [(2,)]


async def test_answers_count_in_the_quarter_given_and_small_counts_are_hidden(start_app) -> None:
    rig = await start_app(peer_supporter_capacity=10)
    await add_supporters(rig, *SUPPORTERS)
    for n in range(4):
        await close_as(rig, f"UREQ{n}")
    for n in range(3):
        await answer(rig, f"UREQ{n}", "talk_yes")
    # The fourth answers in the next quarter: it counts there, not in the quarter of the close.
    rig.clock.set(rig.clock.now().replace(year=2027, month=1, day=4))
    await answer(rig, "UREQ3", "talk_not_really")

    text = await published_stats(rig, "2026-Q4")
    assert "Did talking help?" in text
    assert "• Yes: 3" in text and "• Not really: 0" in text and "_Total: 3_" in text

    rig.clock.set(rig.clock.now().replace(month=4, day=2))
    text = await published_stats(rig, "2027-Q1")
    section = text.split("Did talking help?", 1)[1].split("Statistics are published", 1)[0]
    assert "• Not really:" in section and ": 1" not in section
    assert "• Yes: suppressed" in section and "_Total: fewer than 3_" in section
