"""The office's resource directory: the only place its SQL lives."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from storage.models import Resource, ResourceTopic
from storage.sql import Connection, InconsistentRecords, placeholders
from storage.timefmt import to_db

_COLUMNS = "name, purpose, phone, text_line, url, hours, cost, confidential"


class ResourceRepository:
    """Reads and writes of the directory's entries and their topics."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def entries(self, topic: ResourceTopic | None = None) -> list[Resource]:
        """Every entry (or those about ``topic``), by name."""
        where, params = (
            ("", ())
            if topic is None
            else (
                " WHERE id IN (SELECT resource_id FROM resource_topics WHERE topic = ?)",
                (str(topic),),
            )
        )
        cur = await self._conn.execute(f"SELECT * FROM resources{where} ORDER BY lower(name), id", params)
        rows = await cur.fetchall()
        topics = await self._topics([int(r["id"]) for r in rows])
        return [_resource(r, topics.get(int(r["id"]), ())) for r in rows]

    async def get(self, resource_id: int) -> Resource | None:
        """One entry."""
        cur = await self._conn.execute("SELECT * FROM resources WHERE id = ?", (resource_id,))
        row = await cur.fetchone()
        if row is None:
            return None
        return _resource(row, (await self._topics([resource_id])).get(resource_id, ()))

    async def named(self, name: str, *, other_than: int | None = None) -> bool:
        """Whether an entry (other than ``other_than``) has this name, ignoring case."""
        cur = await self._conn.execute(
            "SELECT 1 FROM resources WHERE lower(name) = lower(?) AND id != ?", (name, other_than or 0)
        )
        return await cur.fetchone() is not None

    async def add(self, entry: Resource, *, now: datetime) -> int:
        """Store a new entry with its topics; returns its id."""
        cur = await self._conn.execute(
            f"INSERT INTO resources ({_COLUMNS}, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (*_values(entry), to_db(now), to_db(now)),
        )
        row = await cur.fetchone()
        if row is None:
            raise InconsistentRecords("missing: row")
        resource_id = int(row["id"])
        await self._set_topics(resource_id, entry.topics)
        return resource_id

    async def update(self, resource_id: int, entry: Resource, *, now: datetime) -> bool:
        """Replace an entry's fields and topics; False if it is gone."""
        cur = await self._conn.execute(
            "UPDATE resources SET name = ?, purpose = ?, phone = ?, text_line = ?, url = ?, hours = ?,"
            " cost = ?, confidential = ?, updated_at = ? WHERE id = ?",
            (*_values(entry), to_db(now), resource_id),
        )
        if cur.rowcount != 1:
            return False
        await self._conn.execute("DELETE FROM resource_topics WHERE resource_id = ?", (resource_id,))
        await self._set_topics(resource_id, entry.topics)
        return True

    async def remove(self, resource_id: int) -> bool:
        """Delete an entry (its topics go with it); False if it was already gone."""
        await self._conn.execute("DELETE FROM resource_topics WHERE resource_id = ?", (resource_id,))
        cur = await self._conn.execute("DELETE FROM resources WHERE id = ?", (resource_id,))
        return cur.rowcount == 1

    async def mark_seeded(self, name: str) -> bool:
        """Record that the seed file added ``name``; False if it already had (once per name)."""
        cur = await self._conn.execute(
            "INSERT INTO resource_seeds (name_key) VALUES (?) ON CONFLICT DO NOTHING", (name.casefold(),)
        )
        return cur.rowcount == 1

    async def _set_topics(self, resource_id: int, topics: tuple[ResourceTopic, ...]) -> None:
        await self._conn.executemany(
            "INSERT INTO resource_topics (resource_id, topic) VALUES (?, ?)",
            [(resource_id, str(t)) for t in dict.fromkeys(topics)],
        )

    async def _topics(self, ids: list[int]) -> dict[int, tuple[ResourceTopic, ...]]:
        if not ids:
            return {}
        cur = await self._conn.execute(
            f"SELECT resource_id, topic FROM resource_topics WHERE resource_id IN ({placeholders(len(ids))})"
            " ORDER BY topic",
            ids,
        )
        found: dict[int, list[ResourceTopic]] = {}
        for row in await cur.fetchall():
            found.setdefault(int(row["resource_id"]), []).append(ResourceTopic(row["topic"]))
        return {k: tuple(v) for k, v in found.items()}


def _values(entry: Resource) -> tuple[Any, ...]:
    return (
        entry.name,
        entry.purpose,
        entry.phone,
        entry.text,
        entry.url,
        entry.hours,
        entry.cost,
        1 if entry.confidential else 0,
    )


def _resource(row: Mapping[str, Any], topics: tuple[ResourceTopic, ...]) -> Resource:
    return Resource(
        id=int(row["id"]),
        name=row["name"],
        purpose=row["purpose"],
        phone=row["phone"],
        text=row["text_line"],
        url=row["url"],
        hours=row["hours"],
        cost=row["cost"],
        confidential=bool(row["confidential"]),
        topics=topics,
    )
