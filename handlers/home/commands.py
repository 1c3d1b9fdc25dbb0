"""``/peer help`` (``/peer resources`` belongs to the resources feature)."""

from __future__ import annotations

from bot.services import Services
from handlers.common.feature import Subcommand
from handlers.common.peer_command import HELP
from handlers.home.blocks import help_text


async def _help(services: Services, user_id: str, _: list[str]) -> str:
    supporter = await services.roster.get(user_id)
    return help_text(
        is_supporter=supporter is not None,
        is_coordinator=await services.roles.has_coordinator_role(user_id),
        hours=services.hours.describe(),
        is_administrator=await services.roles.has_administrator_role(user_id),
    )


SUBCOMMANDS: dict[str, Subcommand] = {HELP: _help}
