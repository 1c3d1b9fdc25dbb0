"""The resource directory: the Slack side of the feature."""

from __future__ import annotations

from handlers.common.feature import Feature
from handlers.resources import commands, listeners
from handlers.resources.ids import ResourceAction, ResourceBlockId, ResourceCallback, ResourceField

FEATURE = Feature(
    name="resources",
    register=listeners.register,
    actions=(ResourceAction,),
    callbacks=(ResourceCallback,),
    fields=(ResourceField,),
    block_ids=(ResourceBlockId,),
    subcommands=commands.SUBCOMMANDS,
)
