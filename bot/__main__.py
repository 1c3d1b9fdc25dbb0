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
        settings = DatabaseSettings()
    except ValidationError as error:
        print(f"peer-support-bot: {describe_error(error)}", file=sys.stderr)
        return 2
    from storage.db import Database, workspace_database_url, workspace_keys
    from storage.migrations import DEPLOYMENT_MIGRATIONS, MIGRATIONS, OFFICE_MIGRATIONS

    database_url = settings.database_url
    distribution = settings.slack_client_id is not None

    async def run() -> int:
        # Opening applies what is missing. Distribution mode: the deployment's own tables, then
        # every workspace's database beside it.
        db = await Database.open(database_url, migrations=DEPLOYMENT_MIGRATIONS if distribution else None)
        await db.close()
        keys = await workspace_keys(database_url) if distribution else []
        for key in keys:
            db = await Database.open(workspace_database_url(database_url, key), migrations=OFFICE_MIGRATIONS)
            await db.close()
        return len(keys)

    offices = asyncio.run(run())
    also = f", and {offices} workspace database(s)" if distribution else ""
    print(f"peer-support-bot: schema up to date ({MIGRATIONS[-1][0]}){also}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
