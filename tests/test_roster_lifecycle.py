"""The roster's lifecycle: selection, training, refreshers, suspension, retirement, and coordinators."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.flows import COORDINATOR, accept, add_supporters, ask, only_open_offer
from tests.rig import Rig, has_button, text_of

OTHER_COORDINATOR = "UCOORD2"


def ephemeral(response) -> str:
    assert response.status == 200, response.text
    return response.json["text"]


def reviews(rig: Rig, coordinator: str) -> list:
    return [m for m in rig.slack.dms(coordinator) if "offered to become a peer" in text_of(m.blocks)]


async def volunteer(rig: Rig, user: str, note: str = "") -> str:
    text = ephemeral(await rig.command(user, f"volunteer {note}".strip()))
    await rig.settle()
    return text


async def advance_to(rig: Rig, when: datetime) -> None:
    """Move the clock, then run what the scheduler would: the sweep, then the deliveries."""
    rig.clock.set(when)
    await rig.app.sweep()
    await rig.app.deliver_due()
    await rig.settle()


async def test_volunteer_is_approved_then_trained_then_gets_offers(rig: Rig) -> None:
    reply = await volunteer(rig, "UVOL1", "I was on the crisis team at my last office.")
    assert "Thank you for offering" in reply
    [first] = reviews(rig, COORDINATOR)
    [second] = reviews(rig, OTHER_COORDINATOR)
    assert "<@UVOL1>" in text_of(first.blocks) and "crisis team" in text_of(first.blocks)

    await rig.click(COORDINATOR, first, "volunteer_approve")
    await rig.settle()
    for review in (first, second):
        redrawn = rig.slack.message(review.channel, review.ts)
        assert "Approved by <@UCOORD1>" in text_of(redrawn.blocks)
        assert not has_button(redrawn.blocks, "volunteer_approve")
    assert "you're on the peer support roster" in text_of(rig.slack.dms("UVOL1")[-1].blocks)

    # Selected, not yet trained: no offers.
    await ask(rig, "UREQ1")
    assert not rig.open_offers_to("UVOL1")
    recorded = ephemeral(await rig.command(COORDINATOR, "training <@UVOL1|v> basic 2026-11-27"))
    assert "Recorded the basic course on 2026-11-27 for <@UVOL1>" in recorded
    await rig.settle()
    assert len(rig.open_offers_to("UVOL1")) == 1


async def test_a_declined_volunteer_is_told_and_a_second_decision_changes_nothing(rig: Rig) -> None:
    await volunteer(rig, "UVOL1")
    [first] = reviews(rig, COORDINATOR)
    [second] = reviews(rig, OTHER_COORDINATOR)
    await rig.click(COORDINATOR, first, "volunteer_decline")
    await rig.settle()
    await rig.click(OTHER_COORDINATOR, second, "volunteer_approve", as_first_shown=True)
    await rig.settle()
    assert "already decided by <@UCOORD1>" in rig.slack.calls_of("chat.postEphemeral")[-1].params["text"]
    assert "aren't adding supporters right now" in text_of(rig.slack.dms("UVOL1")[-1].blocks)
    assert len(rig.slack.dms("UVOL1")) == 1
    assert await rig.app.services.roster.get("UVOL1") is None


async def test_volunteering_twice_or_as_a_supporter_is_answered_politely(rig: Rig) -> None:
    await add_supporters(rig, "USUP1")
    await volunteer(rig, "UVOL1")
    assert "already with the coordinators" in await volunteer(rig, "UVOL1")
    assert "already on the peer supporter roster" in await volunteer(rig, "USUP1")
    assert len(reviews(rig, COORDINATOR)) == 1


async def test_lapsed_training_stops_offers_and_is_reminded_before_and_on_the_day(start_app) -> None:
    rig = await start_app(peer_checkin_rate=1000)
    await add_supporters(rig, "USUP1", trained="2026-01-15")  # lapses 2027-01-15 (365 days)
    await advance_to(rig, datetime(2026, 12, 15, 10, tzinfo=UTC))
    assert not rig.slack.dms("USUP1"), "reminded earlier than 30 days before"

    await advance_to(rig, datetime(2026, 12, 16, 10, tzinfo=UTC))
    await advance_to(rig, datetime(2026, 12, 16, 11, tzinfo=UTC))  # the sweep runs again: nothing new
    [before] = rig.slack.dms("USUP1")
    assert "lapses on 2027-01-15" in text_of(before.blocks)
    due = ephemeral(await rig.command(COORDINATOR, "training due"))
    assert "<@USUP1>: refresher due by 2027-01-15" in due

    await advance_to(rig, datetime(2027, 1, 14, 10, tzinfo=UTC))
    await ask(rig, "UREQ1")
    assert len(rig.open_offers_to("USUP1")) == 1, "still current the day before"
    await rig.command("UREQ1", "cancel")

    await advance_to(rig, datetime(2027, 1, 15, 10, tzinfo=UTC))
    await advance_to(rig, datetime(2027, 1, 16, 10, tzinfo=UTC))
    lapsed = [m for m in rig.slack.dms("USUP1") if "lapsed today" in text_of(m.blocks)]
    assert len(lapsed) == 1 and "2027-01-15" in text_of(lapsed[0].blocks)
    assert "<@USUP1>: lapsed 2027-01-15, gets no offers" in ephemeral(
        await rig.command(COORDINATOR, "training due")
    )
    await ask(rig, "UREQ2")
    assert len(rig.open_offers_to("USUP1")) == 0
    assert "escalated" in (await rig.app.services.requests.status(requester_id="UREQ2")).state

    await rig.command(COORDINATOR, "training <@USUP1|s> refresher 2027-01-16")
    await rig.settle()
    assert len(rig.open_offers_to("USUP1")) == 1, "a refresher makes training current again"
    assert "Nobody's training lapses" in ephemeral(await rig.command(COORDINATOR, "training due"))


async def test_a_reminder_that_no_longer_applies_is_not_sent(start_app) -> None:
    # Program hours: a reminder found on Saturday waits for Monday, and a refresher comes first.
    rig = await start_app(peer_checkin_rate=1000, peer_service_hours="08:00-18:00")
    await add_supporters(rig, "USUP1", trained="2026-01-23")  # lapses 2027-01-23; reminder from 2026-12-24
    await advance_to(rig, datetime(2026, 12, 26, 10, tzinfo=UTC))  # a Saturday
    assert not rig.slack.dms("USUP1")
    await rig.command(COORDINATOR, "training <@USUP1|s> refresher 2026-12-26")
    await advance_to(rig, datetime(2026, 12, 28, 9, tzinfo=UTC))
    assert not rig.slack.dms("USUP1")


async def test_training_reminders_are_not_sent_again_after_a_restart(start_app) -> None:
    rig = await start_app(peer_checkin_rate=1000)
    await add_supporters(rig, "USUP1", trained="2026-01-15")
    await advance_to(rig, datetime(2026, 12, 20, 10, tzinfo=UTC))
    assert len(rig.slack.dms("USUP1")) == 1
    await rig.app.stop()
    rig = await start_app(peer_checkin_rate=1000)
    await advance_to(rig, datetime(2026, 12, 21, 10, tzinfo=UTC))
    assert len(rig.slack.dms("USUP1")) == 1


async def test_refresher_interval_is_a_setting(start_app) -> None:
    rig = await start_app(peer_training_valid_days=30)
    await add_supporters(rig, "USUP1", trained="2026-10-30")  # lapsed 2026-11-29
    await ask(rig, "UREQ1")
    assert not rig.open_offers_to("USUP1")


async def test_advanced_trainings_are_recorded_and_listed(rig: Rig) -> None:
    await add_supporters(rig, "USUP1")
    command = "training <@USUP1|s> advanced 2026-06-01 CISM group crisis intervention"
    text = ephemeral(await rig.command(COORDINATOR, command))
    assert "Recorded CISM group crisis intervention on 2026-06-01" in text
    roster = ephemeral(await rig.command(COORDINATOR, "roster"))
    line = next(x for x in roster.splitlines() if "<@USUP1>" in x)
    assert "CISM group crisis intervention (2026-06-01)" in line and "current until 2027-01-15" in line
    assert "Name the advanced training" in ephemeral(
        await rig.command(COORDINATOR, "training <@USUP1|s> advanced 2026-06-01")
    )
    assert "can't be in the future" in ephemeral(
        await rig.command(COORDINATOR, "training <@USUP1|s> refresher 2027-06-01")
    )
    assert "Use `/peer training" in ephemeral(await rig.command(COORDINATOR, "training <@USUP1|s> yoga"))


async def test_a_suspended_supporter_gets_no_offers_until_a_coordinator_resumes(start_app) -> None:
    rig = await start_app(peer_supporter_capacity=1)
    await add_supporters(rig, "USUP1", "USUP2")
    await ask(rig, "UREQ1", preferred="USUP1")
    offer = only_open_offer(rig, "USUP1")
    text = ephemeral(await rig.command(COORDINATOR, "roster suspend <@USUP1|s>"))
    await rig.settle()
    assert "Suspended <@USUP1>" in text
    assert "withdrawn" in text_of(rig.slack.message(offer.channel, offer.ts).blocks)
    assert len(rig.open_offers_to("USUP2")) == 1
    assert "suspended" in ephemeral(await rig.command(COORDINATOR, "roster"))

    assert "A coordinator has paused offers to you" in ephemeral(await rig.command("USUP1", "available"))
    await accept(rig, "USUP2")
    await ask(rig, "UREQ2")
    assert not rig.open_offers_to("USUP1")
    assert "Resumed <@USUP1>" in ephemeral(await rig.command(COORDINATOR, "roster resume <@USUP1|s>"))
    await rig.settle()
    assert len(rig.open_offers_to("USUP1")) == 1


async def test_removal_retires_a_supporter_and_keeps_the_anonymous_statistics(rig: Rig) -> None:
    await add_supporters(rig, "USUP1")
    await ask(rig, "UREQ1")
    held = await accept(rig, "USUP1")
    await rig.click("USUP1", held, "request_close")
    await rig.settle()
    await rig.submit("USUP1", rig.last_view("peer_request_close"), {"minutes": "40", "referral": "eap"})
    await rig.settle()
    await rig.command(COORDINATOR, "roster remove <@USUP1|s>")
    await rig.settle()
    assert await rig.app.services.roster.get("USUP1") is None
    async with rig.app.db.read() as tx:  # type: ignore[union-attr]
        request = await tx.requests.get(1)
    assert request is not None and request.state == "closed" and request.minutes == 40


async def test_coordinators_can_add_and_remove_coordinators(rig: Rig) -> None:
    assert "only program coordinators" in ephemeral(await rig.command("UNEW", "roster"))
    added = ephemeral(await rig.command(COORDINATOR, "coordinators add <@UNEW|n>"))
    assert "Now coordinators: <@UNEW>" in added
    assert "The roster is empty" in ephemeral(await rig.command("UNEW", "roster"))
    listing = ephemeral(await rig.command("UNEW", "coordinators"))
    assert "<@UCOORD1> (from PEER_COORDINATORS)" in listing and "• <@UNEW>" in listing
    # Escalations reach coordinators added in Slack too.
    await ask(rig, "UREQ1")
    assert any("A peer support request is waiting" in text_of(m.blocks) for m in rig.slack.dms("UNEW"))

    refused = ephemeral(await rig.command("UNEW", "coordinators remove <@UCOORD1|c>"))
    assert "set in the PEER_COORDINATORS setting" in refused
    removed = ephemeral(await rig.command(COORDINATOR, "coordinators remove <@UNEW|n>"))
    assert "No longer coordinators: <@UNEW>" in removed
    assert "only program coordinators" in ephemeral(await rig.command("UNEW", "roster"))


async def test_the_program_always_keeps_a_coordinator(start_app) -> None:
    rig = await start_app(peer_coordinators="")
    assert "only program coordinators" in ephemeral(await rig.command("UANY", "coordinators add <@UANY|a>"))
    async with rig.app.db.transaction() as tx:  # type: ignore[union-attr]
        await tx.roles.add_coordinator("UFIRST", added_by="setup", now=rig.clock.now())
    text = ephemeral(await rig.command("UFIRST", "coordinators remove <@UFIRST|f>"))
    assert "needs at least one coordinator" in text
    assert await rig.app.services.roles.has_coordinator_role("UFIRST")


async def test_non_coordinators_are_refused_every_roster_command(rig: Rig) -> None:
    await add_supporters(rig, "USUP1")
    for text in (
        "roster suspend <@USUP1|s>",
        "roster resume <@USUP1|s>",
        "training <@USUP1|s> refresher 2026-11-01",
        "training due",
        "coordinators",
        "coordinators add <@USUP1|s>",
        "coordinators remove <@UCOORD2|c>",
    ):
        assert "only program coordinators" in ephemeral(await rig.command("USUP1", text)), text
    entry = await rig.app.services.roster.entry("USUP1")
    assert entry is not None and not entry.supporter.suspended
    assert entry.supporter.trained_on.isoformat() == "2026-01-15"
    assert not await rig.app.services.roles.has_coordinator_role("USUP1")


async def test_a_crafted_approve_button_from_a_non_coordinator_changes_nothing(rig: Rig) -> None:
    await volunteer(rig, "UVOL1")
    [review] = reviews(rig, COORDINATOR)
    # The volunteer copies the button into a payload of their own.
    await rig.click("UVOL1", review, "volunteer_approve")
    await rig.settle()
    assert "only program coordinators" in rig.slack.calls_of("chat.postEphemeral")[-1].params["text"]
    assert await rig.app.services.roster.get("UVOL1") is None
    assert has_button(rig.slack.message(review.channel, review.ts).blocks, "volunteer_approve")


async def test_a_training_reminder_due_during_a_long_outage_still_goes_out(start_app) -> None:
    rig = await start_app(peer_checkin_rate=1000, peer_service_hours="08:00-18:00")
    await add_supporters(rig, "USUP1", trained="2026-01-15")
    rig.clock.set(datetime(2026, 12, 19, 20, tzinfo=UTC))  # Saturday evening: due Monday 08:00
    await rig.app.sweep()
    await rig.app.stop()
    rig.clock.set(datetime(2026, 12, 23, 10, tzinfo=UTC))  # back two days after it fell due
    rig = await start_app(peer_checkin_rate=1000, peer_service_hours="08:00-18:00")
    [reminder] = rig.slack.dms("USUP1")
    assert "lapses on 2027-01-15" in text_of(reminder.blocks)
