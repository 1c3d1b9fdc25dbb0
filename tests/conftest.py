"""Fixtures: a Slack stand-in, and the real app started over real HTTP on a real SQLite file."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.app import PeerSupportApp
from bot.clock import ManualClock
from slack_standin import SlackStandIn
from tests.rig import Rig, make_settings

# A Monday morning, inside default service hours.
START = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)

StartApp = Callable[..., Awaitable[Rig]]


@pytest.fixture
async def slack() -> AsyncIterator[SlackStandIn]:
    standin = SlackStandIn()
    await standin.start()
    yield standin
    await standin.stop()


# With TEST_DATABASE_URL set (postgresql://…), every app test runs on PostgreSQL, each in a
# schema of its own; otherwise on a SQLite file in the test's temporary folder.
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
ON_POSTGRES = TEST_DATABASE_URL.startswith(("postgresql://", "postgres://"))
sqlite_only = pytest.mark.skipif(ON_POSTGRES, reason="inspects the SQLite file itself")


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "peer-support.db"


@pytest.fixture
async def database_url(db_path: Path) -> AsyncIterator[str]:
    """The database of one test (several app starts in a test share it, like restarts)."""
    if not ON_POSTGRES:
        yield f"sqlite:///{db_path}"
        return
    import asyncpg

    schema = f"t_{uuid.uuid4().hex[:16]}"
    separator = "&" if "?" in TEST_DATABASE_URL else "?"
    yield f"{TEST_DATABASE_URL}{separator}schema={schema}"
    conn = await asyncpg.connect(TEST_DATABASE_URL)
    try:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await conn.close()


@pytest.fixture
async def start_app(slack: SlackStandIn, database_url: str) -> AsyncIterator[StartApp]:
    """Start an app (several in a row share the database file, like restarts)."""
    apps: list[PeerSupportApp] = []
    sessions: list[aiohttp.ClientSession] = []
    clock = ManualClock(START)

    async def start(**overrides: Any) -> Rig:
        settings = make_settings(slack, database_url, **overrides)
        app = PeerSupportApp(settings, clock=clock)
        await app.start(host="127.0.0.1", port=0)
        apps.append(app)
        session = aiohttp.ClientSession()
        sessions.append(session)
        rig = Rig(slack, app, clock, session)
        await rig.settle()
        return rig

    yield start
    for session in sessions:
        await session.close()
    for app in apps:
        await app.stop()


@pytest.fixture
async def rig(start_app: StartApp) -> Rig:
    return await start_app()
