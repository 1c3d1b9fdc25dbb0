"""The on-call rota: the Slack side of the feature."""

from __future__ import annotations

from handlers.common.feature import Feature
from handlers.oncall import commands, listeners
from handlers.oncall.ids import OnCallAction, OnCallCallback, OnCallField

FEATURE = Feature(
    name="oncall",
    register=listeners.register,
    actions=(OnCallAction,),
    callbacks=(OnCallCallback,),
    fields=(OnCallField,),
    subcommands=commands.SUBCOMMANDS,
)
