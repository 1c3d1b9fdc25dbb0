"""How the app's log lines look: plain text, or one JSON object per line (``LOG_FORMAT=json``).

Either way the same rules hold: messages name ids and states, never people or text, and the
library loggers that would log bodies and SQL parameters are capped at WARNING. A JSON line has
``time`` (UTC, ISO 8601), ``level``, ``logger`` and ``message``, then the ids a call passed as
``extra`` (``log.info("request %s assigned", rid, extra={"request_id": rid})``). An exception
attached to a record is written as its type and where it was raised (:func:`bot.failures.failure`),
never its message or traceback, which can carry payloads.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Literal

from bot.failures import failure

LogFormat = Literal["text", "json"]

# Library loggers are capped: at DEBUG slack_sdk logs every request and response body and
# aiosqlite every statement with its parameters (notes, user ids),
# which would put request details in the logs.
QUIET_LOGGERS = ("slack_sdk", "slack_bolt", "aiosqlite", "aiohttp.access", "apscheduler")
# The loggers whose *own* level slack_sdk reads (``logger.level <= DEBUG``, not the effective
# level) to decide whether to build a call's debug lines: the whole request (a modal's JSON) and
# the whole response. Left unset (0), it built both on every Web API call, to be dropped by the
# cap above: about an eighth of the web process's time answering ``/peer`` under load.
SELF_CHECKING_LOGGERS = (
    "slack_sdk.web.async_base_client",
    "slack_sdk.web.base_client",
    "slack_sdk.socket_mode.aiohttp",
)

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# What every LogRecord carries; anything else on a record came in through ``extra``.
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}
# Only scalar extras are written: an id, a count, a state. Anything else is dropped.
_SCALARS = (str, int, float, bool, type(None))


class QuietLibraries(logging.Filter):
    """Drops records below WARNING from the libraries in :data:`QUIET_LOGGERS`, at the handler.

    Capping the loggers' levels is not enough: Bolt copies the root logger's level into each
    logger it creates (``slack_bolt.AsyncApp``), so with ``LOG_LEVEL=DEBUG`` it logged every
    response body (user ids, a modal's text) whatever level ``slack_bolt`` was given.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Whether the record may be written."""
        if record.levelno >= logging.WARNING:
            return True
        name = record.name
        return not any(name == q or name.startswith((q + ".", q + ":")) for q in QUIET_LOGGERS)


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as ``{"time", "level", "logger", "message", <extras>}`` (and ``error``)."""
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and key not in entry and isinstance(value, _SCALARS):
                entry[key] = value
        if record.exc_info and record.exc_info[1] is not None:
            entry["error"] = failure(record.exc_info[1])
        # ensure_ascii: a line is always valid ASCII JSON, whatever a message holds.
        return json.dumps(entry, ensure_ascii=True, default=str)


def configure_logging(level: str, log_format: LogFormat = "text") -> None:
    """Log ids and states only, as text or JSON lines; library loggers never below WARNING."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    handler.addFilter(QuietLibraries())
    # Without force: a root logger that already has handlers (a test's capture) keeps them.
    logging.basicConfig(level=level.upper(), handlers=[handler])
    if log_format == "json":
        # Python's own warnings (a DeprecationWarning from a library) go through logging too, so
        # a JSON log holds nothing but JSON lines.
        logging.captureWarnings(True)
    for name in (*QUIET_LOGGERS, *SELF_CHECKING_LOGGERS):
        logging.getLogger(name).setLevel(logging.WARNING)
