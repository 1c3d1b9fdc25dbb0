"""Real processes on one database: a kill -9 between check-ins, and two instances at once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from slack_standin import SlackStandIn
from slack_standin.driver import TOKEN, SlackDriver, has_button
from slack_standin.server import Message
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
    slack: SlackStandIn, database_url: str, tmp_path: Path
) -> None:
    db, log = database_url, tmp_path / "bot.log"
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
    slack: SlackStandIn, database_url: str, tmp_path: Path
) -> None:
    db, log = database_url, tmp_path / "bot.log"
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


SUPPORTERS = ["USUP1", "USUP2", "USUP3"]


async def test_three_instances_assign_each_request_once_even_when_one_is_killed(
    slack: SlackStandIn, database_url: str, tmp_path: Path
) -> None:
    log = tmp_path / "bot.log"
    bots = [BotProcess(slack, database_url, log) for _ in range(3)]
    for bot in bots:
        bot.env["PEER_SUPPORTER_CAPACITY"] = "100"
        await bot.start()
    requesters = [f"UREQ{n:02d}" for n in range(24)]
    try:
        async with aiohttp.ClientSession() as session:
            drivers = [
                SlackDriver(slack, session, url=f"http://127.0.0.1:{b.port}/slack/events") for b in bots
            ]
            roster = " ".join(f"<@{s}|{s.lower()}>" for s in SUPPORTERS)
            await drivers[0].command(COORDINATOR, f"roster add {roster} trained 2026-01-15")

            async def ask(n: int, requester: str) -> None:
                driver = drivers[n % 2]  # the third instance will be killed; it only routes and sweeps
                await driver.command(requester)
                view = await slack.wait_for(lambda: driver.view_opened_for(requester))
                form = {"area": "work_stress", "urgency": "asap", "contact": "slack", "note": None}
                response = await driver.submit(requester, view, form)
                assert response.status == 200 and response.text == "", response.text

            await asyncio.gather(*(ask(n, r) for n, r in enumerate(requesters)))
            await bots[2].kill()
            # Every supporter clicks Accept on every offer they see, through both live instances at once.
            clicked: set[tuple[str, str]] = set()
            for _ in range(60):
                offers = [
                    (s, m)
                    for s in SUPPORTERS
                    for m in slack.dms(s)
                    if has_button(m.blocks, "offer_accept") and (s, m.ts) not in clicked
                ]
                for s, m in offers:
                    clicked.add((s, m.ts))
                await asyncio.gather(
                    *(_accept_if_shown(drivers[i % 2], s, m) for i, (s, m) in enumerate(offers))
                )
                if all(_assigned_notices(slack, r) for r in requesters):
                    break
                await asyncio.sleep(0.2)
            await asyncio.sleep(0.5)
    finally:
        for bot in bots:
            await bot.stop()
    notices = {r: _assigned_notices(slack, r) for r in requesters}
    assert all(len(n) == 1 for n in notices.values()), {r: len(n) for r, n in notices.items()}
    held_by = [
        m
        for s in SUPPORTERS
        for m in slack.dms(s)
        if any(f"<@{r}>" in str(m.blocks) for r in requesters) and "You're supporting" in str(m.blocks)
    ]
    assert len(held_by) == len(requesters), "a request was held twice, or not at all"


async def _accept_if_shown(driver: SlackDriver, supporter: str, message: Message) -> None:
    """Click Accept unless the offer was redrawn without it since it was seen (another supporter's
    accept, landing between the look and the click: a person would no longer see the button)."""
    if has_button(message.blocks, "offer_accept"):
        await driver.click(supporter, message, "offer_accept")


def _assigned_notices(slack: SlackStandIn, requester: str) -> list:
    return [m for m in slack.dms(requester) if "will reach out to you" in str(m.blocks)]
