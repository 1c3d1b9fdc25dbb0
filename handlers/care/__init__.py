"""Supporter care check-ins: the Slack side of the feature."""

from __future__ import annotations

from handlers.care import listeners
from handlers.care.ids import CareAction, CareBlockId
from handlers.common.feature import Feature

FEATURE = Feature(
    name="care",
    register=listeners.register,
    actions=(CareAction,),
    block_ids=(CareBlockId,),
)
