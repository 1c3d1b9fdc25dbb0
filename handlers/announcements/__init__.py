"""Announcements: the program's events (not Slack's Events API): the Slack side of the feature."""

from __future__ import annotations

from handlers.announcements import commands, listeners
from handlers.announcements.ids import (
    AnnouncementAction,
    AnnouncementBlockId,
    AnnouncementCallback,
    AnnouncementField,
)
from handlers.common.feature import Feature

FEATURE = Feature(
    name="announcements",
    register=listeners.register,
    actions=(AnnouncementAction,),
    callbacks=(AnnouncementCallback,),
    fields=(AnnouncementField,),
    block_ids=(AnnouncementBlockId,),
    forms=commands.FORMS,
    subcommands=commands.SUBCOMMANDS,
)
