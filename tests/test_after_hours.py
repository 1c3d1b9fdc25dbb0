"""After hours: urgent requests go to whoever is on call, then to after-hours supporters; with nobody,
the coordinators are alerted at once and the requester is told honestly, before and after they ask."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.service_hours import parse_days
from slack_standin import Fault
from storage.models import OnCallShift
from tests.flows import COORDINATOR, add_supporters, ask, only_open_offer, pass_offer, who_holds_offers
from tests.rig import Rig, has_button, text_of
from tests.test_home import open_home

COORDINATORS = ("UCOORD1", "UCOORD2")
SATURDAY_1100 = datetime(2026, 12, 5, 11, 0, tzinfo=UTC)
MONDAY_0800 = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
NOTE = "I can't stop shaking since the hearing."
URGENT = "An urgent request is still waiting"
NOBODY = "Nobody from the peer team is on call now."
CRISIS = "If you are in crisis, call or text 988 now"
OPENS = "A supporter will be asked at 08:00 on Mon 7 Dec."
DAY_SUPPORTERS = ["USUP1", "USUP2"]


async def closed_office(start_app, *supporters: str) -> Rig:
    rig = await start_app(peer_service_hours="08:00-18:00", peer_offer_timeout_asap="5m")
    await add_supporters(rig, *(supporters or DAY_SUPPORTERS))
    rig.clock.set(SATURDAY_1100)
    return rig


def urgent_alerts(rig: Rig, coordinator: str) -> list:
    return [m for m in rig.slack.dms(coordinator) if URGENT in text_of(m.blocks)]


def told(rig: Rig, user: str, fragment: str) -> list:
    return [m for m in rig.slack.dms(user) if fragment in text_of(m.blocks)]


async def request_modal_text(rig: Rig, user: str) -> str:
    response = await rig.command(user)
    assert response.status == 200
    await rig.settle()
    return text_of(rig.last_view("peer_request")["blocks"])


async def tick(rig: Rig, by: timedelta) -> None:
    rig.clock.advance(by)
    await rig.app.deliver_due()
    await rig.app.sweep()
    await rig.settle()


async def test_nobody_on_call_alerts_coordinators_at_once_and_tells_the_requester(start_app) -> None:
    rig = await closed_office(start_app)

    # Before they ask: the modal says nobody can be reached now, and when a supporter will be.
    shown = await request_modal_text(rig, "UREQ1")
    assert NOBODY in shown and CRISIS in shown and OPENS in shown

    await ask(rig, "UREQ1", area="grief", urgency="asap", note=NOTE)
    # At once, not after PEER_URGENT_ALERT_AFTER: every coordinator, with no identity.
    for coordinator in COORDINATORS:
        [alert] = urgent_alerts(rig, coordinator)
        shown = text_of(alert.blocks)
        assert "Grief or loss" in shown and "Outside service hours" in shown and "Mon 7 Dec, 08:00" in shown
        assert has_button(alert.blocks, "urgent_take_on")
        for call in rig.slack.calls_for(coordinator):
            assert "UREQ1" not in str(call.params) and NOTE not in str(call.params)
    # The requester is told honestly, at once, with the real opening time.
    [honest] = told(rig, "UREQ1", NOBODY)
    assert CRISIS in text_of(honest.blocks) and OPENS in text_of(honest.blocks)
    assert who_holds_offers(rig, DAY_SUPPORTERS) == []

    # Sweeps through the night add nothing: one alert each, one message to the requester.
    for _ in range(3):
        await tick(rig, timedelta(minutes=10))
    assert all(len(urgent_alerts(rig, c)) == 1 for c in COORDINATORS)
    assert len(told(rig, "UREQ1", NOBODY)) == 1

    # At opening it is offered, and the alerts say it no longer waits.
    [alert] = urgent_alerts(rig, COORDINATOR)
    rig.clock.set(MONDAY_0800)
    await tick(rig, timedelta(0))
    [first, *_] = who_holds_offers(rig, DAY_SUPPORTERS)
    await rig.click(first, only_open_offer(rig, first), "offer_accept")
    await rig.settle()
    assert "no longer waiting" in text_of(rig.slack.message(alert.channel, alert.ts).blocks)


async def test_a_request_that_is_not_urgent_still_waits_quietly_for_opening(start_app) -> None:
    rig = await closed_office(start_app)
    await ask(rig, "UREQ1", urgency="this_week")
    assert not any(urgent_alerts(rig, c) or rig.slack.dms(c) for c in COORDINATORS)
    assert not told(rig, "UREQ1", NOBODY)
    assert "closed right now" in text_of(rig.slack.dms("UREQ1")[0].blocks)


async def test_the_modal_does_not_warn_when_someone_can_be_reached(start_app) -> None:
    rig = await start_app(peer_service_hours="08:00-18:00")
    await add_supporters(rig, "USUP1")
    rig.clock.set(datetime(2026, 12, 7, 10, 0, tzinfo=UTC))  # open
    assert NOBODY not in await request_modal_text(rig, "UREQ1")

    rig.clock.set(SATURDAY_1100)
    assert NOBODY in await request_modal_text(rig, "UREQ1")
    await rig.command("USUP1", "afterhours on")
    assert NOBODY not in await request_modal_text(rig, "UREQ1")
    # ... but not when the only one who could be reached is the person asking.
    assert NOBODY in await request_modal_text(rig, "USUP1")
    await rig.command("USUP1", "afterhours off")
    await rig.command(COORDINATOR, "oncall add <@UONCALL|oncall> sat,sun 00:00-24:00")
    assert NOBODY not in await request_modal_text(rig, "UREQ1")


async def test_urgent_after_hours_goes_to_on_call_first_then_after_hours_supporters_then_coordinators(
    start_app,
) -> None:
    rig = await closed_office(start_app, "USUP1", "USUPNIGHT")
    await rig.command("USUPNIGHT", "afterhours on")
    added = await rig.command(COORDINATOR, "oncall add <@UONCALL|oncall> Fri 18:00-08:00")
    assert "Added on-call shift #1" in added.text
    await rig.command(COORDINATOR, "oncall add <@UWEEKEND|weekend> sat,sun 08:00-20:00")

    await ask(rig, "UREQ1", urgency="asap", note=NOTE)
    # Saturday 11:00: the weekend on-call person alone (Friday's overnight shift ended at 08:00).
    offer = only_open_offer(rig, "UWEEKEND")
    assert "UREQ1" not in text_of(offer.blocks) and NOTE not in text_of(offer.blocks)
    assert who_holds_offers(rig, ["USUP1", "USUPNIGHT", "UONCALL"]) == []
    assert not any(urgent_alerts(rig, c) for c in COORDINATORS) and not told(rig, "UREQ1", NOBODY)

    # They pass: the after-hours supporter is next; the day supporter is not asked.
    await pass_offer(rig, "UWEEKEND")
    assert who_holds_offers(rig, ["USUP1", "USUPNIGHT"]) == ["USUPNIGHT"]
    assert not any(urgent_alerts(rig, c) for c in COORDINATORS)

    # Their offer lapses (5 minutes, around the clock): nobody is left, so a person is told now.
    await tick(rig, timedelta(minutes=5, seconds=1))
    assert all(len(urgent_alerts(rig, c)) == 1 for c in COORDINATORS)
    assert len(told(rig, "UREQ1", NOBODY)) == 1
    assert who_holds_offers(rig, ["USUP1", "USUPNIGHT", "UWEEKEND"]) == []


async def test_an_on_call_person_who_accepts_holds_the_request(start_app) -> None:
    rig = await closed_office(start_app)
    await rig.command(COORDINATOR, "oncall add <@UCOORD2|c2> daily 00:00-24:00")
    await ask(rig, "UREQ1", urgency="asap", note=NOTE)
    await rig.click("UCOORD2", only_open_offer(rig, "UCOORD2"), "offer_accept")
    await rig.settle()
    held = rig.slack.dms("UCOORD2")
    assert any(NOTE in text_of(m.blocks) and has_button(m.blocks, "request_close") for m in held)
    assert "UCOORD2" in text_of(rig.slack.dms("UREQ1")[-1].blocks)
    await tick(rig, timedelta(minutes=11))
    assert not any(urgent_alerts(rig, c) for c in COORDINATORS)


async def test_the_on_call_person_is_not_offered_a_request_that_excludes_them(start_app) -> None:
    rig = await closed_office(start_app)
    await rig.command(COORDINATOR, "oncall add <@UONCALL|o> daily 00:00-24:00")
    await ask(rig, "UREQ1", urgency="asap", excluded=["UONCALL"])
    assert not rig.open_offers_to("UONCALL")
    assert all(len(urgent_alerts(rig, c)) == 1 for c in COORDINATORS)


async def test_a_request_accepted_in_time_then_handed_back_at_night_alerts_again(start_app) -> None:
    rig = await start_app(peer_service_hours="08:00-18:00")
    await add_supporters(rig, "USUP1")
    rig.clock.set(datetime(2026, 12, 4, 17, 50, tzinfo=UTC))  # Friday, open
    await ask(rig, "UREQ1", urgency="asap")
    await rig.click("USUP1", only_open_offer(rig, "USUP1"), "offer_accept")
    await rig.settle()
    await tick(rig, timedelta(minutes=20))  # the clock's alerts are skipped: accepted in time
    held = [m for m in rig.slack.dms("USUP1") if has_button(m.blocks, "request_hand_back")][-1]
    await rig.click("USUP1", held, "request_hand_back")
    await rig.settle()
    assert all(len(urgent_alerts(rig, c)) == 1 for c in COORDINATORS)
    assert len(told(rig, "UREQ1", NOBODY)) == 1


async def test_the_alert_brought_forward_is_sent_once_across_a_restart(start_app) -> None:
    rig = await closed_office(start_app)
    # Slack refuses the first coordinator's alert: the engine sends it on a later run, once.
    rig.slack.inject(
        "chat.postMessage", Fault(502, "bad_gateway", None), match=lambda p: p.get("channel") == COORDINATOR
    )
    await ask(rig, "UREQ1", urgency="asap")
    assert len(urgent_alerts(rig, "UCOORD2")) == 1 and not urgent_alerts(rig, COORDINATOR)
    await rig.app.stop()
    rig = await start_app(peer_service_hours="08:00-18:00", peer_offer_timeout_asap="5m")
    await tick(rig, timedelta(minutes=3))
    await tick(rig, timedelta(minutes=3))
    assert all(len(urgent_alerts(rig, c)) == 1 for c in COORDINATORS)


def test_an_overnight_shift_covers_the_next_morning_only() -> None:
    shift = OnCallShift(
        id=1,
        user_id="U",
        days=parse_days("Fri"),
        start_minute=18 * 60,
        end_minute=8 * 60,
        created_by="C",
        created_at=SATURDAY_1100,
    )
    assert shift.covers(datetime(2026, 12, 4, 18, 0))  # Friday 18:00
    assert shift.covers(datetime(2026, 12, 5, 7, 59))  # Saturday 07:59
    assert not shift.covers(datetime(2026, 12, 5, 8, 0))
    assert not shift.covers(datetime(2026, 12, 4, 17, 59))
    assert not shift.covers(datetime(2026, 12, 5, 18, 0))  # Saturday is not in the shift's days


# The rota: `/peer oncall` and the Home's modal, coordinators only, audited


async def test_coordinators_keep_the_rota_with_a_command_and_it_is_audited(rig: Rig) -> None:
    listed = await rig.command(COORDINATOR, "oncall")
    assert "nobody is on call yet" in listed.text
    added = await rig.command(COORDINATOR, "oncall add <@UONCALL|o> Mon-Fri 18:00-08:00")
    assert "Added on-call shift #1: <@UONCALL> Mon-Fri 18:00-08:00 (UTC)" in added.text
    await rig.command(COORDINATOR, "oncall add <@UWEEKEND|w> sat,sun 00:00-24:00")
    listed = await rig.command(COORDINATOR, "oncall list")
    assert (
        "#1 <@UONCALL> Mon-Fri 18:00-08:00" in listed.text
        and "#2 <@UWEEKEND> Sat,Sun 00:00-24:00" in listed.text
    )
    assert "On call now: nobody." in listed.text  # Monday 10:00

    for bad, says in (
        ("oncall add <@UX|x> Funday 18:00-08:00", "Please give days like Mon-Fri"),
        ("oncall add <@UX|x> Mon 18:00-18:00", "two different times of day"),
        ("oncall add <@UX|x> Mon 9-5", "HH:MM-HH:MM"),
        ("oncall add someone Mon 09:00-17:00", "Mention people with @"),
        ("oncall add <@UX|x>", "Use `/peer oncall`"),
        ("oncall remove 99", "There is no on-call shift #99"),
        ("oncall remove two", "Use `/peer oncall`"),
    ):
        response = await rig.command(COORDINATOR, bad)
        assert response.status == 200 and says in response.text, (bad, response.text)

    removed = await rig.command(COORDINATOR, "oncall remove 1")
    assert "Removed on-call shift #1: <@UONCALL>" in removed.text
    assert "UONCALL" not in (await rig.command(COORDINATOR, "oncall")).text
    audit = (await rig.command(COORDINATOR, "audit")).text
    assert "on-call added" in audit and "on-call removed" in audit

    refused = await rig.command("USUP1", "oncall add <@USUP1|me> daily 00:00-24:00")
    assert "only program coordinators" in refused.text
    assert "only program coordinators" in (await rig.command("USUP1", "oncall")).text


async def test_the_home_modal_adds_a_shift_with_errors_at_their_fields(rig: Rig) -> None:
    await open_home(rig, COORDINATOR)
    await rig.home_click(COORDINATOR, "home_oncall")
    await rig.settle()
    view = rig.last_view("peer_oncall")
    assert "nobody is on call yet" in text_of(view["blocks"])

    bad = await rig.submit(
        COORDINATOR, view, {"oncall_person": None, "oncall_days": "someday", "oncall_hours": "late"}
    )
    assert bad.status == 200
    errors = bad.json["errors"]
    assert set(errors) == {"oncall_person", "oncall_days", "oncall_hours"}
    async with rig.app.db.read() as tx:  # type: ignore[union-attr]
        assert await tx.oncall.shifts() == []

    ok = await rig.submit(
        COORDINATOR, view, {"oncall_person": "UONCALL", "oncall_days": "daily", "oncall_hours": "18:00-08:00"}
    )
    assert ok.status == 200 and ok.text == ""
    async with rig.app.db.read() as tx:  # type: ignore[union-attr]
        [shift] = await tx.oncall.shifts()
    assert shift.user_id == "UONCALL" and shift.days == frozenset(range(7)) and shift.end_minute == 480
