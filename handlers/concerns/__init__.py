"""Concerns about a colleague: the Slack side of the feature."""

from __future__ import annotations

from handlers.common.feature import Feature
from handlers.concerns import commands, listeners
from handlers.concerns.ids import ConcernAction, ConcernBlockId, ConcernCallback, ConcernField

FEATURE = Feature(
    name="concerns",
    register=listeners.register,
    actions=(ConcernAction,),
    callbacks=(ConcernCallback,),
    fields=(ConcernField,),
    block_ids=(ConcernBlockId,),
    forms=commands.FORMS,
)
