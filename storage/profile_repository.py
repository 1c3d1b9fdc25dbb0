"""Supporters' profiles for the team directory: role, unit, location, "about me", languages, tags."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from storage.models import TraitKind
from storage.sql import Connection, placeholders


class ProfileRepository:
    """Reads and writes of what supporters publish about themselves (the ``supporters`` profile
    columns and ``supporter_traits``)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def save(
        self,
        user_id: str,
        *,
        role: str | None,
        unit: str | None,
        location: str | None,
        about: str | None,
        languages: Sequence[str],
        tags: Sequence[str],
    ) -> bool:
        """Replace a supporter's whole profile; False if they are not on the roster."""
        cur = await self._conn.execute(
            "UPDATE supporters SET role = ?, unit = ?, location = ?, about = ? WHERE user_id = ?",
            (role, unit, location, about, user_id),
        )
        if cur.rowcount != 1:
            return False
        await self._conn.execute("DELETE FROM supporter_traits WHERE user_id = ?", (user_id,))
        rows = [(user_id, TraitKind.LANGUAGE, v, i) for i, v in enumerate(languages)]
        rows += [(user_id, TraitKind.TAG, v, i) for i, v in enumerate(tags)]
        await self._conn.executemany(
            "INSERT INTO supporter_traits (user_id, kind, value, position) VALUES (?, ?, ?, ?)"
            " ON CONFLICT DO NOTHING",
            rows,
        )
        return True

    async def set_role(self, user_id: str, role: str) -> bool:
        """A coordinator sets a supporter's role; False if they are not on the roster."""
        cur = await self._conn.execute("UPDATE supporters SET role = ? WHERE user_id = ?", (role, user_id))
        return cur.rowcount == 1

    async def set_unit(self, user_id: str, unit: str) -> bool:
        """A coordinator sets a supporter's unit; False if they are not on the roster."""
        cur = await self._conn.execute("UPDATE supporters SET unit = ? WHERE user_id = ?", (unit, user_id))
        return cur.rowcount == 1

    async def traits(self, user_ids: Iterable[str] | None = None) -> dict[str, dict[TraitKind, list[str]]]:
        """Languages and tags per supporter (of these, or of everyone), in the order they gave them."""
        sql = "SELECT user_id, kind, value FROM supporter_traits"
        params: list[object] = []
        if user_ids is not None:
            wanted = sorted(set(user_ids))
            if not wanted:
                return {}
            sql += f" WHERE user_id IN ({placeholders(len(wanted))})"
            params.extend(wanted)
        cur = await self._conn.execute(sql + " ORDER BY user_id, kind, position", params)
        found: dict[str, dict[TraitKind, list[str]]] = {}
        for row in await cur.fetchall():
            found.setdefault(row["user_id"], {}).setdefault(TraitKind(row["kind"]), []).append(row["value"])
        return found
