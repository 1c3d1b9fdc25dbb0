"""The App Home tab: the Slack side of the feature."""

from __future__ import annotations

from handlers.common.feature import Feature
from handlers.home import commands, listeners
from handlers.home.ids import HomeBlockId

FEATURE = Feature(
    name="home",
    register=listeners.register,
    block_ids=(HomeBlockId,),
    subcommands=commands.SUBCOMMANDS,
)
