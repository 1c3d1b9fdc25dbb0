"""Opening the database (SQLite or PostgreSQL) and running units of work against it."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import re
import sqlite3
import weakref
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import aiosqlite

from storage.sql import PostgresConnection, SqliteConnection
from storage.unit_of_work import Tx

if TYPE_CHECKING:
    # Imported when connecting: a SQLite deployment never loads asyncpg.
    import asyncpg

__all__ = [
    "Database",
    "PostgresDatabase",
    "SqliteDatabase",
    "Tx",
    "UnsupportedDatabaseURL",
    "drop_database",
    "sqlite_path",
    "workspace_database_url",
    "workspace_keys",
]

log = logging.getLogger(__name__)

# Every write unit of work on PostgreSQL takes this transaction-scoped advisory lock, so
# writers are serialized across instances exactly as SQLite's BEGIN IMMEDIATE serializes them.
# With a schema (one per workspace in distribution mode) the lock is the schema's own (see
# _lock_key): each office's writers serialize among themselves, never with another office's.
_WRITE_LOCK = 746_163_001
_MIGRATION_LOCK = 746_163_002
# Connections a process keeps to one PostgreSQL server, whatever the number of offices on it.
POSTGRES_POOL_SIZE = 10
# A workspace key (bot.tenancy.Workspace.key): Slack's id alphabet, lower-cased, maybe two parts.
_WORKSPACE_KEY = re.compile(r"^[a-z0-9]{2,32}(_[a-z0-9]{2,32})?$")
# The schema prefix of a workspace's schema when DATABASE_URL names none.
_WORKSPACE_SCHEMA_PREFIX = "w_"
# Tables whose rows the retention purge rewrites.
# Every table the retention purge deletes from or blanks columns of (PostgreSQL keeps dead row
# versions, with the old values, until a VACUUM).
_PURGED_TABLES = (
    "peer_requests",
    "request_exclusions",
    "offers",
    "offer_copies",
    "scheduled_messages",
    "relay_conversations",
    "relay_messages",
    "incidents",
    "incident_members",
    "concerns",
    "coordinator_copies",
    "rsvps",
    "home_viewers",
    "volunteers",
    "handoffs",
)


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
        raise UnsupportedDatabaseURL("use sqlite:///path or postgresql://user@host/db")
    path = database_url[len(prefix) :]
    if not path or path == ":memory:":
        raise UnsupportedDatabaseURL("a database file path is required")
    return path


class Database(ABC):
    """A database the app runs units of work against; :meth:`open` picks the backend from the URL."""

    dialect: ClassVar[str] = ""
    # Errors the database raised in units of work since the process started (for the metrics).
    error_count: int = 0

    @staticmethod
    async def open(database_url: str, *, migrations: list[tuple[str, str]] | None = None) -> Database:
        """Open (creating if needed) and migrate the database at ``database_url`` (with
        ``migrations``, by default every step of the app's own data)."""
        from storage.migrations import apply_migrations

        if _is_postgres(database_url):
            db: Database = await PostgresDatabase.connect(database_url)
        else:
            db = await SqliteDatabase.connect(database_url)
        try:
            await apply_migrations(db, migrations)
        except BaseException:
            await db.close()
            raise
        return db

    @property
    @abstractmethod
    def is_open(self) -> bool:
        """Whether the database is open."""

    @abstractmethod
    def transaction(self) -> AbstractAsyncContextManager[Tx]:
        """A write unit of work, committed on success, rolled back on error."""

    @abstractmethod
    def read(self) -> AbstractAsyncContextManager[Tx]:
        """A read-only unit of work."""

    def migration_lock(self) -> AbstractAsyncContextManager[None]:
        """Held while migrating, so instances starting together migrate once (a no-op by default)."""
        return nullcontext()

    @abstractmethod
    async def ping(self) -> bool:
        """Whether the database answers a trivial query."""

    @abstractmethod
    async def checkpoint(self) -> None:
        """After a purge: make sure removed rows leave no copy behind."""

    async def checkpoint_passive(self) -> None:  # noqa: B027 - optional: only SQLite has a WAL to fold
        """Routine housekeeping of the write-ahead log, if the backend has one."""

    async def changed_elsewhere(self) -> bool:
        """Whether another connection may have committed since the last call (SQLite's
        ``PRAGMA data_version``, which reads no table); always True where that cannot be told."""
        return True

    async def version(self) -> tuple[int, int] | None:
        """A token that changes whenever anyone commits a change (SQLite: others' commits, by
        ``data_version``, and this connection's own); None where that cannot be told cheaply."""
        return None

    async def notify(self, channel: str) -> None:  # noqa: B027 - optional: only PostgreSQL can wake a peer
        """Wake the processes listening on ``channel`` (PostgreSQL ``NOTIFY``; nothing on SQLite)."""

    async def listen(self, channel: str, wake: Callable[[], None]) -> Callable[[], Awaitable[None]] | None:
        """Call ``wake`` on every notification on ``channel``; returns how to stop listening, or
        None where the backend cannot (SQLite: the listener polls instead)."""
        return None

    @abstractmethod
    async def close(self) -> None:
        """Close (idempotent)."""


class SqliteDatabase(Database):
    """One SQLite connection, shared by the process, with serialized units of work.

    aiosqlite runs every call of a connection on one thread in order, so two
    coroutines interleaving ``BEGIN … COMMIT`` on it would mix their
    statements; the lock only keeps units of work apart on this connection.
    Correctness between processes rests on ``BEGIN IMMEDIATE`` and on
    conditional updates, never on this lock.
    """

    dialect = "sqlite"

    def __init__(self, path: str) -> None:
        self.path = path
        self._conn: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()
        self._data_version: int | None = None
        self.commits = 0  # units of work of this connection that changed something
        # Set when the storage refused a write (disk full, read-only, I/O error); cleared by the
        # next write that succeeds. While set, the health check probes with a write of its own.
        self.write_failure: str | None = None

    @classmethod
    async def connect(cls, database_url: str) -> SqliteDatabase:
        """Open the file with the PRAGMAs the app relies on."""
        db = cls(sqlite_path(database_url))
        Path(db.path).parent.mkdir(parents=True, exist_ok=True)
        conn = await aiosqlite.connect(db.path, isolation_level=None)
        try:
            conn.row_factory = aiosqlite.Row
            await conn.execute("PRAGMA journal_mode=WAL")
            await conn.execute("PRAGMA busy_timeout=5000")
            await conn.execute("PRAGMA foreign_keys=ON")
            await conn.execute("PRAGMA synchronous=NORMAL")
            # Checkpoints are run by the sweep (see checkpoint_passive), not inside a request's
            # transaction; the automatic one stays as a backstop, far above a sweep's worth of pages.
            await conn.execute("PRAGMA wal_autocheckpoint=20000")
            # Deleted confidential data must not linger in free pages.
            await conn.execute("PRAGMA secure_delete=ON")
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
                changes = conn.total_changes
                yield Tx.bind(SqliteConnection(conn))
                await conn.execute("COMMIT")
            except BaseException as exc:
                await self._abandon(conn, exc)
                raise
            # A unit that changed nothing wrote nothing (a sweep finding no work commits even on a
            # full disk): only one that did shows the storage takes writes again.
            if conn.total_changes != changes:
                self.commits += 1
                self._writes_work()

    async def _abandon(self, conn: aiosqlite.Connection, exc: BaseException) -> None:
        """Roll back whatever is open (SQLite already has, after some failed COMMITs)."""
        if isinstance(exc, sqlite3.Error):
            self.error_count += 1
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
        rows = await conn.execute_fetchall("PRAGMA user_version")
        version = int(next(iter(rows))[0]) if rows else 0
        try:
            await conn.execute("BEGIN IMMEDIATE")
            await conn.execute(f"PRAGMA user_version = {version}")
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
            try:
                yield Tx.bind(SqliteConnection(conn))
            except sqlite3.Error:
                self.error_count += 1
                raise

    async def changed_elsewhere(self) -> bool:
        """Whether another process committed to the file since the last call (``data_version``)."""
        version = await self._others_version()
        changed, self._data_version = version != self._data_version, version
        return changed

    async def version(self) -> tuple[int, int] | None:
        """Others' commits (``data_version``) and this connection's own."""
        return await self._others_version(), self.commits

    async def _others_version(self) -> int:
        conn = self._require()
        async with self._lock:
            # data_version moves when a read begins and finds others' commits: read one page first.
            await conn.execute_fetchall("SELECT 1 FROM sqlite_master LIMIT 1")
            rows = await conn.execute_fetchall("PRAGMA data_version")
        return int(next(iter(rows))[0]) if rows else 0

    async def checkpoint_passive(self) -> None:
        """Copy what it can of the WAL into the file without waiting on anyone (the sweep's)."""
        conn = self._require()
        async with self._lock:
            await conn.execute("PRAGMA wal_checkpoint(PASSIVE)")

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

    def _require(self) -> aiosqlite.Connection:
        if self._conn is None:
            raise RuntimeError("database is closed")
        return self._conn


class _ServerPool:
    """One asyncpg pool per PostgreSQL server (DSN) in a process, shared by every schema on it.

    Each office is a schema: a pool per office would hold connections per office (ten each, and
    one more listening in a worker), and a deployment of a few dozen offices would run out of the
    server's ``max_connections``. So every unit of work names its schema itself (``search_path``,
    set for that unit of work only), and one connection listens for every office.
    """

    # Per event loop: a pool belongs to the loop that made it.
    _shared: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, _ServerPool]] = (
        weakref.WeakKeyDictionary()
    )

    def __init__(self, dsn: str, pool: asyncpg.Pool[asyncpg.Record], default_path: str) -> None:
        self.dsn = dsn
        self.pool = pool
        self.default_path = default_path  # the server's search_path, for the schema-less database
        self.users = 0
        self._listener: asyncpg.Connection[asyncpg.Record] | None = None
        self._wakes: dict[str, list[Callable[[], None]]] = {}

    @classmethod
    async def take(cls, dsn: str) -> _ServerPool:
        """The process's pool for ``dsn`` (made at first use), counted as used once more."""
        import asyncpg

        pools = cls._shared.setdefault(asyncio.get_running_loop(), {})
        shared = pools.get(dsn)
        if shared is None:
            pool = await asyncpg.create_pool(
                dsn,
                min_size=1,
                max_size=POSTGRES_POOL_SIZE,
                server_settings=_application_name(),
                reset=_nothing_to_reset,
            )
            async with pool.acquire() as conn:
                default_path = str(await conn.fetchval("SHOW search_path"))
            shared = pools.get(dsn)  # another opener may have made one meanwhile
            if shared is None:
                shared = pools[dsn] = cls(dsn, pool, default_path)
            else:
                await pool.close()
        shared.users += 1
        return shared

    async def give_back(self) -> None:
        """One user fewer; the last closes the pool and the listening connection."""
        self.users -= 1
        if self.users > 0:
            return
        pools = self._shared.get(asyncio.get_running_loop(), {})
        if pools.get(self.dsn) is self:
            del pools[self.dsn]
        listener, self._listener = self._listener, None
        if listener is not None:
            await listener.close()
        await self.pool.close()

    async def listen(self, channel: str, wake: Callable[[], None]) -> Callable[[], Awaitable[None]]:
        """Call ``wake`` on each ``NOTIFY channel`` (one connection listens for every schema)."""
        import asyncpg

        if self._listener is None:
            self._listener = await asyncpg.connect(self.dsn, server_settings=_application_name())
        wakes = self._wakes.setdefault(channel, [])
        if not wakes:
            await self._listener.add_listener(channel, self._dispatch)
        wakes.append(wake)

        async def stop() -> None:
            wakes.remove(wake)
            if not wakes and self._listener is not None and not self._listener.is_closed():
                await self._listener.remove_listener(channel, self._dispatch)

        return stop

    def _dispatch(self, _conn: object, _pid: int, channel: str, _payload: object) -> None:
        for wake in list(self._wakes.get(channel, ())):
            wake()


