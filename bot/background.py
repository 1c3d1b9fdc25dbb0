"""Work that runs after Slack has been answered, tracked so it can be drained."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

from bot.failures import failure

log = logging.getLogger(__name__)


class Background:
    """Spawns tasks, keeps references to them, logs their failures, drains at stop."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, work: Coroutine[Any, Any, Any], *, name: str) -> asyncio.Task[Any]:
        """Run ``work`` after the handler returns; ``name`` is logged, so no people's ids."""
        task = asyncio.get_running_loop().create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        exc = None if task.cancelled() else task.exception()
        if exc is not None:
            # The type, where, and the task name only: messages of library errors can carry payloads.
            log.error("background task %s failed: %s", task.get_name(), failure(exc))

    async def drain(self, timeout: float = 10.0) -> None:
        """Wait for running tasks (and those they spawn) to finish."""
        deadline = asyncio.get_running_loop().time() + timeout
        while self._tasks:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                break
            await asyncio.wait(set(self._tasks), timeout=remaining)

    async def cancel_all(self) -> None:
        """Cancel whatever is still running."""
        tasks = set(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
