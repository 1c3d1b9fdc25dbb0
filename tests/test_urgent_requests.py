"""Urgent requests never wait unseen: the urgent-alert clock, and a coordinator taking one on."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from slack_standin.server import Message
from tests.flows import COORDINATOR, accept, add_supporters, ask, only_open_offer, who_holds_offers
from tests.rig import Rig, has_button, text_of

COORDINATORS = ("UCOORD1", "UCOORD2")
SUPPORTERS = ["USUP1", "USUP2", "USUP3", "USUP4"]
NOTE = "I can't stop shaking since the hearing this morning."
URGENT = "An urgent request is still waiting"
JUST_BEFORE = timedelta(minutes=10) - timedelta(seconds=1)


def urgent_alerts(rig: Rig, coordinator: str) -> list[Message]:
    """The urgent-alert clock's alerts a coordinator received (as first drawn)."""
    return [m for m in rig.slack.dms(coordinator) if URGENT in text_of(m.blocks)]


def now_shown(rig: Rig, message: Message) -> str:
    return text_of(rig.slack.message(message.channel, message.ts).blocks)


async def tick(rig: Rig, by: timedelta) -> None:
    """Time passes; the delivery job and the sweep run."""
    rig.clock.advance(by)
    await rig.app.deliver_due()
    await rig.app.sweep()
    await rig.settle()


async def urgent_request(rig: Rig, *supporters: str) -> None:
    await add_supporters(rig, *supporters)
    await ask(rig, "UREQ1", area="grief", urgency="asap", note=NOTE)


async def alert_rows(rig: Rig) -> list[tuple[str, str]]:
    """Each urgent alert recorded: its coordinator and state (the database's, SQLite or PostgreSQL)."""
    async with rig.app.db.read() as tx:  # type: ignore[union-attr]
        cur = await tx.conn.execute(
            "SELECT recipient_id, state FROM scheduled_messages WHERE kind = 'urgent_alert' ORDER BY id"
        )
        return [(row[0], row[1]) for row in await cur.fetchall()]


async def test_an_urgent_request_nobody_accepts_alerts_each_coordinator_once_not_before(rig: Rig) -> None:
    await urgent_request(rig, *SUPPORTERS)
    offered = who_holds_offers(rig, SUPPORTERS)
    assert len(offered) == 3

    await tick(rig, JUST_BEFORE)
    assert not any(urgent_alerts(rig, c) for c in COORDINATORS), "alerted before PEER_URGENT_ALERT_AFTER"

    await tick(rig, timedelta(seconds=2))
    for coordinator in COORDINATORS:
        [alert] = urgent_alerts(rig, coordinator)
        shown = text_of(alert.blocks)
        assert "Grief or loss" in shown and "As soon as possible" in shown
        assert "10 minutes ago" in shown  # coarse: no seconds
        assert has_button(alert.blocks, "escalation_hand_to") and has_button(alert.blocks, "urgent_take_on")
        # Never who asked, nor their note, in anything sent to a coordinator.
        for call in rig.slack.calls_for(coordinator):
            assert "UREQ1" not in str(call.params) and NOTE not in str(call.params)
    # Routing goes on meanwhile: the offers are still out.
    assert who_holds_offers(rig, SUPPORTERS) == offered

    for _ in range(3):
        await tick(rig, timedelta(minutes=1))
    assert all(len(urgent_alerts(rig, c)) == 1 for c in COORDINATORS), "alerted twice"


async def test_the_alert_is_redrawn_when_a_supporter_accepts(rig: Rig) -> None:
    await urgent_request(rig, *SUPPORTERS)
    await tick(rig, timedelta(minutes=10))
    alerts = [a for c in COORDINATORS for a in urgent_alerts(rig, c)]
    assert len(alerts) == 2

    [first, *_] = who_holds_offers(rig, SUPPORTERS)
    await accept(rig, first)
    for alert in alerts:
        current = rig.slack.message(alert.channel, alert.ts)
        assert "no longer waiting: it was accepted by a supporter" in text_of(current.blocks)
        assert not has_button(current.blocks, "urgent_take_on")
        assert not has_button(current.blocks, "escalation_hand_to")
        assert first not in text_of(current.blocks) and "UREQ1" not in text_of(current.blocks)


async def test_an_urgent_request_accepted_in_time_alerts_nobody(rig: Rig) -> None:
    await urgent_request(rig, *SUPPORTERS)
    await tick(rig, timedelta(minutes=5))
    await accept(rig, who_holds_offers(rig, SUPPORTERS)[0])
    await tick(rig, timedelta(minutes=6))
    assert not any(urgent_alerts(rig, c) for c in COORDINATORS)
    assert await alert_rows(rig) == [(c, "skipped") for c in COORDINATORS]


