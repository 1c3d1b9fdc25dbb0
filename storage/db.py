"""Opening the SQLite database and running units of work against it."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiosqlite

from storage.migrations import apply_migrations
from storage.request_repository import RequestRepository
from storage.roster_repository import RosterRepository
from storage.schedule_repository import ScheduleRepository
from storage.tracking_repository import TrackingRepository

log = logging.getLogger(__name__)


# SQLite's primary result codes for storage that refuses writes (not a lock held by a peer).
_STORAGE_REFUSED = frozenset(
    {
        sqlite3.SQLITE_FULL,
        sqlite3.SQLITE_READONLY,
        sqlite3.SQLITE_IOERR,
        sqlite3.SQLITE_CANTOPEN,
        sqlite3.SQLITE_PERM,
        sqlite3.SQLITE_CORRUPT,
        sqlite3.SQLITE_NOTADB,
    }
)


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
        self.tracking = TrackingRepository(conn)


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
        # Set when the storage refused a write (disk full, read-only, I/O error); cleared by the
        # next write that succeeds. While set, the health check probes with a write of its own.
        self.write_failure: str | None = None

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
        """Whether the database answers; after a refused write, whether it takes writes again."""
        if self._conn is None:
            return False
        try:
            async with self._lock:
                await self._conn.execute("SELECT 1")
                if self.write_failure is not None:
                    await self._probe_write(self._conn)
        except Exception:  # noqa: BLE001 - health checks report, never raise
            return False
        return True

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        """A write unit of work: ``BEGIN IMMEDIATE``, committed on success, else rolled back.

        Nothing is half-written: a failed statement or a failed COMMIT rolls the whole unit back.
        """
        conn = self._require()
        async with self._lock:
            try:
                await conn.execute("BEGIN IMMEDIATE")
                yield Tx(conn)
                await conn.execute("COMMIT")
            except BaseException as exc:
                await self._abandon(conn, exc)
                raise
            self._writes_work()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Tx]:
        """A read-only unit of work (autocommit reads, serialized with the writers)."""
        conn = self._require()
        async with self._lock:
            yield Tx(conn)

    async def checkpoint(self) -> None:
        """Fold the WAL into the database file and truncate it, so purged pages leave no copy behind."""
        conn = self._require()
        async with self._lock:
            await conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    async def close(self) -> None:
        """Close the connection (idempotent)."""
        conn, self._conn = self._conn, None
        if conn is not None:
            async with self._lock:
                await conn.close()

    async def _abandon(self, conn: aiosqlite.Connection, exc: BaseException) -> None:
        """Roll back whatever is open (SQLite already has, after some failed COMMITs)."""
        if conn.in_transaction:
            try:
                await conn.execute("ROLLBACK")
            except sqlite3.Error as rollback:
                log.error("rollback failed: %s", type(rollback).__name__)
        code = getattr(exc, "sqlite_errorcode", None)
        if isinstance(exc, sqlite3.Error) and code is not None and code & 0xFF in _STORAGE_REFUSED:
            if self.write_failure is None:
                log.error("the database refused a write: %s", getattr(exc, "sqlite_errorname", "error"))
            self.write_failure = str(getattr(exc, "sqlite_errorname", "error"))

    def _writes_work(self) -> None:
        if self.write_failure is not None:
            log.warning("the database takes writes again")
            self.write_failure = None

    async def _probe_write(self, conn: aiosqlite.Connection) -> None:
        """Write the header's user_version back unchanged: a real write, touching no data."""
        cur = await conn.execute("PRAGMA user_version")
        row = await cur.fetchone()
        version = int(row[0]) if row is not None else 0
        try:
            await conn.execute("BEGIN IMMEDIATE")
            await conn.execute(f"PRAGMA user_version = {version}")
            await conn.execute("COMMIT")
        except BaseException as exc:
            await self._abandon(conn, exc)
            raise
        self._writes_work()

    def _require(self) -> aiosqlite.Connection:
        if self._conn is None:
            raise RuntimeError("database is closed")
        return self._conn
