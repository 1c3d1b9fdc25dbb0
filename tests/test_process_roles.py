"""``python -m bot web`` and ``python -m bot worker`` as separate real processes on one database.

The web process only answers Slack; the worker routes, offers, notifies and runs the scheduler.
They share nothing but the database (a SQLite file, or PostgreSQL with ``TEST_DATABASE_URL``).
Every Web API call names the role that made it (``X-Peer-Support-Role``), so each test checks
the web process's calls against the rule in ``bot/handoff.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest

from bot.app import ROLE_HEADER
from bot.handoff import HandoffKind
from handlers.common.clicks import click_only
from slack_standin import SlackStandIn
from slack_standin.driver import TOKEN, SlackDriver, has_button
from tests.conftest import ON_POSTGRES, StartApp
from tests.processes import BotProcess

# Slack's own example of a button click (a copy of the shared slack-payloads/block_actions.json).
BLOCK_ACTIONS = Path(__file__).parent / "fixtures" / "slack_block_actions.json"
COORDINATOR = "UCOORD1"
SUPPORTERS = ["USUP1", "USUP2", "USUP3"]
# What a web process may call (the rule in bot/handoff.py): the modal it opens, a private reply to
# the person who acted, the Home its viewer opened, the reads that build or check that answer
# (names for the request modal's picker, a chosen channel), and Bolt's own auth.test.
ANSWERING = {
    "views.open",
    "chat.postEphemeral",
    "views.publish",
    "users.list",
    "conversations.info",
    "auth.test",
}
FORM = {"area": "work_stress", "urgency": "this_week", "contact": "slack", "note": None}


@pytest.fixture
async def slack() -> AsyncIterator[SlackStandIn]:
    standin = SlackStandIn(token=TOKEN)
    await standin.start()
    standin.add_users(COORDINATOR, *SUPPORTERS)
    yield standin
    await standin.stop()


def roles(
    slack: SlackStandIn, *, database_url: str, tmp_path: Path, env: dict[str, str] | None = None
) -> tuple[BotProcess, BotProcess]:
    env = {"PEER_SUPPORTER_CAPACITY": "100", "PEER_WORKER_POLL": "0.1", **(env or {})}
    web = BotProcess(slack, database_url, tmp_path / "web.log", role="web", env=env)
    worker = BotProcess(slack, database_url, tmp_path / "worker.log", role="worker", env=env)
    return web, worker


@dataclass
class Office:
    """A web process and its workers (a killed one stays listed, so all are stopped at the end)."""

    web: BotProcess
    workers: list[BotProcess]
    driver: SlackDriver


@contextlib.asynccontextmanager
async def office(
    slack: SlackStandIn,
    database_url: str,
    tmp_path: Path,
    people: list[str],
    supporters: list[str],
    env: dict[str, str] | None = None,
) -> AsyncIterator[Office]:
    """Web and worker started on one database, ``supporters`` on the roster (added through the web)."""
    web, worker = roles(slack, database_url=database_url, tmp_path=tmp_path, env=env)
    await web.start()
    await worker.start()
    slack.add_users(*people)
    started = Office(
        web=web, workers=[worker], driver=SlackDriver(slack, aiohttp.ClientSession(), url=web.url)
    )
    try:
        roster = " ".join(f"<@{s}|{s.lower()}>" for s in supporters)
        await started.driver.command(COORDINATOR, f"roster add {roster} trained 2026-01-15")
        yield started
    finally:
        await started.driver.session.close()
        await web.stop()
        for each in started.workers:
            await each.stop()


async def a_worker(slack: SlackStandIn, web: BotProcess) -> BotProcess:
    """Another worker on the web process's database (a restart), started."""
    env = {k: v for k, v in web.env.items() if k != "PORT"}
    worker = BotProcess(slack, env["DATABASE_URL"], web.log.with_name("worker.log"), role="worker", env=env)
    await worker.start()
    return worker


