"""Real processes on one database: a kill -9 between check-ins, and two instances at once."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from slack_standin import SlackStandIn
from slack_standin.driver import SIGNING_SECRET, TOKEN, SlackDriver, has_button

ROOT = Path(__file__).resolve().parents[1]
AFFECTED = ["UAFF1", "UAFF2", "UAFF3"]
COORDINATOR = "UCOORD1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class BotProcess:
    """``python -m bot`` as operators run it, against the stand-in."""

    def __init__(self, slack: SlackStandIn, db: Path, log: Path) -> None:
        self.port = free_port()
        self.env = {
            "PATH": os.environ.get("PATH", ""),
            "PYTHONPATH": str(ROOT),
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": slack.base_url,
            "DATABASE_URL": f"sqlite:///{db}",
            "PORT": str(self.port),
            "PEER_COORDINATORS": COORDINATOR,
            "PEER_SERVICE_HOURS": "any",
            "PEER_CHECKIN_OFFSETS": "2s,4s",
            "PEER_CHECKIN_HOURS": "any",
            "PEER_CHECKIN_RATE": "1000",
            "PEER_SWEEP_SECONDS": "0.2",
        }
        self.log = log
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", cwd=ROOT, env=self.env, stdout=out, stderr=out
            )
        async with aiohttp.ClientSession() as session:
            for _ in range(150):
                try:
                    async with session.get(f"http://127.0.0.1:{self.port}/healthz") as resp:
                        if resp.status == 200:
                            return
                except aiohttp.ClientConnectionError:
                    pass
                await asyncio.sleep(0.1)
        raise AssertionError("the bot never became healthy:\n" + self.log.read_text())

    async def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        await self.proc.wait()

    async def stop(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
            await asyncio.wait_for(self.proc.wait(), timeout=15)


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