class PostgresDatabase(Database):
    """A schema on a PostgreSQL server, through the process's pool for that server; writers
    serialize on the schema's advisory lock across instances.

    ``DATABASE_URL=postgresql://user@host:5432/db`` (``?schema=name`` keeps the app's tables
    in their own schema, created if needed).
    """

    dialect = "postgresql"

    def __init__(self, server: _ServerPool, schema: str | None = None) -> None:
        self._server: _ServerPool | None = server
        self.schema = schema
        # Every unit of work sets it (for itself only), so a pooled connection carries no schema.
        self._path = f'"{schema}"' if schema else server.default_path
        # The schema's own locks: writers of two schemas (two offices) never wait for each other.
        self._write_lock = _lock_key(_WRITE_LOCK, schema)
        self._migration_lock = _lock_key(_MIGRATION_LOCK, schema)
        # Literals, not parameters: the simple protocol runs several statements in one round trip
        # only without them (the path is a checked schema name or the server's own; the key an int).
        self._begin = (
            f"BEGIN; SELECT set_config('search_path', {_literal(self._path)}, true),"
            f" pg_advisory_xact_lock({int(self._write_lock)})"
        )

    @classmethod
    async def connect(cls, database_url: str) -> PostgresDatabase:
        """Take the server's pool (and create the schema, if one is named)."""
        dsn, schema = _split_schema(database_url)
        server = await _ServerPool.take(dsn)
        try:
            if schema:
                async with server.pool.acquire() as conn:
                    await conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        except BaseException:
            await server.give_back()
            raise
        return cls(server, schema)

    @property
    def is_open(self) -> bool:
        """Whether this database is open (the pool is the server's)."""
        return self._server is not None

    async def ping(self) -> bool:
        """Whether the database answers a trivial query."""
        if self._server is None:
            return False
        try:
            async with self._server.pool.acquire(timeout=2) as conn:
                await conn.execute("SELECT 1")
        except Exception:  # noqa: BLE001 - health checks report, never raise
            return False
        return True

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        """A write unit of work in this schema, under its writers' advisory lock."""
        try:
            async with self._require().acquire() as conn:
                # One round trip opens it: BEGIN, the schema for this transaction only, the lock
                # (a unit of work is three round trips plus its statements, not five: on a busy
                # server every round trip is two context switches beside other offices' work).
                try:
                    await conn.execute(self._begin)
                    yield Tx.bind(PostgresConnection(conn))
                except BaseException:
                    # If it cannot be rolled back here (a query cut off mid-way), the pool rolls
                    # it back on release or drops the connection; the first error is the one told.
                    with contextlib.suppress(Exception):
                        await conn.execute("ROLLBACK")
                    raise
                await conn.execute("COMMIT")
        except BaseException as exc:
            self._count(exc)
            raise

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Tx]:
        """A read-only unit of work in this schema, on a pooled connection."""
        try:
            async with self._require().acquire() as conn:
                # For the session, not a transaction (reads stay autocommit). Left set on release:
                # every unit of work sets its own first (see _nothing_to_reset).
                await conn.execute("SELECT set_config('search_path', $1, false)", self._path)
                yield Tx.bind(PostgresConnection(conn))
        except BaseException as exc:
            self._count(exc)
            raise

    async def notify(self, channel: str) -> None:
        """``NOTIFY channel`` (delivered to listeners in every process on the database)."""
        async with self._require().acquire() as conn:
            await conn.execute(f'NOTIFY "{channel}"')

    async def listen(self, channel: str, wake: Callable[[], None]) -> Callable[[], Awaitable[None]] | None:
        """``LISTEN channel``, on the one connection of this process that listens for the server."""
        if self._server is None:
            raise RuntimeError("database is closed")
        return await self._server.listen(channel, wake)

    def _count(self, exc: BaseException) -> None:
        import asyncpg

        if isinstance(exc, asyncpg.PostgresError | asyncpg.InterfaceError | ConnectionError):
            self.error_count += 1

    @asynccontextmanager
    async def migration_lock(self) -> AsyncIterator[None]:
        """Held while migrating, so two instances starting together migrate once."""
        async with self._require().acquire() as conn:
            try:
                await conn.execute("SELECT pg_advisory_lock($1)", self._migration_lock)
                yield
            finally:
                try:
                    await conn.execute("SELECT pg_advisory_unlock($1)", self._migration_lock)
                except BaseException:
                    # Not released (cut off mid-way): end the session, and the lock with it, rather
                    # than give the pool back a connection that holds it (the pool resets nothing).
                    conn.terminate()
                    raise

    async def checkpoint(self) -> None:
        """VACUUM the purged tables so dead row versions are cleared for reuse."""
        async with self._require().acquire() as conn:
            await conn.execute("SELECT set_config('search_path', $1, false)", self._path)
            await conn.execute(f"VACUUM {', '.join(_PURGED_TABLES)}")

    async def close(self) -> None:
        """Close this database (idempotent); the server's pool closes with the last of them."""
        server, self._server = self._server, None
        if server is not None:
            await server.give_back()

    def _require(self) -> asyncpg.Pool[asyncpg.Record]:
        if self._server is None:
            raise RuntimeError("database is closed")
        return self._server.pool