def offers(slack: SlackStandIn) -> list[str]:
    """The offer DMs at the stand-in, as the offer each carries (its Accept button's value)."""
    values = []
    for supporter in SUPPORTERS:
        for message in slack.dms(supporter):
            for block in message.history[0]["blocks"] if message.history else message.blocks:
                for element in block.get("elements", []):
                    if element.get("action_id") == "offer_accept":
                        values.append(element["value"])
    return values


def calls_by(slack: SlackStandIn, role: str) -> Counter[str]:
    return Counter(
        c.method
        for c in slack.calls
        if {k.lower(): v for k, v in c.headers.items()}.get(ROLE_HEADER.lower()) == role
    )


async def ask(driver: SlackDriver, slack: SlackStandIn, requester: str) -> None:
    await driver.command(requester)
    view = await slack.wait_for(lambda: driver.view_opened_for(requester))
    response = await driver.submit(requester, view, FORM)
    assert response.status == 200 and response.text == "", response.text


async def submit_incident(driver: SlackDriver, slack: SlackStandIn, channel: str) -> None:
    """The coordinator logs an incident naming everyone in ``channel`` (the plan: PEER_CHECKIN_OFFSETS)."""
    await driver.command(COORDINATOR, "incident")
    view = await slack.wait_for(lambda: driver.view_opened_for(COORDINATOR))
    yesterday = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    values = {
        "incident_kind": "critical_incident",
        "incident_name": "Courthouse shooting",
        "incident_date": yesterday,
        "incident_people": [],
        "incident_channel": channel,
    }
    submitted = await driver.submit(COORDINATOR, view, values)
    assert submitted.status == 200 and submitted.text == "", submitted.text


def assert_nothing_twice(slack: SlackStandIn, people: list[str]) -> None:
    for person in people:
        # Each DM as first posted: two alike would be one message sent twice.
        texts = Counter(
            json.dumps(m.history[0]["blocks"] if m.history else m.blocks, sort_keys=True)
            for m in slack.dms(person)
        )
        assert all(n == 1 for n in texts.values()), (person, texts)


async def test_web_and_worker_route_each_request_once_across_a_worker_kill_9(
    slack: SlackStandIn, database_url: str, tmp_path: Path
) -> None:
    requesters = [f"UREQ{n:02d}" for n in range(16)]
    async with office(slack, database_url, tmp_path, requesters, SUPPORTERS) as it:
        driver, workers = it.driver, it.workers
        await asyncio.gather(*(ask(driver, slack, r) for r in requesters[:6]))
        await slack.wait_for(lambda: len(offers(slack)) == 6, timeout=15)

        await workers[-1].kill()
        # Made while no worker runs: stored and acked, and nobody is offered them yet.
        await asyncio.gather(*(ask(driver, slack, r) for r in requesters[6:12]))
        await asyncio.sleep(0.5)
        assert len(offers(slack)) == 6

        workers.append(await a_worker(slack, it.web))
        await slack.wait_for(lambda: len(offers(slack)) == 12, timeout=15)
        # Killed again right after the acks, in the middle of routing them; and restarted.
        await asyncio.gather(*(ask(driver, slack, r) for r in requesters[12:]))
        await workers[-1].kill()
        workers.append(await a_worker(slack, it.web))
        await slack.wait_for(lambda: len(offers(slack)) == 16, timeout=15)

        # Accept, clicked through the web process: the worker takes each click once.
        for supporter in SUPPORTERS:
            for message in list(slack.dms(supporter)):
                if has_button(message.blocks, "offer_accept"):
                    await driver.click(supporter, message, "offer_accept")
        await slack.wait_for(
            lambda: all(
                any("will reach out to you" in str(m.blocks) for m in slack.dms(r)) for r in requesters
            ),
            timeout=15,
        )
        await asyncio.sleep(1.0)  # give a duplicate every chance to appear
    assert sorted(Counter(offers(slack)).values()) == [1] * 16, (
        "an offer DM was sent twice, or one is missing"
    )
    assert_nothing_twice(slack, requesters + SUPPORTERS)
    web_calls = calls_by(slack, "web")
    assert set(web_calls) <= ANSWERING, web_calls
    assert web_calls["views.open"] == len(requesters)
    assert calls_by(slack, "worker")["chat.postMessage"] >= 16 + 16  # offers, then the requesters' notices


