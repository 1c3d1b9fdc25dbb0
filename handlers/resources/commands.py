"""``/peer resources [topic]``: the crisis lines, the office's directory and what helps."""

from __future__ import annotations

from bot.resources import topic_named
from bot.services import Services
from handlers.common.feature import Subcommand
from handlers.common.parsing import ArgumentError
from handlers.resources.blocks import directory_text
from storage.models import ResourceTopic


async def _resources(services: Services, _user: str, args: list[str]) -> str:
    topic = topic_named("_".join(args)) if args else None
    if args and topic is None:
        raise ArgumentError(
            f"I don't know the topic `{' '.join(args)[:30]}`. Topics: "
            + ", ".join(f"`{t.value}`" for t in ResourceTopic)
            + ". `/peer resources` lists everything."
        )
    entries = await services.directory.directory(topic)
    return directory_text(entries, topic=topic, coping=services.coping, office_lines=services.office_lines)


SUBCOMMANDS: dict[str, Subcommand] = {"resources": _resources}
