"""How failures are logged: the exception's type and where it was raised, never its message.

Messages and arguments of library errors can carry payloads (a note, a user id, a Slack
response), so they are never logged; the innermost frame's file and line are enough to find
the failure in the code.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from pathlib import Path

log = logging.getLogger(__name__)


def where(exc: BaseException) -> str:
    """``file.py:123`` of the innermost frame the exception went through (``?`` if none)."""
    tb = exc.__traceback__
    if tb is None:
        return "?"
    while tb.tb_next is not None:
        tb = tb.tb_next
    return f"{Path(tb.tb_frame.f_code.co_filename).name}:{tb.tb_lineno}"


def failure(exc: BaseException) -> str:
    """``TypeName at file.py:123``: what may be logged about an exception."""
    return f"{type(exc).__name__} at {where(exc)}"


async def quietly(work: Awaitable[object], what: str, request_id: int | None = None) -> None:
    """Await a message whose failure must never undo what was decided; a failure is logged
    (``what``, the request id if any, and :func:`failure`)."""
    try:
        await work
    except Exception as exc:  # noqa: BLE001 - delivery failures must not break the flow
        about = "" if request_id is None else f" for request {request_id}"
        log.warning("%s%s failed: %s", what, about, failure(exc))
