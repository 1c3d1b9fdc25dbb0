"""``python -m bot``: start the app (settings from the environment or ``.env``).

``python -m bot web`` runs the HTTP front only, ``python -m bot worker`` everything after the
ack (see :mod:`bot.handoff`); plain ``python -m bot`` runs both in one process.

``python -m bot demo [--step] [--json DIR]`` plays a scripted day against a local Slack
stand-in instead, reading no settings at all (see the ``demo`` package).
``python -m bot migrate`` applies the schema migrations to ``DATABASE_URL`` and exits.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys

from pydantic import ValidationError

from bot.config import DatabaseSettings, Settings, describe_error


def main(argv: list[str] | None = None) -> int:
    """Validate settings (exit 2 with one clear line), then serve until stopped; or run the demo."""
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["demo"]:
        from demo import main as demo

        return demo(args[1:])
    if args[:1] == ["migrate"]:
        return _migrate()
    from bot.handoff import ProcessRole

    roles = {"web": ProcessRole.WEB, "worker": ProcessRole.WORKER}
    if args[:1] and args[0] not in roles:
        print(
            f"peer-support-bot: unknown command {args[0][:30]!r} (web, worker, migrate, demo)",
            file=sys.stderr,
        )
        return 2
    role = roles[args[0]] if args else ProcessRole.BOTH
    try:
        settings = Settings()
    except ValidationError as error:
        print(f"peer-support-bot: {describe_error(error)}", file=sys.stderr)
        return 2
    from bot.app import configure_logging, serve

    configure_logging(settings.log_level, settings.log_format)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(settings, role))
    return 0


def _migrate() -> int:
    try:
        database_url = DatabaseSettings().database_url
    except ValidationError as error:
        print(f"peer-support-bot: {describe_error(error)}", file=sys.stderr)
        return 2
    from storage.db import Database
    from storage.migrations import MIGRATIONS

    async def run() -> None:
        db = await Database.open(database_url)  # opening applies what is missing
        await db.close()

    asyncio.run(run())
    print(f"peer-support-bot: schema up to date ({MIGRATIONS[-1][0]})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
