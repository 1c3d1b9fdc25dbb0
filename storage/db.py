"""Opening the SQLite database and running units of work against it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiosqlite

from storage.migrations import apply_migrations
from storage.relay_repository import RelayRepository
from storage.request_repository import RequestRepository
from storage.roster_repository import RosterRepository
from storage.schedule_repository import ScheduleRepository

log = logging.getLogger(__name__)


class UnsupportedDatabaseURL(ValueError):
    """The DATABASE_URL names a database this build cannot open."""


def sqlite_path(database_url: str) -> str:
    """The file path inside a ``sqlite:///`` URL (``sqlite:///:memory:`` is refused)."""
    prefix = "sqlite:///"
    if not database_url.startswith(prefix):
        raise UnsupportedDatabaseURL("only sqlite:/// URLs are supported")
    path = database_url[len(prefix) :]
    if not path or path == ":memory:":
        raise UnsupportedDatabaseURL("a database file path is required")
    return path


class Tx:
    """The repositories bound to one connection for one unit of work."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn
        self.requests = RequestRepository(conn)
        self.roster = RosterRepository(conn)
        self.schedule = ScheduleRepository(conn)
        self.relay = RelayRepository(conn)


class Database:
    """One SQLite connection, shared by the process, with serialized units of work.

    aiosqlite runs every call of a connection on one thread in order, so two
    coroutines interleaving ``BEGIN … COMMIT`` on it would mix their
    statements; the lock only keeps units of work apart on this connection.
    Correctness between processes rests on ``BEGIN IMMEDIATE`` and on
    conditional updates, never on this lock.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._conn: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, database_url: str) -> Database:
        """Open (creating if needed) and migrate the database at ``database_url``."""
        db = cls(sqlite_path(database_url))
        Path(db.path).parent.mkdir(parents=True, exist_ok=True)
        conn = await aiosqlite.connect(db.path, isolation_level=None)
        try:
            conn.row_factory = aiosqlite.Row
            await conn.execute("PRAGMA journal_mode=WAL")
            await conn.execute("PRAGMA busy_timeout=5000")
            await conn.execute("PRAGMA foreign_keys=ON")
            await conn.execute("PRAGMA synchronous=NORMAL")
            # Deleted confidential data must not linger in free pages.
            await conn.execute("PRAGMA secure_delete=ON")
            await apply_migrations(conn)
        except BaseException:
            await conn.close()
            raise
        db._conn = conn
        return db

    @property
    def is_open(self) -> bool:
        """Whether the connection is open."""
        return self._conn is not None

    async def ping(self) -> bool:
        """Whether the database answers a trivial query."""
        if self._conn is None:
            return False
        try:
            async with self._lock:
                await self._conn.execute("SELECT 1")
        except Exception:  # noqa: BLE001 - health checks report, never raise
            return False
        return True

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        """A write unit of work: ``BEGIN IMMEDIATE``, committed on success, else rolled back."""
        conn = self._require()
        async with self._lock:
            await conn.execute("BEGIN IMMEDIATE")
            try:
                yield Tx(conn)
            except BaseException:
                await conn.execute("ROLLBACK")
                raise
            await conn.execute("COMMIT")

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Tx]:
        """A read-only unit of work (autocommit reads, serialized with the writers)."""
        conn = self._require()
        async with self._lock:
            yield Tx(conn)

    async def close(self) -> None:
        """Close the connection (idempotent)."""
        conn, self._conn = self._conn, None
        if conn is not None:
            async with self._lock:
                await conn.close()

    def _require(self) -> aiosqlite.Connection:
        if self._conn is None:
            raise RuntimeError("database is closed")
        return self._conn
