"""Slack installations, OAuth states and departed workspaces (distribution mode): their only SQL.

Deployment-wide tables, not a workspace's. Keys store ``''`` for "none" (a unique key treats two
NULLs as different); rows hand back ``None``. Token columns hold whatever the caller gives: the
installations service seals them first (see bot/installations.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from storage.models import Departure, InstallationRecord
from storage.sql import Connection, InconsistentRecords
from storage.timefmt import from_db, to_db

# A bot's columns (``slack_bots`` holds just these), then what an installer's row adds.
_BOT_FIELDS = (
    "enterprise_id",
    "team_id",
    "is_enterprise_install",
    "app_id",
    "enterprise_name",
    "enterprise_url",
    "team_name",
    "bot_id",
    "bot_user_id",
    "bot_scopes",
    "bot_token",
    "bot_refresh_token",
    "bot_token_expires_at",
    "installed_at",
)
_USER_FIELDS = (
    "user_id",
    "user_scopes",
    "user_token",
    "user_refresh_token",
    "user_token_expires_at",
    "token_type",
)
_BOT_COLUMNS = ", ".join(_BOT_FIELDS)
_INSTALLATION_COLUMNS = ", ".join(_BOT_FIELDS + _USER_FIELDS)


def _key(
    enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool | None
) -> tuple[str, str]:
    # An org-wide install is one row for the whole organization, whichever team a request names
    # (as slack_sdk's own stores key it).
    return enterprise_id or "", "" if is_enterprise_install else team_id or ""


def _marks(columns: str) -> str:
    return ", ".join("?" for _ in columns.split(","))


def _bot_values(record: InstallationRecord) -> tuple[object, ...]:
    """The values of :data:`_BOT_FIELDS`, in order."""
    enterprise, team = _key(record.enterprise_id, record.team_id, record.is_enterprise_install)
    return (
        enterprise,
        team,
        int(record.is_enterprise_install),
        record.app_id,
        record.enterprise_name,
        record.enterprise_url,
        record.team_name,
        record.bot_id,
        record.bot_user_id,
        ",".join(record.bot_scopes),
        record.bot_token,
        record.bot_refresh_token,
        _time(record.bot_token_expires_at),
        to_db(record.installed_at),
    )


def _assignments(columns: str, key: tuple[str, ...]) -> str:
    return ", ".join(f"{c} = excluded.{c}" for c in (c.strip() for c in columns.split(",")) if c not in key)


# Upserts: a newer installation by the same installer, or a newer bot, replaces the stored one.
_SAVE_INSTALLATION = (
    f"INSERT INTO slack_installations ({_INSTALLATION_COLUMNS}) VALUES ({_marks(_INSTALLATION_COLUMNS)})"
    " ON CONFLICT (enterprise_id, team_id, user_id) DO UPDATE SET "
    + _assignments(_INSTALLATION_COLUMNS, ("enterprise_id", "team_id", "user_id"))
)
_SAVE_BOT = (
    f"INSERT INTO slack_bots ({_BOT_COLUMNS}) VALUES ({_marks(_BOT_COLUMNS)})"
    " ON CONFLICT (enterprise_id, team_id) DO UPDATE SET "
    + _assignments(_BOT_COLUMNS, ("enterprise_id", "team_id"))
    + ", refresh_claimed_at = NULL"
)


class InstallationRepository:
    """Reads and writes of ``slack_installations``, ``slack_bots``, ``oauth_states`` and
    ``workspace_departures``."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    # Installations and bots

    async def save(self, record: InstallationRecord) -> None:
        """Keep ``record`` as its installer's latest installation, and its bot (if any) as the
        workspace's latest bot."""
        await self._conn.execute(
            _SAVE_INSTALLATION,
            (
                *_bot_values(record),
                record.user_id,
                ",".join(record.user_scopes),
                record.user_token,
                record.user_refresh_token,
                _time(record.user_token_expires_at),
                record.token_type,
            ),
        )
        if record.bot_token is not None:
            await self.save_bot(record)

    async def save_bot(self, record: InstallationRecord) -> None:
        """Keep ``record``'s bot as the workspace's latest (a refreshed token replaces the old one)."""
        if record.bot_token is None:
            raise InconsistentRecords("a bot without a token")
        await self._conn.execute(_SAVE_BOT, _bot_values(record))
        enterprise, team = _key(record.enterprise_id, record.team_id, record.is_enterprise_install)
        # The installers' rows carry the bot as it was when they installed: the refreshed token
        # replaces the old one there too, so no superseded token stays stored.
        await self._conn.execute(
            "UPDATE slack_installations SET bot_token = ?, bot_refresh_token = ?, bot_token_expires_at = ?"
            " WHERE enterprise_id = ? AND team_id = ? AND bot_token IS NOT NULL",
            (
                record.bot_token,
                record.bot_refresh_token,
                _time(record.bot_token_expires_at),
                enterprise,
                team,
            ),
        )

    async def claim_refresh(
        self,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None,
        expires_at: datetime,
        now: datetime,
        stale_before: datetime,
    ) -> bool:
        """Claim refreshing the bot token that expires at ``expires_at`` (a conditional update: one
        caller wins; a claim older than ``stale_before`` is taken over). False when another caller
        holds it, or the token was refreshed meanwhile."""
        enterprise, team = _key(enterprise_id, team_id, is_enterprise_install)
        cur = await self._conn.execute(
            "UPDATE slack_bots SET refresh_claimed_at = ? WHERE enterprise_id = ? AND team_id = ?"
            " AND bot_token_expires_at = ? AND (refresh_claimed_at IS NULL OR refresh_claimed_at < ?)",
            (to_db(now), enterprise, team, to_db(expires_at), to_db(stale_before)),
        )
        return cur.rowcount == 1

    async def release_refresh(
        self, enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool | None
    ) -> None:
        """The refresh failed: the next caller may try."""
        enterprise, team = _key(enterprise_id, team_id, is_enterprise_install)
        await self._conn.execute(
            "UPDATE slack_bots SET refresh_claimed_at = NULL WHERE enterprise_id = ? AND team_id = ?",
            (enterprise, team),
        )

    async def find_bot(
        self, enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool | None
    ) -> InstallationRecord | None:
        """The workspace's latest bot, or None."""
        enterprise, team = _key(enterprise_id, team_id, is_enterprise_install)
        cur = await self._conn.execute(
            f"SELECT {_BOT_COLUMNS} FROM slack_bots WHERE enterprise_id = ? AND team_id = ?",
            (enterprise, team),
        )
        row = await cur.fetchone()
        return None if row is None else _record(row)

    async def find_installation(
        self,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None,
        is_enterprise_install: bool | None,
    ) -> InstallationRecord | None:
        """``user_id``'s installation of the workspace (the latest installer's when None)."""
        enterprise, team = _key(enterprise_id, team_id, is_enterprise_install)
        sql = (
            f"SELECT {_INSTALLATION_COLUMNS} FROM slack_installations WHERE enterprise_id = ? AND team_id = ?"
        )
        params: tuple[str, ...] = (enterprise, team)
        if user_id is not None:
            sql, params = sql + " AND user_id = ?", (*params, user_id)
        cur = await self._conn.execute(sql + " ORDER BY installed_at DESC LIMIT 1", params)
        row = await cur.fetchone()
        return None if row is None else _record(row)

    async def delete_bot(self, enterprise_id: str | None, team_id: str | None) -> None:
        """Forget the workspace's bot tokens (its installers' user tokens stay)."""
        enterprise, team = _key(enterprise_id, team_id, False)
        await self._conn.execute(
            "DELETE FROM slack_bots WHERE enterprise_id = ? AND team_id = ?", (enterprise, team)
        )
        await self._conn.execute(
            "UPDATE slack_installations SET bot_token = NULL, bot_refresh_token = NULL,"
            " bot_token_expires_at = NULL WHERE enterprise_id = ? AND team_id = ?",
            (enterprise, team),
        )

    async def delete_installation(
        self, enterprise_id: str | None, team_id: str | None, user_id: str | None
    ) -> None:
        """Forget one installer's installation (every installer's when ``user_id`` is None)."""
        enterprise, team = _key(enterprise_id, team_id, False)
        sql = "DELETE FROM slack_installations WHERE enterprise_id = ? AND team_id = ?"
        params: tuple[str, ...] = (enterprise, team)
        if user_id is not None:
            sql, params = sql + " AND user_id = ?", (*params, user_id)
        await self._conn.execute(sql, params)

    async def count_tokens(self) -> int:
        """How many rows hold a token of any kind (for the tests and the operator)."""
        cur = await self._conn.execute(
            "SELECT (SELECT COUNT(*) FROM slack_bots)"
            " + (SELECT COUNT(*) FROM slack_installations"
            " WHERE bot_token IS NOT NULL OR user_token IS NOT NULL)"
            " AS n"
        )
        row = await cur.fetchone()
        return 0 if row is None else int(row["n"])

    # OAuth states

    async def add_state(self, state: str, expires_at: datetime) -> None:
        """Record a state handed to an installer's browser."""
        await self._conn.execute(
            "INSERT INTO oauth_states (state, expires_at) VALUES (?, ?)", (state, to_db(expires_at))
        )

    async def consume_state(self, state: str, now: datetime) -> bool:
        """Delete ``state``; True only if it existed and had not expired (one use, whoever asks first)."""
        cur = await self._conn.execute(
            "DELETE FROM oauth_states WHERE state = ? RETURNING expires_at", (state,)
        )
        row = await cur.fetchone()
        if row is None:
            return False
        expires_at = from_db(row["expires_at"])
        return expires_at is not None and expires_at > now

    async def drop_expired_states(self, now: datetime) -> int:
        """Delete the states nobody came back with in time."""
        cur = await self._conn.execute("DELETE FROM oauth_states WHERE expires_at <= ?", (to_db(now),))
        return cur.rowcount

    # Departures

    async def depart(
        self, enterprise_id: str | None, team_id: str, left_at: datetime, forget_at: datetime
    ) -> None:
        """Record that the workspace left (a second uninstall event keeps the first's dates)."""
        await self._conn.execute(
            "INSERT INTO workspace_departures (enterprise_id, team_id, left_at, forget_at)"
            " VALUES (?, ?, ?, ?)"
            " ON CONFLICT (enterprise_id, team_id) DO NOTHING",
            (enterprise_id or "", team_id, to_db(left_at), to_db(forget_at)),
        )

    async def cancel_departure(self, enterprise_id: str | None, team_id: str | None) -> bool:
        """The workspace came back: keep its data (unless a sweep is already forgetting it)."""
        cur = await self._conn.execute(
            "DELETE FROM workspace_departures WHERE enterprise_id = ? AND team_id = ? AND claimed_at IS NULL",
            (enterprise_id or "", team_id or ""),
        )
        return cur.rowcount > 0

    async def departures(self) -> list[Departure]:
        """Every recorded departure, soonest to forget first."""
        cur = await self._conn.execute(
            "SELECT enterprise_id, team_id, left_at, forget_at FROM workspace_departures ORDER BY forget_at"
        )
        return [_departure(row) for row in await cur.fetchall()]

    async def due_departures(self, now: datetime, stale_before: datetime) -> list[Departure]:
        """Departures whose grace has passed, unclaimed (or claimed by a sweep that died)."""
        cur = await self._conn.execute(
            "SELECT enterprise_id, team_id, left_at, forget_at FROM workspace_departures"
            " WHERE forget_at <= ? AND (claimed_at IS NULL OR claimed_at < ?) ORDER BY forget_at",
            (to_db(now), to_db(stale_before)),
        )
        return [_departure(row) for row in await cur.fetchall()]

    async def claim_departure(self, departure: Departure, now: datetime, stale_before: datetime) -> bool:
        """Claim forgetting ``departure`` (a conditional update: one sweep wins)."""
        cur = await self._conn.execute(
            "UPDATE workspace_departures SET claimed_at = ?"
            " WHERE enterprise_id = ? AND team_id = ? AND forget_at <= ?"
            " AND (claimed_at IS NULL OR claimed_at < ?)",
            (to_db(now), departure.enterprise_id or "", departure.team_id, to_db(now), to_db(stale_before)),
        )
        return cur.rowcount == 1

    async def release_departure(self, departure: Departure) -> None:
        """Forgetting failed: the next sweep tries again."""
        await self._conn.execute(
            "UPDATE workspace_departures SET claimed_at = NULL WHERE enterprise_id = ? AND team_id = ?",
            (departure.enterprise_id or "", departure.team_id),
        )

    async def finish_departure(self, departure: Departure) -> None:
        """The workspace's data is forgotten: nothing is left to do for it."""
        await self._conn.execute(
            "DELETE FROM workspace_departures WHERE enterprise_id = ? AND team_id = ?",
            (departure.enterprise_id or "", departure.team_id),
        )