async def _nothing_to_reset(_conn: asyncpg.Connection[asyncpg.Record]) -> None:
    """What the pool does to a connection given back, beyond rolling back a transaction left open
    (asyncpg always does that): nothing. Its default (``RESET ALL``, ``UNLISTEN *``, unlocking
    every advisory lock) is one more round trip per unit of work, for state this app never leaves:
    every unit of work sets its own ``search_path`` first, locks are transaction-scoped (the
    migration lock is released in a ``finally``), and the one listening connection is not pooled.
    """


def _literal(text: str) -> str:
    """``text`` as a SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def _application_name() -> dict[str, str]:
    """Names this process's connections in ``pg_stat_activity`` (who holds how many)."""
    return {"application_name": f"peer-support-{os.getpid()}"}


def _split_schema(database_url: str) -> tuple[str, str | None]:
    parts = urlsplit(database_url)
    query = parse_qsl(parts.query)
    schema = next((v for k, v in query if k == "schema"), None)
    if schema is not None and not schema.replace("_", "").isalnum():
        raise UnsupportedDatabaseURL("schema names may hold letters, digits and underscores only")
    rest = urlencode([(k, v) for k, v in query if k != "schema"])
    scheme = "postgresql" if parts.scheme == "postgres" else parts.scheme
    return urlunsplit((scheme, parts.netloc, parts.path, rest, parts.fragment)), schema


