"""Many offices in one deployment: each workspace's own services, built on first use and kept.

Isolation is by construction: every workspace has a database of its own (a SQLite file, or a
PostgreSQL schema), and its own service graph bound to it, so no query can reach another office's
rows, whatever it forgets to filter. This module is generic: the composition root
(:mod:`bot.app`) says how to open a workspace (its database, its Slack client with its token,
its pace) and how to close and erase one; nothing here knows Slack or SQL.

In single-workspace mode (a bot token in the environment) there is one office and every team id
maps to it, exactly as before workspaces existed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, TypeVar

from bot.failures import failure
from bot.pacing import Pacer
from bot.services import Services
from bot.tenancy import Workspace
from storage.db import Database

__all__ = ["Office", "Workspaces"]

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Office:
    """One workspace at work: its database, its services, and its pace of messages to Slack
    (Slack's rate limits are per workspace, so one office's check-in wave never slows another's)."""

    workspace: Workspace | None  # None: the single workspace of single-workspace mode
    db: Database
    services: Services
    pacer: Pacer
    # The office's own settings its services were built with (see bot/office_settings.py).
    settings: Mapping[str, str] = field(default_factory=dict)


class Workspaces(Generic[T]):
    """The open workspaces, each built once (on first use) and kept until closed or forgotten.

    Also :class:`bot.tenancy.WorkspaceData`: :meth:`forget` closes a workspace and erases its data.
    """

    def __init__(
        self,
        *,
        build: Callable[[Workspace], Awaitable[T | None]],
        close: Callable[[T], Awaitable[None]],
        erase: Callable[[Workspace], Awaitable[None]],
        label: Callable[[T], str] = lambda _: "a workspace",
    ) -> None:
        # ``build`` answers None for a workspace that is not installed (nothing is kept for it);
        # ``label`` names an office in the log (its workspace key: Slack's ids, never a person's).
        self._build = build
        self._label = label
        self._close = close
        self._erase = erase
        self._open: dict[str, T] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._single: T | None = None

    @classmethod
    def single(cls, value: T, *, close: Callable[[T], Awaitable[None]]) -> Workspaces[T]:
        """Single-workspace mode: every workspace is ``value``; nothing is ever erased."""

        async def refuse(workspace: Workspace) -> T | None:
            raise AssertionError("single-workspace mode builds nothing")

        async def keep(workspace: Workspace) -> None:
            raise RuntimeError("single-workspace mode never erases its database")

        workspaces = cls(build=refuse, close=close, erase=keep)
        workspaces._single = value
        return workspaces

    async def get(self, workspace: Workspace | None) -> T | None:
        """The workspace's services, built on first use; None when it is not installed (or, with
        many workspaces, when the request names none)."""
        if self._single is not None:
            return self._single
        if workspace is None:
            return None
        found = self._open.get(workspace.key)
        if found is not None:
            return found
        # One build per workspace, however many requests arrive for it at once.
        async with self._lock(workspace):
            found = self._open.get(workspace.key)
            if found is None:
                found = await self._build(workspace)
                if found is not None:
                    self._open[workspace.key] = found
            return found

    async def open_all(self, workspaces: Iterable[Workspace]) -> None:
        """Open these workspaces now (at start: their scheduled work must not wait for a request).

        One that fails to open is logged and left for its first request to try again.
        """
        for workspace in workspaces:
            try:
                await self.get(workspace)
            except Exception as exc:  # noqa: BLE001 - one office's failure never stops another's
                log.error("workspace %s failed to open: %s", workspace.key, failure(exc))

    def opened(self) -> list[T]:
        """Every open workspace's services (in single-workspace mode, the one)."""
        return [self._single] if self._single is not None else list(self._open.values())

    async def each(self, name: str, work: Callable[[T], Awaitable[object]]) -> list[object]:
        """Run ``work`` for every open workspace, side by side; one that fails is logged and never
        stops the others. Returns what each that succeeded returned (single-workspace mode: its
        failure is raised)."""
        if self._single is not None:
            # One office: its failure is the caller's, exactly as before workspaces existed.
            return [await work(self._single)]
        offices = self.opened()
        results = await asyncio.gather(*(work(office) for office in offices), return_exceptions=True)
        done: list[object] = []
        for office, result in zip(offices, results, strict=True):
            if isinstance(result, BaseException):
                if not isinstance(result, Exception):
                    raise result
                log.error("%s failed for %s: %s", name, self._label(office), failure(result))
            else:
                done.append(result)
        return done

    async def earliest(self, due: Callable[[T], Awaitable[datetime | None]]) -> datetime | None:
        """The earliest of ``due`` over the open workspaces (None when none has anything due)."""
        found = [d for d in await self.each("next due", due) if isinstance(d, datetime)]
        return min(found, default=None)

    def replace(self, workspace: Workspace | None, value: T) -> None:
        """Put ``value`` in the place of the workspace's open one (its services rebuilt); a
        workspace no longer open stays closed."""
        if self._single is not None:
            self._single = value
        elif workspace is not None and workspace.key in self._open:
            self._open[workspace.key] = value

    async def forget(self, workspace: Workspace) -> None:
        """Close the workspace's services and erase its data (its database file or schema)."""
        if self._single is not None:
            raise RuntimeError("single-workspace mode never erases its database")
        async with self._lock(workspace):
            found = self._open.pop(workspace.key, None)
            if found is not None:
                await self._close(found)
            await self._erase(workspace)
        log.info("workspace %s forgotten", workspace.key)

    async def close_one(self, workspace: Workspace) -> None:
        """Close one workspace's services in this process (it left: its data stays for the grace
        period, and it opens again on its next use if it comes back)."""
        if self._single is not None:
            return
        async with self._lock(workspace):
            found = self._open.pop(workspace.key, None)
            if found is not None:
                await self._close(found)

    async def close(self) -> None:
        """Close every open workspace (the app is stopping); their data stays."""
        offices = self.opened()
        self._open.clear()
        self._single = None  # nothing is open any more: the periodic work finds nothing to do
        for office in offices:
            try:
                await self._close(office)
            except Exception as exc:  # noqa: BLE001 - close the others all the same
                log.error("closing a workspace failed: %s", failure(exc))

    def _lock(self, workspace: Workspace) -> asyncio.Lock:
        return self._locks.setdefault(workspace.key, asyncio.Lock())
