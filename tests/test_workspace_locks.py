"""On PostgreSQL, each office's writers take their own lock (derived from its schema): a write held
open in one office never blocks another office's, while two instances of one office still take
turns. Times are bounded by timeouts; nothing sleeps for time.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

import asyncpg
import pytest

from storage.db import POSTGRES_POOL_SIZE, Database, PostgresDatabase, drop_database, workspace_database_url
from tests.conftest import ON_POSTGRES, TEST_DATABASE_URL

pytestmark = pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL's advisory locks")

NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


async def write(db: Database, user_id: str) -> None:
    async with db.transaction() as tx:
        await tx.roles.add_coordinator(user_id, added_by=user_id, now=NOW)


async def waiting_for(key: int) -> bool:
    """Whether some connection waits for the advisory lock ``key`` (pg_locks splits it in two)."""
    conn = await asyncpg.connect(TEST_DATABASE_URL)
    try:
        found = await conn.fetchval(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            " AND classid::bigint = $1 AND objid::bigint = $2",
            (key >> 32) & 0xFFFFFFFF,
            key & 0xFFFFFFFF,
        )
    finally:
        await conn.close()
    return bool(found)


@pytest.fixture
async def office_urls(database_url: str) -> AsyncIterator[tuple[str, str]]:
    urls = (workspace_database_url(database_url, "t1lock"), workspace_database_url(database_url, "t2lock"))
    yield urls
    for url in urls:
        await drop_database(url)


async def test_a_write_held_open_in_one_office_never_blocks_a_write_in_another(
    office_urls: tuple[str, str], figures: Callable[[str], None]
) -> None:
    url_a, url_b = office_urls
    a, other_instance_a, b = (
        await Database.open(url_a),
        await Database.open(url_a),
        await Database.open(url_b),
    )
    assert isinstance(other_instance_a, PostgresDatabase) and isinstance(b, PostgresDatabase)
    assert other_instance_a._write_lock != b._write_lock
    try:
        async with a.transaction() as tx:
            await tx.roles.add_coordinator("UA1", added_by="UA1", now=NOW)
            # Office A holds its write lock: office B writes at once all the same.
            started = time.monotonic()
            await asyncio.wait_for(write(b, "UB1"), timeout=5)
            took = time.monotonic() - started
            # A second instance of office A waits for the first: the lock is the office's own.
            queued = asyncio.create_task(write(other_instance_a, "UA2"))
            async with asyncio.timeout(5):
                while not await waiting_for(other_instance_a._write_lock):
                    assert not queued.done()
                    await asyncio.sleep(0.01)
            assert not queued.done()
        await asyncio.wait_for(queued, timeout=5)
        for db, expected in ((a, ["UA1", "UA2"]), (b, ["UB1"])):
            async with db.read() as tx:
                assert sorted(await tx.roles.coordinators()) == expected
        figures(
            f"per-workspace lock: office B's write took {took * 1000:.1f} ms while office A held its lock"
        )
    finally:
        for db in (a, other_instance_a, b):
            await db.close()


async def test_many_offices_share_one_pool_and_one_listening_connection(database_url: str) -> None:
    # A pool per office would hold ten connections each (and a worker one more per office, to
    # listen): thirty offices would take 330 of the server's 100. Every office here is busy at once.
    urls = [workspace_database_url(database_url, f"t{n:02d}pool") for n in range(30)]
    offices = [await Database.open(url) for url in urls]
    stops = []
    try:
        for db in offices:
            stop = await db.listen("peer_pool_test", lambda: None)
            assert stop is not None
            stops.append(stop)
        await asyncio.gather(*(write(db, f"UPOOL{n:02d}") for n, db in enumerate(offices)))

        async def coordinators(db: Database) -> list[str]:
            async with db.read() as tx:
                return await tx.roles.coordinators()

        found = await asyncio.gather(*(coordinators(db) for db in offices))
        # Each office still reads its own rows only, through the shared connections.
        assert found == [[f"UPOOL{n:02d}"] for n in range(30)]
        conn = await asyncpg.connect(TEST_DATABASE_URL)
        try:
            held = await conn.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1",
                f"peer-support-{os.getpid()}",
            )
        finally:
            await conn.close()
        assert 2 <= held <= POSTGRES_POOL_SIZE + 1, held
    finally:
        for stop in stops:
            await stop()
        for db in offices:
            await db.close()
        for url in urls:
            await drop_database(url)
