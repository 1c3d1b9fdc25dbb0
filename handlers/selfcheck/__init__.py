"""The private self-check: the Slack side of the feature (nothing of it is stored)."""

from __future__ import annotations

from handlers.common.feature import Feature
from handlers.selfcheck import commands, listeners
from handlers.selfcheck.ids import SelfCheckAction, SelfCheckCallback, SelfCheckField

FEATURE = Feature(
    name="selfcheck",
    register=listeners.register,
    actions=(SelfCheckAction,),
    callbacks=(SelfCheckCallback,),
    fields=(SelfCheckField,),
    forms=commands.FORMS,
)
