"""Confidential tracking: logged contacts, statistics, exports, audit: the Slack side of the feature."""

from __future__ import annotations

from handlers.common.feature import Feature
from handlers.tracking import commands, listeners
from handlers.tracking.ids import TrackingAction, TrackingCallback, TrackingField

FEATURE = Feature(
    name="tracking",
    register=listeners.register,
    actions=(TrackingAction,),
    callbacks=(TrackingCallback,),
    fields=(TrackingField,),
    forms=commands.FORMS,
    reports=commands.REPORTS,
    subcommands=commands.SUBCOMMANDS,
)
