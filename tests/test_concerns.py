"""Concern for a colleague: coordinators are told, the colleague never learns who raised it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from tests.conftest import sqlite_only
from tests.flows import COORDINATOR, add_supporters
from tests.rig import Rig, has_button, text_of
from tests.test_home import open_home
from tests.test_tracking import in_database

OTHER_COORDINATOR = "UCOORD2"
WORRIED = "UWORRIED"
SUBJECT = "USUBJ"
NOTE = "She hasn't been herself since the Hollis verdict."


async def raise_concern(rig: Rig, *, subject: str | None = SUBJECT, **values: Any) -> Any:
    """The worried colleague types /peer concern @subject and sends the modal."""
    text = f"concern <@{subject}|s>" if subject else "concern"
    await rig.command(WORRIED, text)
    await rig.settle()
    form = {"concern_subject": subject, "concern_note": NOTE, "concern_contact_me": [], **values}
    submitted = await rig.submit(WORRIED, rig.last_view("peer_concern"), form)
    await rig.settle()
    return submitted


def alerts(rig: Rig, coordinator: str) -> list:
    return [m for m in rig.slack.dms(coordinator) if "may be struggling" in text_of(m.blocks)]


async def test_a_concern_reaches_coordinators_never_the_colleague_and_the_raiser_is_thanked(rig: Rig) -> None:
    submitted = await raise_concern(rig)
    assert submitted.text == ""
    assert rig.last_view("peer_concern")["blocks"][1]["element"]["initial_user"] == SUBJECT
    for coordinator in (COORDINATOR, OTHER_COORDINATOR):
        [alert] = alerts(rig, coordinator)
        shown = text_of(alert.blocks)
        assert f"Someone is worried about <@{SUBJECT}>" in shown and NOTE in shown
        assert "Raised anonymously" in shown and WORRIED not in shown
        assert has_button(alert.blocks, "concern_take") and has_button(alert.blocks, "concern_hand_to")
    [thanks] = rig.slack.dms(WORRIED)
    assert "Thank you for looking out" in text_of(thanks.blocks) and "988" in text_of(thanks.blocks)
    assert not rig.slack.calls_for(SUBJECT), "the colleague is never messaged about it"
    async with rig.app.db.read() as tx:  # type: ignore[union-attr]
        concern = await tx.concerns.get(1)
    assert concern is not None and concern.raised_by is None, "an anonymous raiser's name is not kept"


async def test_a_raiser_who_agrees_to_be_contacted_is_named_to_coordinators(rig: Rig) -> None:
    await raise_concern(rig, concern_contact_me=["contact_me"])
    [alert] = alerts(rig, COORDINATOR)
    assert f"Raised by <@{WORRIED}>, who is happy to be contacted" in text_of(alert.blocks)


async def test_one_coordinator_takes_it_and_every_copy_says_so(rig: Rig) -> None:
    await raise_concern(rig)
    [mine] = alerts(rig, COORDINATOR)
    [theirs] = alerts(rig, OTHER_COORDINATOR)
    await rig.click(COORDINATOR, mine, "concern_take")
    await rig.settle()
    for copy in (mine, theirs):
        redrawn = rig.slack.message(copy.channel, copy.ts)
        assert "<@UCOORD1> is reaching out" in text_of(redrawn.blocks)
        assert not has_button(redrawn.blocks, "concern_take")
    await rig.click(OTHER_COORDINATOR, theirs, "concern_take", as_first_shown=True)
    await rig.settle()
    refusal = rig.slack.calls_of("chat.postEphemeral")[-1].params["text"]
    assert "already taken care of by <@UCOORD1>" in refusal
    assert not rig.slack.calls_for(SUBJECT)


async def test_a_coordinator_can_ask_a_supporter_to_reach_out(rig: Rig) -> None:
    await add_supporters(rig, "USUP1")
    await raise_concern(rig, concern_contact_me=["contact_me"])
    [alert] = alerts(rig, COORDINATOR)
    await rig.click(COORDINATOR, alert, "concern_hand_to")
    await rig.settle()
    view = rig.last_view("peer_concern_hand_to")
    refused = await rig.submit(COORDINATOR, view, {"concern_supporter": "UNOBODY"})
    assert "can't be offered" in refused.json["errors"]["concern_supporter"]
    ok = await rig.submit(COORDINATOR, view, {"concern_supporter": "USUP1"})
    await rig.settle()
    assert ok.text == ""
    [ask] = rig.slack.dms("USUP1")
    shown = text_of(ask.blocks)
    assert f"check in gently with <@{SUBJECT}>" in shown and "don't say that anyone raised it" in shown
    assert WORRIED not in shown and NOTE not in shown, "the supporter never learns who raised it, or the note"
    assert "asked <@USUP1> to reach out" in text_of(rig.slack.message(alert.channel, alert.ts).blocks)
    assert not rig.slack.calls_for(SUBJECT)


async def test_bad_concerns_get_inline_errors(rig: Rig) -> None:
    about_me = await raise_concern(rig, subject=WORRIED)
    assert "this is about you" in about_me.json["errors"]["concern_subject"]
    nobody = await raise_concern(rig, subject=None)
    assert "Please choose the colleague" in nobody.json["errors"]["concern_subject"]
    long_note = await raise_concern(rig, concern_note="x" * 501)
    assert "500 characters" in long_note.json["errors"]["concern_note"]
    assert not alerts(rig, COORDINATOR)


async def test_a_concern_about_a_coordinator_goes_only_to_the_others(rig: Rig) -> None:
    await raise_concern(rig, subject=OTHER_COORDINATOR)
    assert len(alerts(rig, COORDINATOR)) == 1
    assert not rig.slack.calls_for(OTHER_COORDINATOR)


async def test_non_coordinators_cannot_act_on_a_concern_even_with_a_crafted_button(rig: Rig) -> None:
    await raise_concern(rig)
    [alert] = alerts(rig, COORDINATOR)
    for action in ("concern_take", "concern_hand_to"):
        await rig.click(WORRIED, alert, action)
        await rig.settle()
        assert "only program coordinators" in rig.slack.calls_of("chat.postEphemeral")[-1].params["text"]
    assert not rig.slack.calls_of("views.open")[1:], "no hand-to modal opened"
    # A crafted submission of the coordinators' hand-to modal.
    await add_supporters(rig, "USUP1")
    await rig.click(COORDINATOR, alert, "concern_hand_to")
    await rig.settle()
    crafted = await rig.submit(WORRIED, rig.last_view("peer_concern_hand_to"), {"concern_supporter": "USUP1"})
    assert "only program coordinators" in crafted.json["errors"]["concern_supporter"]
    await rig.settle()
    assert not rig.slack.dms("USUP1")
    assert has_button(rig.slack.message(alert.channel, alert.ts).blocks, "concern_take")


async def test_the_home_offers_it_to_everyone_and_coordinators_see_how_many_wait(rig: Rig) -> None:
    await open_home(rig, WORRIED)
    await rig.home_click(WORRIED, "home_open_concern")
    await rig.settle()
    assert rig.slack.calls_of("views.open")[-1].params["view"]["callback_id"] == "peer_concern"
    await open_home(rig, COORDINATOR)
    await raise_concern(rig)
    shown = text_of(rig.slack.home_views[COORDINATOR]["blocks"])
    assert "nobody has taken yet:* 1" in shown and SUBJECT not in shown


async def test_a_concern_is_forgotten_once_handled_and_past_the_retention_period(start_app) -> None:
    rig = await start_app(peer_retention_days=30)
    await raise_concern(rig, concern_contact_me=["contact_me"])
    await raise_concern(rig, subject="USUBJ2")  # nobody acts on this one
    sent = {c: alerts(rig, c) for c in (COORDINATOR, OTHER_COORDINATOR)}
    [mine, _] = sent[COORDINATOR]
    await rig.click(COORDINATOR, mine, "concern_take")
    await rig.settle()

    rig.clock.advance(timedelta(days=29))
    await rig.app.sweep()
    assert await _concern_rows(rig) == [(SUBJECT, WORRIED, NOTE), ("USUBJ2", None, NOTE)]

    rig.clock.advance(timedelta(days=2))
    await rig.app.sweep()
    # The one still waiting for a coordinator stays; the handled one, and where its alerts landed, go.
    assert await _concern_rows(rig) == [("USUBJ2", None, NOTE)]
    assert await _copies_of_concerns(rig) == 2  # the open concern's two alerts
    # The coordinators' copies of the forgotten one no longer say who or what; the other's do.
    for coordinator in (COORDINATOR, OTHER_COORDINATOR):
        forgotten, waiting = [rig.slack.message(m.channel, m.ts) for m in sent[coordinator]]
        assert f"<@{SUBJECT}>" not in text_of(forgotten.blocks) and NOTE not in text_of(forgotten.blocks)
        assert "removed after the retention period" in text_of(forgotten.blocks)
        assert "<@USUBJ2>" in text_of(waiting.blocks)
    home = await open_home(rig, COORDINATOR)
    assert "nobody has taken yet:* 1" in home
    # The audit log still says a coordinator took concern #1, and nothing about it.
    audit = (await rig.command(COORDINATOR, "audit")).json["text"]
    assert "concern taken: #1" in audit and SUBJECT not in audit


@sqlite_only
async def test_a_purged_concern_is_gone_from_the_database_file(start_app, db_path: Path) -> None:
    rig = await start_app(peer_retention_days=0)
    await raise_concern(rig, concern_contact_me=["contact_me"])
    [alert] = alerts(rig, COORDINATOR)
    await rig.click(COORDINATOR, alert, "concern_take")
    await rig.settle()
    await rig.app.sweep()
    for secret in (NOTE, "Hollis", SUBJECT, WORRIED):
        assert not in_database(db_path, secret), secret


async def _concern_rows(rig: Rig) -> list[tuple]:
    async with rig.app.db.read() as tx:  # type: ignore[union-attr]
        cur = await tx.conn.execute("SELECT subject_id, raised_by, note FROM concerns ORDER BY id")
        return [tuple(row) for row in await cur.fetchall()]


async def _copies_of_concerns(rig: Rig) -> int:
    async with rig.app.db.read() as tx:  # type: ignore[union-attr]
        cur = await tx.conn.execute("SELECT COUNT(*) FROM coordinator_copies WHERE topic = 'concern'")
        row = await cur.fetchone()
        return int(row[0])


async def test_the_coordinator_a_concern_is_about_sees_nothing_of_it_and_cannot_take_it(rig: Rig) -> None:
    # Issue 15, finding 4: the subject used to see "nobody has taken yet: 1" and could take
    # (and so silence) the concern about themselves with a crafted click.
    await open_home(rig, COORDINATOR)
    await open_home(rig, OTHER_COORDINATOR)
    await raise_concern(rig, subject=OTHER_COORDINATOR)
    await rig.settle()
    assert "nobody has taken yet:* 1" in text_of(rig.slack.home_views[COORDINATOR]["blocks"])
    await open_home(rig, OTHER_COORDINATOR)
    subject_home = text_of(rig.slack.home_views[OTHER_COORDINATOR]["blocks"])
    assert "nobody has taken yet:* 1" not in subject_home and NOTE not in subject_home
    [alert] = alerts(rig, COORDINATOR)
    await add_supporters(rig, "USUP1")
    for action in ("concern_take", "concern_hand_to"):
        await rig.click(OTHER_COORDINATOR, alert, action)
        await rig.settle()
    crafted = await rig.submit(
        OTHER_COORDINATOR, rig.last_view("peer_concern_hand_to"), {"concern_supporter": "USUP1"}
    )
    await rig.settle()
    assert (
        "no longer exists" in str(crafted.json)
        or "no longer exists" in rig.slack.calls_of("chat.postEphemeral")[-1].params["text"]
    )
    assert not rig.slack.dms("USUP1"), "the subject handed it away"
    assert has_button(rig.slack.message(alert.channel, alert.ts).blocks, "concern_take"), "still open"
    # The other coordinator can still act on it.
    await rig.click(COORDINATOR, alert, "concern_take")
    await rig.settle()
    assert not has_button(rig.slack.message(alert.channel, alert.ts).blocks, "concern_take")