def _is_postgres(database_url: str) -> bool:
    return database_url.startswith(("postgresql://", "postgres://"))


def _lock_key(base: int, schema: str | None) -> int:
    """An advisory lock key: ``base`` itself without a schema (as before schemas were per
    workspace), else a stable 64-bit key of the schema's own, the same in every instance."""
    if schema is None:
        return base
    digest = hashlib.blake2b(f"{base}:{schema}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _with_schema(dsn: str, schema: str) -> str:
    parts = urlsplit(dsn)
    query = urlencode([*parse_qsl(parts.query), ("schema", schema)])
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def _workspace_schema(base: str | None, key: str) -> str:
    return f"{base}_{_WORKSPACE_SCHEMA_PREFIX}{key}" if base else f"{_WORKSPACE_SCHEMA_PREFIX}{key}"


def workspace_database_url(database_url: str, key: str) -> str:
    """The database of the workspace ``key`` (:attr:`bot.tenancy.Workspace.key`), beside ``database_url``.

    SQLite: a file next to it (``peer.db`` → ``peer.t0123.db``). PostgreSQL: a schema of its own
    in the same database (``w_t0123``, or ``<schema>_w_t0123`` when the URL names a schema).
    """
    if not _WORKSPACE_KEY.match(key):
        raise UnsupportedDatabaseURL("not a workspace key")
    if _is_postgres(database_url):
        dsn, schema = _split_schema(database_url)
        return _with_schema(dsn, _workspace_schema(schema, key))
    path = Path(sqlite_path(database_url))
    suffix = path.suffix or ".db"
    return f"sqlite:///{path.with_name(f'{path.stem}.{key}{suffix}')}"


async def workspace_keys(database_url: str) -> list[str]:
    """The keys of the workspaces that have a database beside ``database_url`` (sorted)."""
    if _is_postgres(database_url):
        import asyncpg

        dsn, schema = _split_schema(database_url)
        prefix = _workspace_schema(schema, "")
        conn = await asyncpg.connect(dsn)
        try:
            rows = await conn.fetch(
                "SELECT schema_name FROM information_schema.schemata WHERE left(schema_name, $1) = $2",
                len(prefix),
                prefix,
            )
        finally:
            await conn.close()
        found = [str(row["schema_name"])[len(prefix) :] for row in rows]
    else:
        path = Path(sqlite_path(database_url))
        suffix = path.suffix or ".db"
        files = path.parent.glob(f"{path.stem}.*{suffix}")
        found = [p.name[len(path.stem) + 1 : -len(suffix)] for p in files]
    return sorted(key for key in found if _WORKSPACE_KEY.match(key))


async def drop_database(database_url: str) -> None:
    """Delete a workspace's database for good: the SQLite file with its WAL and shared memory, or
    the PostgreSQL schema with everything in it (``DROP SCHEMA … CASCADE``). Close it first.

    Refuses a PostgreSQL URL without a schema: the whole database is never dropped.
    """
    if _is_postgres(database_url):
        import asyncpg

        dsn, schema = _split_schema(database_url)
        if schema is None:
            raise UnsupportedDatabaseURL("only a schema is ever dropped")
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        finally:
            await conn.close()
        return
    path = sqlite_path(database_url)
    for name in (path, f"{path}-wal", f"{path}-shm", f"{path}-journal"):
        Path(name).unlink(missing_ok=True)
