"""Requests and offers: the Slack side of the feature."""

from __future__ import annotations

from handlers.common.feature import Feature
from handlers.requests import commands, listeners
from handlers.requests.ids import RequestAction, RequestBlockId, RequestCallback, RequestField

FEATURE = Feature(
    name="requests",
    register=listeners.register,
    actions=(RequestAction,),
    callbacks=(RequestCallback,),
    fields=(RequestField,),
    block_ids=(RequestBlockId,),
    forms=commands.FORMS,
    subcommands=commands.SUBCOMMANDS,
)
