"""The registry of offices (bot/workspaces.py): built once however many ask at once, the periodic
work of every office side by side (one slow or failing office never holds up another), and a
long-lived client that always carries its workspace's current token."""

from __future__ import annotations

import asyncio

from bot.tenancy import Workspace
from bot.workspaces import Workspaces
from tests.flows import ask
from tests.offices import A, Offices
from tests.rig import TOKEN

C = Workspace(team_id="T333")


def registry(built: list[str]) -> Workspaces[str]:
    async def build(workspace: Workspace) -> str | None:
        built.append(workspace.key)
        await asyncio.sleep(0)  # let the others ask meanwhile
        return None if workspace == C else f"office {workspace.key}"

    async def close(office: str) -> None:
        pass

    async def erase(workspace: Workspace) -> None:
        pass

    return Workspaces(build=build, close=close, erase=erase)


async def test_an_office_is_built_once_however_many_requests_ask_at_once() -> None:
    built: list[str] = []
    offices = registry(built)
    found = await asyncio.gather(*(offices.get(A) for _ in range(20)), offices.get(C), offices.get(C))
    assert found[:20] == ["office t111"] * 20 and found[20:] == [None, None]
    # A workspace not installed is asked again next time (it may install meanwhile); A never again.
    assert built.count(A.key) == 1 and built.count(C.key) == 2


async def test_every_office_works_side_by_side_and_one_failing_stops_none() -> None:
    offices = registry([])
    for key in ("t1", "t2", "t3"):
        await offices.get(Workspace(team_id=key.upper()))
    second_started = asyncio.Event()

    async def work(office: str) -> str:
        if office.endswith("t1"):
            # The first office waits for the second to start: were offices done one after
            # another, this would never happen.
            await asyncio.wait_for(second_started.wait(), timeout=5)
        if office.endswith("t2"):
            second_started.set()
        if office.endswith("t3"):
            raise RuntimeError("this office's database is gone")
        return office

    done = await offices.each("sweep", work)
    assert sorted(done) == ["office t1", "office t2"]  # type: ignore[type-var]


async def test_a_long_lived_office_client_uses_the_token_its_workspace_has_now(offices: Offices) -> None:
    slack = offices.a.slack
    slack.add_users("UCOORDA", "UROT1", "UREQ1", "UREQ2")
    added = await offices.a.command("UCOORDA", "roster add <@UROT1|urot1> trained 2026-01-15")
    assert added.status == 200
    await offices.settle()
    await ask(offices.a, "UREQ1")
    # The install flow refreshes the token (rotation): the office's services use the new one at
    # their next call. The offer DMs are the office's own client's (not Bolt's per-request one).
    rotated = "xoxb-t111-rotated"
    slack.add_team(A.team_id, rotated)
    offices.tokens.tokens[A.key] = rotated
    await ask(offices.a, "UREQ2")
    offers = [c for c in slack.calls_of("chat.postMessage") if c.channel == "UROT1"]
    assert [c.headers["Authorization"] for c in offers] == [f"Bearer {TOKEN}", f"Bearer {rotated}"]
    assert {c.team for c in offers} == {A.team_id}
