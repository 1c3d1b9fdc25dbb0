"""Service hours: when offers go out, and offer clocks that only run while the program is open."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.service_hours import ServiceHours
from tests.flows import COORDINATOR, add_supporters, ask, who_holds_offers
from tests.rig import text_of

FRIDAY_1750 = datetime(2026, 12, 4, 17, 50, tzinfo=UTC)
SATURDAY_1100 = datetime(2026, 12, 5, 11, 0, tzinfo=UTC)
MONDAY_0800 = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


def test_default_hours_are_weekdays_eight_to_six() -> None:
    hours = ServiceHours.parse("08:00-18:00", "UTC")
    assert hours.is_open(FRIDAY_1750)
    assert not hours.is_open(SATURDAY_1100)
    assert not hours.is_open(datetime(2026, 12, 7, 7, 59, tzinfo=UTC))
    assert hours.next_opening(SATURDAY_1100) == MONDAY_0800
    assert hours.next_opening(FRIDAY_1750) == FRIDAY_1750


def test_open_time_skips_nights_and_weekends() -> None:
    hours = ServiceHours.parse("08:00-18:00", "UTC")
    assert hours.add_open_time(FRIDAY_1750, timedelta(minutes=15)) == MONDAY_0800 + timedelta(minutes=5)
    assert hours.add_open_time(SATURDAY_1100, timedelta(minutes=15)) == MONDAY_0800 + timedelta(minutes=15)


def test_hours_follow_the_local_time_zone_across_dst() -> None:
    hours = ServiceHours.parse("Mon-Sun 09:00-17:00", "America/New_York")
    # 9:00 in New York is 14:00 UTC in winter and 13:00 UTC in summer.
    assert hours.next_opening(datetime(2026, 1, 10, 12, 0, tzinfo=UTC)) == datetime(
        2026, 1, 10, 14, 0, tzinfo=UTC
    )
    assert hours.next_opening(datetime(2026, 7, 10, 12, 0, tzinfo=UTC)) == datetime(
        2026, 7, 10, 13, 0, tzinfo=UTC
    )


def test_any_means_always_open() -> None:
    hours = ServiceHours.parse("any", "UTC")
    assert hours.is_open(SATURDAY_1100)
    assert hours.add_open_time(SATURDAY_1100, timedelta(minutes=15)) == SATURDAY_1100 + timedelta(minutes=15)


@pytest.mark.parametrize("spec", ["9-5", "18:00-08:00", "Mon-Funday 08:00-18:00", "08:00-25:00", ""])
def test_bad_specs_are_refused(spec: str) -> None:
    with pytest.raises(ValueError):
        ServiceHours.parse(spec, "UTC")


async def test_an_offer_deadline_does_not_run_over_the_weekend(start_app) -> None:
    rig = await start_app(peer_service_hours="08:00-18:00")
    await add_supporters(rig, "USUP1", "USUP2")
    rig.clock.set(FRIDAY_1750)
    await ask(rig, "UREQ1")
    [first] = who_holds_offers(rig, ["USUP1", "USUP2"])

    rig.clock.set(MONDAY_0800 + timedelta(minutes=4))
    await rig.app.sweep()
    await rig.settle()
    assert who_holds_offers(rig, ["USUP1", "USUP2"]) == [first], (
        "the offer expired while the program was closed"
    )

    rig.clock.set(MONDAY_0800 + timedelta(minutes=6))
    await rig.app.sweep()
    await rig.settle()
    assert who_holds_offers(rig, ["USUP1", "USUP2"]) == [s for s in ["USUP1", "USUP2"] if s != first]


async def test_a_request_outside_hours_waits_for_the_opening_and_gets_resources_at_once(start_app) -> None:
    rig = await start_app(peer_service_hours="08:00-18:00")
    await add_supporters(rig, "USUP1")
    rig.clock.set(SATURDAY_1100)
    await ask(rig, "UREQ1")

    assert not rig.open_offers_to("USUP1")
    received = text_of(rig.slack.dms("UREQ1")[0].blocks)
    assert "closed right now" in received and "Mon 7 Dec, 08:00" in received and "988" in received
    assert not any("is waiting" in text_of(m.blocks) for m in rig.slack.dms(COORDINATOR)), (
        "escalated while closed"
    )

    rig.clock.set(MONDAY_0800)
    await rig.app.sweep()
    await rig.settle()
    assert len(rig.open_offers_to("USUP1")) == 1


async def test_after_hours_supporters_get_offers_when_the_program_is_closed(start_app) -> None:
    rig = await start_app(peer_service_hours="08:00-18:00")
    await add_supporters(rig, "USUP1", "USUPNIGHT")
    await rig.command("USUPNIGHT", "afterhours on")
    rig.clock.set(SATURDAY_1100)
    await ask(rig, "UREQ1")
    assert who_holds_offers(rig, ["USUP1", "USUPNIGHT"]) == ["USUPNIGHT"]

    # Their offer clock runs around the clock: it expires on Saturday and waits for Monday.
    rig.clock.advance(timedelta(minutes=16))
    await rig.app.sweep()
    await rig.settle()
    assert who_holds_offers(rig, ["USUP1", "USUPNIGHT"]) == []
    rig.clock.set(MONDAY_0800)
    await rig.app.sweep()
    await rig.settle()
    assert who_holds_offers(rig, ["USUP1", "USUPNIGHT"]) == ["USUP1"]


def test_checkin_window_moves_a_weekend_checkin_to_monday_across_the_dst_change() -> None:
    window = ServiceHours.parse("09:00-17:00", "America/New_York")
    # Saturday 7 March 2026 (EST); clocks go forward on Sunday the 8th.
    saturday = datetime(2026, 3, 7, 15, 0, tzinfo=UTC)
    assert window.next_opening(saturday) == datetime(2026, 3, 9, 13, 0, tzinfo=UTC)  # 09:00 EDT
    friday_late = datetime(2026, 3, 6, 23, 0, tzinfo=UTC)  # 18:00 EST Friday
    assert window.next_opening(friday_late) == datetime(2026, 3, 9, 13, 0, tzinfo=UTC)
    # And back in November: Monday 9 Nov 2026 09:00 EST is 14:00 UTC.
    assert window.next_opening(datetime(2026, 11, 7, 15, 0, tzinfo=UTC)) == datetime(
        2026, 11, 9, 14, 0, tzinfo=UTC
    )