async def test_a_request_that_is_not_urgent_starts_no_clock(rig: Rig) -> None:
    await add_supporters(rig, "USUP1")
    await ask(rig, "UREQ1", urgency="this_week")
    await tick(rig, timedelta(minutes=30))
    assert await alert_rows(rig) == []
    assert not any(urgent_alerts(rig, c) for c in COORDINATORS)


async def test_an_escalated_urgent_request_is_not_alerted_twice(rig: Rig) -> None:
    # Nobody on the roster: escalated at once, and the coordinators were alerted then.
    await ask(rig, "UREQ1", urgency="asap", note=NOTE)
    assert all(any("is waiting" in text_of(m.blocks) for m in rig.slack.dms(c)) for c in COORDINATORS)
    await tick(rig, timedelta(minutes=11))
    assert not any(urgent_alerts(rig, c) for c in COORDINATORS)
    assert await alert_rows(rig) == [(c, "skipped") for c in COORDINATORS]


async def test_the_clock_survives_a_restart_and_fires_once(start_app) -> None:
    rig = await start_app()
    await urgent_request(rig, *SUPPORTERS)
    await tick(rig, timedelta(minutes=4))
    await rig.app.stop()

    rig.clock.advance(timedelta(minutes=7))  # due while the app was down
    rig = await start_app()  # the start sends what is due
    assert all(len(urgent_alerts(rig, c)) == 1 for c in COORDINATORS)
    await rig.app.stop()

    rig = await start_app()
    await tick(rig, timedelta(minutes=2))
    assert all(len(urgent_alerts(rig, c)) == 1 for c in COORDINATORS), "sent again after a restart"
    assert await alert_rows(rig) == [(c, "sent") for c in COORDINATORS]


async def test_two_instances_send_each_alert_once(start_app) -> None:
    one = await start_app()
    two = await start_app()
    await urgent_request(one, *SUPPORTERS)
    one.clock.advance(timedelta(minutes=10))
    for _ in range(3):
        await asyncio.gather(one.app.deliver_due(), two.app.deliver_due())
    await one.settle()
    await two.settle()
    assert all(len(urgent_alerts(one, c)) == 1 for c in COORDINATORS)


async def test_a_coordinator_takes_an_urgent_request_on_and_holds_it(rig: Rig) -> None:
    await urgent_request(rig, *SUPPORTERS)
    offered = who_holds_offers(rig, SUPPORTERS)
    await tick(rig, timedelta(minutes=10))
    [alert] = urgent_alerts(rig, COORDINATOR)
    [other_alert] = urgent_alerts(rig, "UCOORD2")

    await rig.click(COORDINATOR, alert, "urgent_take_on")
    await rig.settle()

    # The coordinator holds it like a supporter who accepted: who asked, the note, Close.
    [held] = [m for m in rig.slack.dms(COORDINATOR) if has_button(m.blocks, "request_close")]
    assert "UREQ1" in text_of(held.blocks) and NOTE in text_of(held.blocks)
    assert "UCOORD1" in text_of(rig.slack.dms("UREQ1")[-1].blocks)  # the requester is told who
    # The supporters' offers are taken; the alerts say so, without anyone's name.
    assert who_holds_offers(rig, SUPPORTERS) == []
    for supporter in offered:
        [offer] = rig.offers_to(supporter)
        assert "Another supporter has taken this request" in now_shown(rig, offer)
    for shown in (now_shown(rig, alert), now_shown(rig, other_alert)):
        assert "taken on by a coordinator" in shown and "UCOORD1" not in shown

    # The other coordinator is too late, and told so privately.
    await rig.click("UCOORD2", other_alert, "urgent_take_on", as_first_shown=True)
    await rig.settle()
    told = rig.slack.calls_of("chat.postEphemeral")[-1]
    assert told.params["user"] == "UCOORD2" and "no longer waiting" in told.params["text"]
    assert "UREQ1" not in str([c.params for c in rig.slack.calls_for("UCOORD2")])

    # Closing works as for any holder.
    await rig.click(COORDINATOR, held, "request_close")
    await rig.settle()
    closed = await rig.submit(COORDINATOR, rig.last_view("peer_request_close"), {"minutes": "20"})
    assert closed.status == 200 and closed.text == ""


async def test_a_coordinator_cannot_take_on_a_request_they_are_excluded_from(rig: Rig) -> None:
    await add_supporters(rig, *SUPPORTERS)
    await ask(rig, "UREQ1", urgency="asap", excluded=[COORDINATOR], note=NOTE)
    await tick(rig, timedelta(minutes=10))
    [alert] = urgent_alerts(rig, COORDINATOR)
    await rig.click(COORDINATOR, alert, "urgent_take_on")
    await rig.settle()
    told = rig.slack.calls_of("chat.postEphemeral")[-1]
    assert "offer it to a supporter instead" in told.params["text"]
    assert len(who_holds_offers(rig, SUPPORTERS)) == 3, "the request moved"


