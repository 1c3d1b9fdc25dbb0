"""The association's figures of closed quarters, as first shown: the only place their SQL lives."""

from __future__ import annotations

from datetime import datetime

from storage.sql import Connection
from storage.timefmt import to_db


class AssociationRepository:
    """Reads and writes of ``association_quarters`` (the deployment's database; in single-workspace
    mode, the office's)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def frozen(self, quarter: str) -> tuple[int, str | None] | None:
        """A quarter's figures as first shown: how many offices were summed, and the figures
        (None: too few offices); None when never shown."""
        cur = await self._conn.execute(
            "SELECT offices, figures FROM association_quarters WHERE quarter = ?", (quarter,)
        )
        row = await cur.fetchone()
        if row is None:
            return None
        figures = row["figures"]
        return int(row["offices"]), None if figures is None else str(figures)

    async def freeze(self, quarter: str, *, offices: int, figures: str | None, now: datetime) -> None:
        """Keep a quarter's figures; a quarter frozen already (by another instance) keeps its own."""
        await self._conn.execute(
            "INSERT INTO association_quarters (quarter, offices, figures, frozen_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (quarter) DO NOTHING",
            (quarter, offices, figures, to_db(now)),
        )
