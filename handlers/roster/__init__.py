"""The roster: volunteers, training, coordinators, availability: the Slack side of the feature."""

from __future__ import annotations

from handlers.common.feature import Feature
from handlers.roster import commands, listeners
from handlers.roster.ids import RosterAction, RosterBlockId, RosterCallback, RosterField

FEATURE = Feature(
    name="roster",
    register=listeners.register,
    actions=(RosterAction,),
    callbacks=(RosterCallback,),
    fields=(RosterField,),
    block_ids=(RosterBlockId,),
    subcommands=commands.SUBCOMMANDS,
)
