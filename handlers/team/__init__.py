"""Supporters' profiles and the team directory: the Slack side of the feature."""

from __future__ import annotations

from handlers.common.feature import Feature
from handlers.team import commands, listeners
from handlers.team.ids import TeamAction, TeamBlockId, TeamCallback, TeamField

FEATURE = Feature(
    name="team",
    register=listeners.register,
    actions=(TeamAction,),
    callbacks=(TeamCallback,),
    fields=(TeamField,),
    block_ids=(TeamBlockId,),
    forms=commands.FORMS,
    subcommands=commands.SUBCOMMANDS,
)
