"""One way to run SQL on SQLite (aiosqlite) and PostgreSQL (asyncpg).

Repositories write one portable dialect: ``?`` placeholders, ``ON CONFLICT DO
NOTHING``, ``RETURNING``, ``CASE`` instead of boolean sums, ISO-8601 text for
times. The PostgreSQL connection rewrites placeholders to ``$n``; nothing else
differs, so there is one source of truth for every query.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Protocol, cast

import aiosqlite

if TYPE_CHECKING:
    # Only for the annotation: a SQLite deployment never loads asyncpg.
    from asyncpg import Record
    from asyncpg.pool import PoolConnectionProxy


@dataclass
class Result:
    """Rows (for SELECT or RETURNING) and how many rows a statement changed."""

    rows: list[Mapping[str, Any]] = field(default_factory=list)
    rowcount: int = 0

    async def fetchone(self) -> Mapping[str, Any] | None:
        """The first row, if any."""
        return self.rows[0] if self.rows else None

    async def fetchall(self) -> list[Mapping[str, Any]]:
        """Every row."""
        return self.rows


class Connection(Protocol):
    """What repositories need from a connection."""

    dialect: str

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> Result:
        """Run one statement."""
        ...

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run one statement for many parameter rows."""
        ...


class SqliteConnection:
    """An aiosqlite connection behind :class:`Connection`."""

    dialect = "sqlite"

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> Result:
        """Run one statement: one hop to aiosqlite's thread (each hop costs 50-100 µs under load)."""
        if _returns_rows(sql):
            rows = await self._conn.execute_fetchall(sql, tuple(params))
            return Result(rows=list(rows), rowcount=len(rows))  # type: ignore[arg-type]
        cursor = await self._conn.execute(sql, tuple(params))
        # Not closed explicitly: that would be a second hop; sqlite3 closes it when collected.
        return Result(rowcount=cursor.rowcount)

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run one statement for many parameter rows."""
        await self._conn.executemany(sql, [tuple(r) for r in rows])


class PostgresConnection:
    """An asyncpg connection behind :class:`Connection`."""

    dialect = "postgresql"

    def __init__(self, conn: PoolConnectionProxy[Record]) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> Result:
        """Run one statement."""
        statement, returns_rows = _postgres(sql)
        if returns_rows:
            records = await self._conn.fetch(statement, *params)
            # A Record is read like a Mapping (by column name), which is all repositories do with a row.
            return Result(rows=cast(list[Mapping[str, Any]], records), rowcount=len(records))
        status = await self._conn.execute(statement, *params)
        return Result(rowcount=_rowcount(status))

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run one statement for many parameter rows."""
        batch = [tuple(r) for r in rows]
        if batch:
            await self._conn.executemany(_postgres(sql)[0], batch)


_PLACEHOLDER = re.compile(r"\?")


@lru_cache(maxsize=1024)
def _returns_rows(sql: str) -> bool:
    head = sql.lstrip().split(None, 1)[0].upper()
    return head in {"SELECT", "WITH", "PRAGMA"} or " RETURNING " in f" {sql.upper()} "


@lru_cache(maxsize=512)
def _postgres(sql: str) -> tuple[str, bool]:
    counter = iter(range(1, 10_000))
    statement = _PLACEHOLDER.sub(lambda _: f"${next(counter)}", sql)
    return statement, _returns_rows(statement)


def _rowcount(status: str) -> int:
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


def placeholders(count: int) -> str:
    """``?, ?, ?`` for an IN list."""
    return ", ".join("?" for _ in range(count))


# SQLite's oldest limit on one statement's parameters: a multi-row insert stays under it.
_MAX_PARAMETERS = 999


def rows_per_insert(width: int) -> int:
    """How many rows of ``width`` values one multi-row ``INSERT`` may carry."""
    return _MAX_PARAMETERS // width


def value_rows(count: int, width: int) -> str:
    """``(?, ?), (?, ?)``: ``count`` rows of ``width`` placeholders for a multi-row ``VALUES``."""
    row = f"({placeholders(width)})"
    return ", ".join(row for _ in range(count))


class InconsistentRecords(RuntimeError):
    """Stored rows contradict each other (an assigned request without its accepted offer, say).

    Not a :class:`DomainError`: nobody caused it by clicking, so it is reported as a fault
    ("something went wrong") and its transaction is rolled back.
    """
