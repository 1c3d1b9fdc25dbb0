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
from hypothesis import HealthCheck, settings

from bot.app import PeerSupportApp
from bot.clock import ManualClock
from slack_standin import SlackStandIn
from storage.db import Database
from tests.rig import Rig, make_settings

# A Monday morning, inside default service hours.
START = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)

StartApp = Callable[..., Awaitable[Rig]]

# Property tests: few examples, derandomized, in CI; HYPOTHESIS_PROFILE=deep for a long run.
# Each property shares one app across its examples (that is the point: it must stay healthy).
settings.register_profile(
    "ci",
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
settings.register_profile("deep", parent=settings.get_profile("ci"), max_examples=1000, derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--soak",
        action="store_true",
        default=False,
        help="run the long reliability runs (200-request crash soak, more fault-plan seeds)",
    )


# Figures the reliability tests report; printed at the end of the run, whatever the capture.
FIGURES: list[str] = []


@pytest.fixture(scope="session")
def figures() -> Callable[[str], None]:
    """Report one line of figures."""
    return FIGURES.append


@pytest.fixture
def soak(request: pytest.FixtureRequest) -> bool:
    """Whether the long runs were asked for (``--soak``)."""
    return bool(request.config.getoption("--soak"))


def pytest_sessionfinish(session: pytest.Session) -> None:
    # Under pytest-xdist each worker hands its figures to the controller, which prints them.
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["figures"] = list(FIGURES)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    FIGURES.extend(getattr(node, "workeroutput", {}).get("figures", []))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if FIGURES:
        terminalreporter.section("reliability figures")
        for line in FIGURES:
            terminalreporter.write_line(line)


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
async def db(database_url: str) -> AsyncIterator[Database]:
    """The test's database opened directly (the repositories, no app around them)."""
    database = await Database.open(database_url)
    yield database
    await database.close()


@pytest.fixture
async def start_app(slack: SlackStandIn, database_url: str) -> AsyncIterator[StartApp]:
    """Start an app (several in a row share the database file, like restarts)."""
    apps: list[PeerSupportApp] = []
    sessions: list[aiohttp.ClientSession] = []
    clock = ManualClock(START)

    async def start(**overrides: Any) -> Rig:
        # A test may start an app on a database of its own (``database_url=``), a world apart.
        settings = make_settings(slack, overrides.pop("database_url", database_url), **overrides)
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


@pytest.fixture
async def offices(slack: SlackStandIn, database_url: str) -> AsyncIterator[Any]:
    """One deployment serving two offices (distribution mode): see tests/offices.py."""
    from tests.offices import offices_running

    async with offices_running(slack, database_url) as running:
        yield running