def _time(value: datetime | None) -> str | None:
    return None if value is None else to_db(value)


def _scopes(value: object) -> tuple[str, ...]:
    return tuple(part for part in str(value or "").split(",") if part)


def _record(row: Mapping[str, Any]) -> InstallationRecord:
    installed_at = from_db(row["installed_at"])
    if installed_at is None:
        raise InconsistentRecords("missing: installed_at")
    fields = row.keys()
    return InstallationRecord(
        enterprise_id=row["enterprise_id"] or None,
        team_id=row["team_id"] or None,
        user_id=row["user_id"] if "user_id" in fields else "",
        is_enterprise_install=bool(row["is_enterprise_install"]),
        app_id=row["app_id"],
        enterprise_name=row["enterprise_name"],
        enterprise_url=row["enterprise_url"],
        team_name=row["team_name"],
        bot_id=row["bot_id"],
        bot_user_id=row["bot_user_id"],
        bot_scopes=_scopes(row["bot_scopes"]),
        bot_token=row["bot_token"],
        bot_refresh_token=row["bot_refresh_token"],
        bot_token_expires_at=from_db(row["bot_token_expires_at"]),
        user_scopes=_scopes(row["user_scopes"]) if "user_scopes" in fields else (),
        user_token=row["user_token"] if "user_token" in fields else None,
        user_refresh_token=row["user_refresh_token"] if "user_refresh_token" in fields else None,
        user_token_expires_at=from_db(row["user_token_expires_at"])
        if "user_token_expires_at" in fields
        else None,
        token_type=row["token_type"] if "token_type" in fields else None,
        installed_at=installed_at,
    )


def _departure(row: Mapping[str, Any]) -> Departure:
    left_at, forget_at = from_db(row["left_at"]), from_db(row["forget_at"])
    if left_at is None or forget_at is None:
        raise InconsistentRecords("missing: left_at or forget_at")
    return Departure(
        enterprise_id=row["enterprise_id"] or None,
        team_id=row["team_id"],
        left_at=left_at,
        forget_at=forget_at,
    )