async def test_a_request_made_while_the_worker_prepares_an_incident_is_offered_without_waiting(
    slack: SlackStandIn, database_url: str, tmp_path: Path
) -> None:
    requester, crowd = "UREQ01", [f"UCROWD{n:03d}" for n in range(40)]
    # No sweep in the test's time: only the worker's own loop can route the request.
    no_sweep = {"PEER_SWEEP_SECONDS": "600"}
    async with office(slack, database_url, tmp_path, [requester, *crowd], SUPPORTERS[:1], no_sweep) as it:
        driver = it.driver
        slack.add_channel("CCROWD", *crowd)
        # The incident's preparation starts and stays in the middle (its channel's members asked for,
        # no answer yet), as a large one would for seconds.
        slack.hold("conversations.members")
        await submit_incident(driver, slack, "CCROWD")
        await slack.wait_for(lambda: slack.calls_of("conversations.members"), timeout=15)

        await ask(driver, slack, requester)
        await slack.wait_for(lambda: offers(slack), timeout=15)
        assert not slack.dms(COORDINATOR), "the incident was prepared first: the request waited for it"

        slack.release("conversations.members")
        summary = await slack.wait_for(lambda: slack.dms(COORDINATOR), timeout=15)
    assert "80 check-ins scheduled for 40 people" in str(summary[-1].blocks)
    assert len(offers(slack)) == 1


async def test_requests_are_offered_while_a_wave_of_checkins_is_held_up_at_slack(
    slack: SlackStandIn, database_url: str, tmp_path: Path
) -> None:
    requesters, crowd = ["UREQ01", "UREQ02"], [f"UCROWD{n:03d}" for n in range(40)]
    no_sweep = {"PEER_SWEEP_SECONDS": "600"}  # only the worker's own loop can route the requests
    async with office(slack, database_url, tmp_path, [*requesters, *crowd], SUPPORTERS[:1], no_sweep) as it:
        driver = it.driver
        slack.add_channel("CCROWD", *crowd)
        # The first check-ins (due 2 s after the incident) reach Slack and get no answer yet.
        slack.hold("chat.postMessage", match=lambda params: params.get("channel") in crowd)
        await submit_incident(driver, slack, "CCROWD")
        await slack.wait_for(
            lambda: any(c.params.get("channel") in crowd for c in slack.calls_of("chat.postMessage")),
            timeout=15,
        )
        for n, requester in enumerate(requesters, start=1):
            await ask(driver, slack, requester)
            await slack.wait_for(lambda n=n: len(offers(slack)) == n, timeout=15)
        slack.release("chat.postMessage")
        await slack.wait_for(lambda: all(slack.dms(person) for person in crowd), timeout=15)
    assert_nothing_twice(slack, [*requesters, *crowd])


