"""An office's own settings (``/peer settings``): the Slack side of the feature."""

from __future__ import annotations

from handlers.common.feature import Feature
from handlers.office import commands, listeners
from handlers.office.ids import OfficeAction, OfficeCallback, OfficeChoice, OfficeField

FEATURE = Feature(
    name="office",
    register=listeners.register,
    actions=(OfficeAction,),
    callbacks=(OfficeCallback,),
    fields=(OfficeField, OfficeChoice),
    forms=commands.FORMS,
)
