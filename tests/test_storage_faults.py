"""The database refuses writes: read-only, then a full disk. People are asked to try again,
``/healthz`` turns 503, nothing is half-written, and all is well once the fault clears.

Read-only: SQLite's ``query_only`` on the app's own connection (a file made read-only while
open would change nothing: the descriptor keeps its write access). Disk full: the real
``python -m bot`` process gets a file-size limit of one byte (``RLIMIT_FSIZE``, set and lifted
from outside with ``prlimit``), so every write to any file fails as on a full disk.
"""

from __future__ import annotations

import asyncio
import resource
import signal
import sqlite3
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from handlers.common.errors import SOMETHING_WENT_WRONG
from slack_standin import SlackStandIn
from slack_standin.driver import TOKEN, SlackDriver
from tests.conftest import sqlite_only
from tests.flows import COORDINATOR, add_supporters, ask, only_open_offer, open_close_modal
from tests.processes import BotProcess
from tests.rig import Rig
from tests.world import snapshot

TRY_AGAIN = "Please try again in a moment"
# SQLite's own faults: a read-only switch (query_only) and a file-size limit on its files.
pytestmark = sqlite_only

REQUEST = {"area": "grief", "urgency": "this_week", "contact": "phone", "note": "half-written?"}


async def read_only(rig: Rig, on: bool) -> None:
    async with rig.app.db.read() as tx:  # type: ignore[union-attr]
        await tx.conn.execute(f"PRAGMA query_only = {int(on)}")


async def test_a_read_only_database_asks_people_to_try_again_and_recovers(rig: Rig, db_path: Path) -> None:
    await add_supporters(rig, "USUP1", "USUP2")
    await ask(rig, "UREQ1", preferred="USUP1")
    offer = only_open_offer(rig, "USUP1")
    await rig.command("UREQ2")
    await rig.settle()
    request_modal = rig.last_view("peer_request")
    before = await snapshot(rig.app.db)  # type: ignore[arg-type]
    assert (await rig.health()).status == 200

    await read_only(rig, True)

    # A command: the answer says to try again.
    added = await rig.command(COORDINATOR, "roster add <@UNEW|new> trained 2026-01-15")
    assert TRY_AGAIN in added.json["text"]
    # A modal: it stays open with the same words, instead of closing as if it had worked.
    submitted = await rig.submit("UREQ2", request_modal, REQUEST)
    assert TRY_AGAIN in next(iter(submitted.json["errors"].values()))
    # A button: the clicker is told the same.
    await rig.click("USUP1", offer, "offer_accept")
    await rig.settle()
    assert rig.slack.calls_of("chat.postEphemeral")[-1].params["text"] == SOMETHING_WENT_WRONG
    assert (await rig.health()).status == 503
    assert (await rig.health()).json == {"status": "unavailable", "storage": "unavailable"}
    assert await snapshot(rig.app.db) == before, "something was half-written"  # type: ignore[arg-type]

    await read_only(rig, False)

    assert (await rig.health()).status == 200
    assert (await rig.submit("UREQ2", request_modal, REQUEST)).text == ""
    await rig.click("USUP1", offer, "offer_accept")
    await rig.settle()
    status = await rig.app.services.requests.status(requester_id="UREQ1")  # type: ignore[union-attr]
    assert status is not None and status.assignee_id == "USUP1"


async def test_closing_a_request_when_the_database_refuses_keeps_the_modal_open_and_changes_nothing(
    rig: Rig, db_path: Path
) -> None:
    await add_supporters(rig, "USUP1")
    await ask(rig, "UREQ1")
    close_modal = await open_close_modal(rig, "USUP1")

    await read_only(rig, True)
    # The close is written before the modal is answered: it stays open with the words.
    submitted = await rig.submit("USUP1", close_modal, {"minutes": "30", "referral": "none"})
    await rig.settle()

    assert TRY_AGAIN in next(iter(submitted.json["errors"].values()))
    await read_only(rig, False)
    status = await rig.app.services.requests.status(requester_id="UREQ1")  # type: ignore[union-attr]
    assert status is not None and status.assignee_id == "USUP1", "the failed close changed something"
    # Once the fault clears, the same modal closes the request.
    assert (await rig.submit("USUP1", close_modal, {"minutes": "30", "referral": "none"})).text == ""
    assert await rig.app.services.requests.status(requester_id="UREQ1") is None  # type: ignore[union-attr]


def _ignore_file_size_signal() -> None:
    # Past RLIMIT_FSIZE a write raises SIGXFSZ, which kills by default; ignored, it fails with EFBIG.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def _disk_full(pid: int, full: bool) -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.prlimit(pid, resource.RLIMIT_FSIZE, (1 if full else hard, hard))


def _rows(db: Path, sql: str) -> list[Any]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


@pytest.mark.skipif(not hasattr(resource, "prlimit"), reason="needs Linux prlimit")
async def test_a_full_disk_asks_people_to_try_again_turns_health_503_and_recovers(tmp_path: Path) -> None:
    slack = SlackStandIn(token=TOKEN)
    await slack.start()
    db, log = tmp_path / "full.db", tmp_path / "full.log"
    bot = BotProcess(slack, f"sqlite:///{db}", log, preexec=_ignore_file_size_signal)
    await bot.start()
    assert bot.proc is not None
    try:
        async with aiohttp.ClientSession() as session:
            driver = SlackDriver(slack, session, url=bot.url)
            await driver.command(COORDINATOR, "roster add <@USUP1|one> trained 2026-01-15")
            opened = await driver.command("UREQ1", trigger_id="full.1")
            assert opened.status == 200
            view = slack.views[await slack.wait_for(lambda: slack.view_by_trigger.get("full.1"))]
            before = _rows(db, "SELECT COUNT(*) FROM peer_requests")

            _disk_full(bot.proc.pid, True)
            refused = await driver.submit("UREQ1", view, REQUEST)
            command = await driver.command(COORDINATOR, "roster add <@UNEW|new> trained 2026-01-15")
            # Let the process's own jobs run (every 0.2 s): finding nothing to do, they commit
            # without writing, which must not count as the disk taking writes again.
            await asyncio.sleep(0.6)
            health_while_full = await bot.health()
            _disk_full(bot.proc.pid, False)

            assert TRY_AGAIN in next(iter(refused.json["errors"].values()))
            assert TRY_AGAIN in command.json["text"]
            assert health_while_full == 503, log.read_text()[-4000:]
            assert _rows(db, "SELECT COUNT(*) FROM peer_requests") == before, "something was half-written"
            assert _rows(db, "SELECT user_id FROM supporters") == [("USUP1",)]
            assert await bot.health() == 200
            assert (await driver.submit("UREQ1", view, REQUEST)).text == ""
            await slack.wait_for(lambda: [m for m in slack.dms("USUP1")])
    finally:
        await bot.stop()
        await slack.stop()
    assert _rows(db, "PRAGMA integrity_check") == [("ok",)]
    assert _rows(db, "SELECT requester_id, state FROM peer_requests") == [("UREQ1", "offered")]