async def test_sigterm_to_each_role_finishes_or_leaves_its_work_and_nothing_is_sent_twice(
    slack: SlackStandIn, database_url: str, tmp_path: Path
) -> None:
    requesters = [f"UREQ{n:02d}" for n in range(20)]
    acked: list[str] = []
    async with office(slack, database_url, tmp_path, requesters, SUPPORTERS) as it:
        driver, web, workers = it.driver, it.web, it.workers
        # The worker is stopped while it routes: it finishes what it holds, claims no more, exits 0.
        await asyncio.gather(*(ask(driver, slack, r) for r in requesters[:10]))
        await slack.wait_for(lambda: offers(slack), timeout=15)
        await workers[-1].stop()
        assert workers[-1].proc is not None and workers[-1].proc.returncode == 0
        workers.append(await a_worker(slack, web))
        await slack.wait_for(lambda: len(offers(slack)) == 10, timeout=15)

        # The web process is stopped with submissions in flight: what it acked is stored.
        views = {}
        for requester in requesters[10:]:
            await driver.command(requester)
            views[requester] = await slack.wait_for(lambda r=requester: driver.view_opened_for(r))

        async def submit(requester: str) -> None:
            try:
                response = await driver.submit(requester, views[requester], FORM)
            except aiohttp.ClientError:
                return  # refused once the port closed: Slack shows the person an error
            if response.status == 200:
                acked.append(requester)

        in_flight = [asyncio.create_task(submit(r)) for r in requesters[10:]]
        await asyncio.sleep(0.01)
        await web.stop()
        assert web.proc is not None and web.proc.returncode == 0
        await asyncio.gather(*in_flight)
        await slack.wait_for(lambda: len(offers(slack)) == 10 + len(acked), timeout=15)
        await asyncio.sleep(1.0)
    assert sorted(Counter(offers(slack)).values()) == [1] * (10 + len(acked))
    assert_nothing_twice(slack, requesters + SUPPORTERS)
    assert set(calls_by(slack, "web")) <= ANSWERING


async def test_what_the_web_process_decides_reaches_people_only_through_the_worker(
    slack: SlackStandIn, database_url: str, tmp_path: Path
) -> None:
    requester, volunteer = "UREQ01", "UVOL01"
    async with office(slack, database_url, tmp_path, [requester, volunteer], SUPPORTERS[:1]) as it:
        driver = it.driver
        await ask(driver, slack, requester)
        await slack.wait_for(lambda: offers(slack), timeout=15)
        # Withdrawn by a command the web process answers: the supporter's card is redrawn.
        await driver.command(requester, "cancel")
        await slack.wait_for(
            lambda: any(
                m.history and not has_button(m.blocks, "offer_accept") for m in slack.dms(SUPPORTERS[0])
            ),
            timeout=15,
        )
        # A volunteer's offer reaches the coordinator; a supporter going away frees their load.
        await driver.command(volunteer, "volunteer I was on the team at my last office")
        await slack.wait_for(lambda: slack.dms(COORDINATOR), timeout=15)
        await driver.command(SUPPORTERS[0], "away")
        await asyncio.sleep(0.5)
    web_calls = calls_by(slack, "web")
    assert set(web_calls) <= ANSWERING, web_calls
    worker_calls = calls_by(slack, "worker")
    assert worker_calls["chat.update"] >= 1 and worker_calls["chat.postMessage"] >= 2, worker_calls
    assert "Traceback" not in (tmp_path / "web.log").read_text() + (tmp_path / "worker.log").read_text()


@pytest.mark.skipif(not ON_POSTGRES, reason="LISTEN/NOTIFY is PostgreSQL's")
async def test_on_postgresql_a_notify_wakes_the_worker_with_no_poll_or_sweep_due(
    slack: SlackStandIn, database_url: str, tmp_path: Path
) -> None:
    web, worker = roles(slack, database_url=database_url, tmp_path=tmp_path)
    for each in (web, worker):
        each.env.update(PEER_WORKER_POLL="10", PEER_SWEEP_SECONDS="600")
    await web.start()
    await worker.start()
    slack.add_users("UREQ01")
    try:
        async with aiohttp.ClientSession() as session:
            driver = SlackDriver(slack, session, url=web.url)
            await driver.command(COORDINATOR, f"roster add <@{SUPPORTERS[0]}|s> trained 2026-01-15")
            await asyncio.sleep(0.5)  # the worker's first look at start is behind it
            await ask(driver, slack, "UREQ01")
            await slack.wait_for(lambda: offers(slack), timeout=3)  # well before a 10 s poll
    finally:
        await web.stop()
        await worker.stop()


