"""Two offices on one deployment (distribution mode): the app started with two workspaces installed,
a rig per workspace sending that workspace's signed payloads, and a look into each one's database.

Office A is a plain workspace (T111, the stand-in's first token); office B is a workspace of an
Enterprise Grid organization (E999/T222, a token of its own), so both keyings are exercised.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp

from bot.app import PeerSupportApp
from bot.clock import ManualClock
from bot.tenancy import Workspace
from bot.workspaces import Office
from slack_standin import SlackStandIn
from storage.db import drop_database, workspace_database_url, workspace_keys
from tests.conftest import START
from tests.rig import TOKEN, Rig, make_settings

A = Workspace(team_id="T111")
B = Workspace(team_id="T222", enterprise_id="E999")
TOKEN_B = "xoxb-office-b"
TEAM_A = {"id": "T111", "domain": "office-a"}
TEAM_B = {"id": "T222", "domain": "office-b", "enterprise_id": "E999"}
# Distribution mode: no bot token of the deployment's own. The tests give the app a token source of
# their own (``Tokens``), so Bolt asks it and there is no install flow; tests/test_workspaces.py also
# goes through the real install flow once.
DISTRIBUTION: dict[str, Any] = {
    "slack_bot_token": None,
    "slack_client_id": "1111111111.2222222222",
    "slack_client_secret": "standin-client-secret",
    "slack_state_secret": "standin-state-secret",
    "peer_encryption_key": "dGVuYW5jeS10ZXN0cy1mZXJuZXQta2V5LTMyYnl0ZXM=",
}
# Check-ins at any hour and unpaced, small counts shown from 2: what the tests of two offices need.
OFFICE_SETTINGS: dict[str, Any] = {
    "peer_min_count": 2,
    "peer_supporter_capacity": 5,
    "peer_checkin_offsets": "1d,3d",
    "peer_checkin_hours": "any",
    "peer_checkin_rate": 1000,
}
# Each office's coordinator (its installer).
COORDINATOR_A = "UCOORDA"
COORDINATOR_B = "UCOORDB"


class Tokens:
    """A token source over a dict (what the installation store answers, in the tests)."""

    def __init__(self, tokens: dict[str, str]) -> None:
        self.tokens = tokens

    async def bot_token(self, workspace: Workspace) -> str | None:
        """The workspace's token, or None when it is not installed."""
        return self.tokens.get(workspace.key)


@dataclass
class Offices:
    """The running deployment and a rig per office."""

    app: PeerSupportApp
    tokens: Tokens
    a: Rig
    b: Rig
    database_url: str

    async def office(self, workspace: Workspace) -> Office:
        """The workspace's open office (its database and services)."""
        assert self.app.workspaces is not None
        office = await self.app.workspaces.get(workspace)
        assert office is not None
        return office

    async def settle(self) -> None:
        """Wait for every office's after-the-ack work."""
        await self.a.settle()


def team_rig(base: Rig, team: dict[str, str]) -> Rig:
    """A rig on the same app sending ``team``'s payloads."""
    rig = Rig(base.slack, base.app, base.clock, base.session)
    rig.team = team
    rig.enterprise_id = team.get("enterprise_id")
    return rig


async def start_offices(
    slack: SlackStandIn,
    database_url: str,
    session: aiohttp.ClientSession,
    installers: tuple[str, str] = (COORDINATOR_A, COORDINATOR_B),
    **overrides: Any,
) -> tuple[PeerSupportApp, Offices]:
    """Start the deployment with offices A and B installed, each with its coordinator (installer)."""
    slack.add_team(B.team_id, TOKEN_B)
    tokens = Tokens({A.key: TOKEN, B.key: TOKEN_B})
    settings = make_settings(slack, database_url, **(DISTRIBUTION | OFFICE_SETTINGS | overrides))
    clock = ManualClock(START)
    app = PeerSupportApp(settings, clock=clock, tokens=tokens)
    await app.start(host="127.0.0.1", port=0)
    base = Rig(slack, app, clock, session)
    offices = Offices(app, tokens, team_rig(base, TEAM_A), team_rig(base, TEAM_B), database_url)
    await app.installed(A, installer_id=installers[0])
    await app.installed(B, installer_id=installers[1])
    await offices.settle()
    return app, offices


@asynccontextmanager
async def offices_running(slack: SlackStandIn, database_url: str, **overrides: Any) -> AsyncIterator[Offices]:
    """The deployment with two offices; every workspace database is dropped afterwards."""
    async with aiohttp.ClientSession() as session:
        app, found = await start_offices(slack, database_url, session, **overrides)
        try:
            yield found
        finally:
            await app.stop()
            await drop_workspaces(database_url)


async def drop_workspaces(database_url: str) -> None:
    """Drop every workspace database beside ``database_url`` (PostgreSQL schemas outlive a test)."""
    for key in await workspace_keys(database_url):
        await drop_database(workspace_database_url(database_url, key))