async def test_the_urgent_alert_offers_to_a_named_supporter_while_offers_are_out(rig: Rig) -> None:
    await urgent_request(rig, *SUPPORTERS)
    [spare] = [s for s in SUPPORTERS if s not in who_holds_offers(rig, SUPPORTERS)]
    await tick(rig, timedelta(minutes=10))
    [alert] = urgent_alerts(rig, COORDINATOR)
    await rig.click(COORDINATOR, alert, "escalation_hand_to")
    await rig.settle()
    ok = await rig.submit(COORDINATOR, rig.last_view("peer_escalation_hand_to"), {"supporter": spare})
    await rig.settle()
    assert ok.status == 200 and ok.text == ""
    offer = only_open_offer(rig, spare)
    assert "UREQ1" not in text_of(offer.blocks) and NOTE not in text_of(offer.blocks)
    await accept(rig, spare)
    assert "no longer waiting" in now_shown(rig, alert)


async def test_a_withdrawn_urgent_request_redraws_its_alert(rig: Rig) -> None:
    await urgent_request(rig, *SUPPORTERS)
    await tick(rig, timedelta(minutes=10))
    [alert] = urgent_alerts(rig, COORDINATOR)
    await rig.command("UREQ1", "cancel")
    await rig.settle()
    assert "was withdrawn" in now_shown(rig, alert)


# Offer time by urgency


async def test_each_urgency_has_its_own_offer_time(start_app) -> None:
    rig = await start_app(
        peer_offer_timeout="4h", peer_offer_timeout_asap="5m", peer_offer_timeout_no_rush="1d"
    )
    await add_supporters(rig, "USUP1")
    for requester, urgency, lasts in (
        ("UREQ1", "asap", timedelta(minutes=5)),
        ("UREQ2", "this_week", timedelta(hours=4)),
        ("UREQ3", "no_rush", timedelta(days=1)),
    ):
        await ask(rig, requester, urgency=urgency)
        offer = only_open_offer(rig, "USUP1")
        await tick(rig, lasts - timedelta(seconds=1))
        assert rig.open_offers_to("USUP1") == [offer], f"a {urgency} offer expired early"
        await tick(rig, timedelta(seconds=2))
        assert not rig.open_offers_to("USUP1"), f"a {urgency} offer outlived its time"
        await rig.command(requester, "cancel")
        await rig.settle()


def test_offer_times_take_plain_seconds_and_suffixes_and_name_a_bad_one(slack) -> None:
    import pydantic

    from bot.config import describe_error
    from tests.rig import make_settings

    settings = make_settings(slack, "sqlite:///x.db", peer_offer_timeout="900", peer_offer_timeout_asap="2m")
    assert settings.request_policy().offer_timeout_for("this_week") == timedelta(seconds=900)
    assert settings.request_policy().offer_timeout_for("asap") == timedelta(minutes=2)
    try:
        make_settings(slack, "sqlite:///x.db", peer_offer_timeout_no_rush="soon")
    except pydantic.ValidationError as error:
        assert describe_error(error).startswith("invalid setting PEER_OFFER_TIMEOUT_NO_RUSH")
    else:
        raise AssertionError("a bad PEER_OFFER_TIMEOUT_NO_RUSH was accepted")


async def test_the_offer_card_says_how_long_the_request_has_waited(rig: Rig) -> None:
    await add_supporters(rig, "USUP1", "USUP2")
    await ask(rig, "UREQ1", urgency="this_week")
    [first] = who_holds_offers(rig, ["USUP1", "USUP2"])
    assert "Asked just now." in text_of(only_open_offer(rig, first).blocks)
    await tick(rig, timedelta(minutes=15, seconds=1))  # expires; the next one is offered
    [second] = who_holds_offers(rig, ["USUP1", "USUP2"])
    assert "Asked 15 minutes before this offer." in text_of(only_open_offer(rig, second).blocks)


async def test_only_missed_urgent_offers_set_a_supporter_away_and_they_are_told_why(start_app) -> None:
    rig = await start_app(peer_supporter_capacity=10)
    await add_supporters(rig, "USUP1")
    for n in range(3):
        await ask(rig, f"UREQ{n}", urgency="this_week")
        await tick(rig, timedelta(seconds=901))
    assert not any("set to *away*" in text_of(m.blocks) for m in rig.slack.dms("USUP1"))
    await ask(rig, "UREQ8", urgency="this_week")
    assert len(rig.open_offers_to("USUP1")) == 1, "not urgent, yet they were set away"
    await rig.command("UREQ8", "cancel")
    await rig.settle()

    for n in range(3, 6):
        await ask(rig, f"UREQ{n}", urgency="asap")
        await tick(rig, timedelta(seconds=901))
    notice = rig.slack.dms("USUP1")[-1]
    assert "urgent" in text_of(notice.blocks) and "set to *away*" in text_of(notice.blocks)
