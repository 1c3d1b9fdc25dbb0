"""Real processes on one database: a kill -9 between check-ins, and two instances at once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from slack_standin import SlackStandIn
from slack_standin.driver import TOKEN, SlackDriver, has_button
from tests.processes import BotProcess

AFFECTED = ["UAFF1", "UAFF2", "UAFF3"]
COORDINATOR = "UCOORD1"


@pytest.fixture
async def slack() -> AsyncIterator[SlackStandIn]:
    standin = SlackStandIn(token=TOKEN)
    await standin.start()
    standin.add_users(*AFFECTED, COORDINATOR)
    yield standin
    await standin.stop()


async def log_incident(slack: SlackStandIn, bot: BotProcess) -> None:
    async with aiohttp.ClientSession() as session:
        driver = SlackDriver(slack, session, url=f"http://127.0.0.1:{bot.port}/slack/events")
        await driver.command(COORDINATOR, "incident")
        views = await slack.wait_for(
            lambda: [v for v in slack.views.values() if v["callback_id"] == "peer_incident"]
        )
        response = await driver.submit(
            COORDINATOR,
            views[-1],
            {
                "incident_kind": "critical_incident",
                "incident_name": "Courthouse shooting",
                "incident_date": "2026-01-05",
                "incident_people": AFFECTED,
            },
        )
        assert response.status == 200 and response.text == "", response.text


def checkins(slack: SlackStandIn, user: str) -> int:
    return sum(1 for m in slack.dms(user) if has_button(m.blocks, "checkin_ok"))


async def test_a_kill_9_between_checkins_neither_loses_nor_duplicates(
    slack: SlackStandIn, tmp_path: Path
) -> None:
    db, log = tmp_path / "bot.db", tmp_path / "bot.log"
    first = BotProcess(slack, db, log)
    await first.start()
    try:
        await log_incident(slack, first)
        await slack.wait_for(lambda: all(checkins(slack, u) == 1 for u in AFFECTED), timeout=15)
        await first.kill()
    finally:
        await first.stop()

    second = BotProcess(slack, db, log)
    await second.start()
    try:
        await slack.wait_for(lambda: all(checkins(slack, u) == 2 for u in AFFECTED), timeout=15)
        await asyncio.sleep(1.0)  # give a duplicate every chance to appear
    finally:
        await second.stop()
    assert [checkins(slack, u) for u in AFFECTED] == [2, 2, 2]


async def test_two_instances_on_one_database_send_each_checkin_once(
    slack: SlackStandIn, tmp_path: Path
) -> None:
    db, log = tmp_path / "bot.db", tmp_path / "bot.log"
    one, two = BotProcess(slack, db, log), BotProcess(slack, db, log)
    await one.start()
    await two.start()
    try:
        await log_incident(slack, one)
        await slack.wait_for(lambda: all(checkins(slack, u) == 2 for u in AFFECTED), timeout=20)
        await asyncio.sleep(1.0)
    finally:
        await one.stop()
        await two.stop()
    assert [checkins(slack, u) for u in AFFECTED] == [2, 2, 2]
    assert "Traceback" not in log.read_text()
