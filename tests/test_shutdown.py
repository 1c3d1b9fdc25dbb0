"""SIGTERM, as a platform stops the app during a deploy: a real process, in the middle of a wave.

The process stops accepting connections, answers the request it is serving, finishes the
check-in in hand, claims no more, and exits 0; the next process sends the rest. Nothing is lost,
nothing is sent twice, and no message is left claimed or unconfirmed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from slack_standin import SlackStandIn
from slack_standin.driver import TOKEN, SlackDriver, has_button
from storage.db import Database
from storage.models import ScheduledState
from tests.processes import BotProcess

COORDINATOR = "UCOORD1"
PEOPLE = [f"UWAVE{n:03d}" for n in range(60)]
LATE_REQUESTER = "ULATE01"
WAVE = {"PEER_CHECKIN_OFFSETS": "2s", "PEER_CHECKIN_RATE": "20"}  # 60 check-ins take 3 s


@pytest.fixture
async def slack() -> AsyncIterator[SlackStandIn]:
    standin = SlackStandIn(token=TOKEN)
    await standin.start()
    standin.add_users(*PEOPLE, COORDINATOR, LATE_REQUESTER)
    yield standin
    await standin.stop()


def checkins(slack: SlackStandIn, user: str) -> int:
    return sum(1 for m in slack.dms(user) if has_button(m.blocks, "checkin_ok"))


def delivered(slack: SlackStandIn) -> int:
    return sum(checkins(slack, u) for u in PEOPLE)


async def states(database_url: str) -> dict[ScheduledState, int]:
    db = await Database.open(database_url)
    try:
        async with db.read() as tx:
            return await tx.schedule.progress(1)
    finally:
        await db.close()


async def reachable(port: int) -> bool:
    try:
        async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{port}/healthz"):
            return True
    except aiohttp.ClientConnectionError:
        return False


async def test_sigterm_during_a_checkin_wave_loses_nothing_and_sends_nothing_twice(
    slack: SlackStandIn, database_url: str, tmp_path: Path
) -> None:
    log = tmp_path / "bot.log"
    first = BotProcess(slack, database_url, log, env=WAVE)
    await first.start()
    async with aiohttp.ClientSession() as session:
        driver = SlackDriver(slack, session, url=first.url)
        await driver.command(COORDINATOR, "incident")
        view = await slack.wait_for(
            lambda: next((v for v in slack.views.values() if v["callback_id"] == "peer_incident"), None)
        )
        form = {
            "incident_kind": "critical_incident",
            "incident_name": "Courthouse shooting",
            "incident_date": "2026-01-05",
            "incident_people": PEOPLE,
        }
        response = await driver.submit(COORDINATOR, view, form)
        assert response.status == 200 and response.text == "", response.text
        await slack.wait_for(lambda: delivered(slack) >= 5, timeout=15)

        # Work in flight when the signal comes: a /peer was acknowledged and its modal is opening.
        slack.hold("views.open")
        opened = len(slack.calls_of("views.open"))
        assert (await driver.command(LATE_REQUESTER)).status == 200
        await slack.wait_for(lambda: len(slack.calls_of("views.open")) > opened)

        assert first.proc is not None
        signalled = time.monotonic()
        first.proc.terminate()  # SIGTERM
        for _ in range(100):  # the port closes at once...
            if not await reachable(first.port):
                break
            await asyncio.sleep(0.02)
        else:
            raise AssertionError("the process kept accepting connections after SIGTERM")
        await asyncio.sleep(0.3)
        assert first.proc.returncode is None, "...but the process waits for the work in flight"
        slack.release("views.open")
        code = await asyncio.wait_for(first.proc.wait(), timeout=15)
        assert driver.view_opened_for(LATE_REQUESTER), "the modal in flight was never opened"
    stopped_after = time.monotonic() - signalled
    assert code == 0, log.read_text()[-3000:]
    sent_by_first = delivered(slack)
    assert sent_by_first < len(PEOPLE), (
        "the whole wave went out: it ended before the signal, or went on after it"
    )
    assert stopped_after < 5, f"took {stopped_after:.1f} s to stop"
    left = await states(database_url)
    # Everything is either sent or still due: nothing claimed, unconfirmed or missed.
    assert set(left) <= {ScheduledState.SENT, ScheduledState.DUE}, left
    assert left.get(ScheduledState.SENT, 0) == sent_by_first
    assert left.get(ScheduledState.DUE, 0) == len(PEOPLE) - sent_by_first

    second = BotProcess(slack, database_url, log, env=WAVE)
    await second.start()
    try:
        await slack.wait_for(lambda: delivered(slack) == len(PEOPLE), timeout=20)
        await asyncio.sleep(0.5)  # give a duplicate every chance to appear
    finally:
        await second.stop()
    assert [checkins(slack, u) for u in PEOPLE] == [1] * len(PEOPLE)
    assert await states(database_url) == {ScheduledState.SENT: len(PEOPLE)}
    text = log.read_text()
    assert "Traceback" not in text and "unconfirmed" not in text
