"""An office's own settings (the environment's values are the defaults): the only place their SQL lives."""

from __future__ import annotations

from datetime import datetime

from storage.sql import Connection
from storage.timefmt import to_db


class OfficeSettingsRepository:
    """Reads and writes of the ``office_settings`` table: one row per setting the office changed,
    its value as the environment variable would hold it (validated before it is stored)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def values(self) -> dict[str, str]:
        """Every setting the office changed: environment variable name → value."""
        cur = await self._conn.execute("SELECT name, value FROM office_settings ORDER BY name")
        return {str(row["name"]): str(row["value"]) for row in await cur.fetchall()}

    async def put(self, name: str, value: str, *, changed_by: str, now: datetime) -> None:
        """Set one setting (replacing what the office had set)."""
        await self._conn.execute(
            "INSERT INTO office_settings (name, value, changed_by, changed_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (name) DO UPDATE SET value = excluded.value, changed_by = excluded.changed_by,"
            " changed_at = excluded.changed_at",
            (name, value, changed_by, to_db(now)),
        )

    async def reset(self, name: str) -> bool:
        """Back to the environment's value; whether the office had set it."""
        cur = await self._conn.execute("DELETE FROM office_settings WHERE name = ?", (name,))
        return cur.rowcount > 0

    async def shares_with_association(self, at: datetime) -> bool:
        """Whether the office shared its statistics with the association at the instant ``at``
        (its latest change before it; never changed: not shared)."""
        cur = await self._conn.execute(
            "SELECT shared FROM association_sharing WHERE changed_at <= ? ORDER BY changed_at DESC, id DESC"
            " LIMIT 1",
            (to_db(at),),
        )
        row = await cur.fetchone()
        return row is not None and bool(row["shared"])

    async def share_with_association(self, shared: bool, *, now: datetime) -> None:
        """Record that the office starts (or stops) sharing its statistics, from ``now`` on."""
        await self._conn.execute(
            "INSERT INTO association_sharing (shared, changed_at) VALUES (?, ?)", (int(shared), to_db(now))
        )