async def test_the_request_modal_shows_a_supporter_added_through_another_process_at_once(
    slack: SlackStandIn, database_url: str, tmp_path: Path
) -> None:
    # The modal's choices are kept while nothing in the database changed: a change made by another
    # process (here a second web process) must show in the next modal, not a minute later.
    one = roles(slack, database_url=database_url, tmp_path=tmp_path)[0]
    await one.start()
    env = {k: v for k, v in one.env.items() if k != "PORT"}
    two = BotProcess(slack, database_url, tmp_path / "web2.log", role="web", env=env)
    await two.start()
    try:
        async with aiohttp.ClientSession() as session:
            first = SlackDriver(slack, session, url=one.url)
            second = SlackDriver(slack, session, url=two.url)
            await first.command(COORDINATOR, f"roster add <@{SUPPORTERS[0]}|s> trained 2026-01-15")
            await first.command("UREQ01")
            before = await slack.wait_for(lambda: first.view_opened_for("UREQ01"))
            await second.command(COORDINATOR, f"roster add <@{SUPPORTERS[1]}|s> trained 2026-01-15")
            await first.command("UREQ01")
            after = await slack.wait_for(
                lambda: (v := first.view_opened_for("UREQ01")) is not None and v["id"] != before["id"] and v
            )
    finally:
        await one.stop()
        await two.stop()
    assert SUPPORTERS[0] in json.dumps(before) and SUPPORTERS[1] not in json.dumps(before)
    assert SUPPORTERS[1] in json.dumps(after)


def niceness(pid: int) -> int:
    """A process's nice value, as the kernel has it (field 19 of /proc/PID/stat)."""
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16])


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads priorities from /proc")
async def test_the_worker_yields_the_cpu_to_the_web_process_and_the_setting_can_turn_it_off(
    slack: SlackStandIn, database_url: str, tmp_path: Path
) -> None:
    # On one machine the worker's deliveries and incident preparation would otherwise take CPU
    # from the web process's acks (bench/scenarios/offices.py measures the difference).
    web, worker = roles(slack, database_url=database_url, tmp_path=tmp_path)
    env = {k: v for k, v in web.env.items() if k != "PORT"}
    level = BotProcess(
        slack, database_url, tmp_path / "worker0.log", role="worker", env={**env, "PEER_WORKER_NICE": "0"}
    )
    ours = os.nice(0)
    try:
        for process in (web, worker, level):
            await process.start()
        pids = [p.proc.pid for p in (web, worker, level) if p.proc is not None]
        assert [niceness(pid) for pid in pids] == [ours, min(19, ours + 10), ours]
    finally:
        for process in (web, worker, level):
            await process.stop()


async def test_every_kind_of_handoff_has_its_work_registered(start_app: StartApp) -> None:
    # A kind the web role could store but no worker could do would wait forever.
    rig = await start_app()
    assert rig.app.services is not None
    assert rig.app.services.handoff.registered == frozenset(HandoffKind)


def test_a_click_handed_to_the_worker_keeps_ids_and_no_name() -> None:
    """The handoffs table keeps no name: of Slack's real block_actions payload (with the full user
    object Slack sends, and the legacy verification token), only ids reach the row."""
    example = json.loads(BLOCK_ACTIONS.read_text(encoding="utf-8"))
    body = {**example["payload"], "user": example["full_user_object_example"], "token": "legacy-secret"}
    body["channel"] = {"id": "C111", "name": "courthouse-team"}
    kept = json.dumps(click_only(body))
    for leaked in ("primary-owner", "legacy-secret", "courthouse-team", "Click Me", "section block"):
        assert leaked not in kept
    assert click_only(body)["user"] == {"id": "W111", "team_id": "T111"}
    assert click_only(body)["actions"][0]["action_id"] == "button"
