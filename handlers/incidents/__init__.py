"""Incidents and their check-ins: the Slack side of the feature."""

from __future__ import annotations

from handlers.common.feature import Feature
from handlers.incidents import commands, listeners
from handlers.incidents.ids import IncidentAction, IncidentBlockId, IncidentCallback, IncidentField

FEATURE = Feature(
    name="incidents",
    register=listeners.register,
    actions=(IncidentAction,),
    callbacks=(IncidentCallback,),
    fields=(IncidentField,),
    block_ids=(IncidentBlockId,),
    forms=commands.FORMS,
    subcommands=commands.SUBCOMMANDS,
)
