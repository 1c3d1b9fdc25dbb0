"""Web and worker roles in distribution mode: each office's work reaches the worker through that
office's own database, and the worker's loop for that office routes it with that office's token.

Both roles run in this test's process (each a real app on its own port, sharing only the database
files or schemas), so the offices' token source can be given to both; tests/test_process_roles.py
runs the roles as separate processes in single-workspace mode.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import aiohttp

from bot.app import ROLE_HEADER, PeerSupportApp
from bot.clock import ManualClock
from bot.handoff import ProcessRole
from bot.tenancy import Workspace
from slack_standin import SlackStandIn
from tests.conftest import START
from tests.flows import ask
from tests.offices import (
    DISTRIBUTION,
    OFFICE_SETTINGS,
    TEAM_A,
    TEAM_B,
    TOKEN_B,
    A,
    B,
    Tokens,
    drop_workspaces,
    team_rig,
)
from tests.rig import TOKEN, Rig, make_settings
from tests.test_workspaces import roster_add

SUPPORTER_A, SUPPORTER_B = "USUPA", "USUPB"


async def until(condition: Callable[[], bool], *, within: float = 10.0) -> None:
    """Wait for another role's work (it runs on its own loop, not in this app's background)."""
    async with asyncio.timeout(within):
        while not condition():
            await asyncio.sleep(0.02)


async def states(app: PeerSupportApp, workspace: Workspace) -> list[str]:
    """The states of the requests in ``workspace``'s own database."""
    assert app.workspaces is not None
    office = await app.workspaces.get(workspace)
    assert office is not None
    async with office.db.read() as tx:
        cur = await tx.conn.execute("SELECT state FROM peer_requests ORDER BY id")
        return [row[0] for row in await cur.fetchall()]


async def test_each_office_is_routed_by_the_worker_with_its_own_token(
    slack: SlackStandIn, database_url: str
) -> None:
    slack.add_team(B.team_id, TOKEN_B)
    slack.add_users(SUPPORTER_A, SUPPORTER_B, "UREQA", "UREQB")
    tokens = Tokens({A.key: TOKEN, B.key: TOKEN_B})
    settings = make_settings(
        slack, database_url, **(DISTRIBUTION | OFFICE_SETTINGS | {"peer_worker_poll": 0.02})
    )
    clock = ManualClock(START)
    web = PeerSupportApp(settings, clock=clock, tokens=tokens, role=ProcessRole.WEB)
    worker = PeerSupportApp(settings, clock=clock, tokens=tokens, role=ProcessRole.WORKER)
    stops: list[Callable[[], Awaitable[None]]] = []
    async with aiohttp.ClientSession() as session:
        try:
            await web.start(host="127.0.0.1", port=0)
            stops.append(web.stop)
            await web.installed(A, installer_id="UCOORDA")
            # The worker opens every office that has a database, and watches each for handoffs;
            await worker.start(host="127.0.0.1", port=0)
            stops.append(worker.stop)
            # an office installed (through the web process) after the worker started is found by
            # the worker's next sweep.
            await web.installed(B, installer_id="UCOORDB")
            await worker.sweep()
            base = Rig(slack, web, clock, session)
            office_a, office_b = team_rig(base, TEAM_A), team_rig(base, TEAM_B)
            await roster_add(office_a, "UCOORDA", SUPPORTER_A)
            await roster_add(office_b, "UCOORDB", SUPPORTER_B)

            mark = len(slack.calls)
            for rig, requester in ((office_a, "UREQA"), (office_b, "UREQB")):
                submitted = await ask(rig, requester)
                assert submitted.status == 200 and submitted.text == "", submitted.text
            await until(
                lambda: bool(office_a.open_offers_to(SUPPORTER_A) and office_b.open_offers_to(SUPPORTER_B))
            )

            offers = [
                c
                for c in slack.calls[mark:]
                if c.method == "chat.postMessage" and c.params.get("channel") in {SUPPORTER_A, SUPPORTER_B}
            ]
            # Each office's offer went out once, from the worker, with its own workspace's token.
            assert sorted((c.params["channel"], c.team) for c in offers) == [
                (SUPPORTER_A, A.team_id),
                (SUPPORTER_B, B.team_id),
            ]
            assert {c.headers.get(ROLE_HEADER) for c in offers} == {"worker"}
            # The web role made no offer: nothing of routing ran in it.
            assert not [
                c
                for c in slack.calls[mark:]
                if c.method == "chat.postMessage" and c.headers.get(ROLE_HEADER) == "web"
            ]

            # A click acked by the web role is replayed by the worker through its Bolt app, in the
            # clicking workspace's office (B's request is taken; A's is still offered).
            [offer_b] = office_b.open_offers_to(SUPPORTER_B)
            clicked = await office_b.click(SUPPORTER_B, offer_b, "offer_accept")
            assert clicked.status == 200
            async with asyncio.timeout(10):
                while await states(worker, B) != ["assigned"]:
                    await asyncio.sleep(0.02)
            assert await states(worker, A) == ["offered"]

            # Settings changed through another process (here the worker's office B): the web
            # process follows at its next sweep, and B alone.
            office = await worker.workspaces.get(B)  # type: ignore[union-attr]
            assert office is not None
            await office.services.office_settings.save(
                coordinator_id="UCOORDB", values={"PEER_TIMEZONE": "America/Chicago"}
            )
            await web.sweep()
            served = {o.workspace: o.services.hours.tz.key for o in web.workspaces.opened()}  # type: ignore[union-attr]
            assert served[B] == "America/Chicago" and served[A] != "America/Chicago"
        finally:
            for stop in reversed(stops):
                await stop()
            await drop_workspaces(database_url)
