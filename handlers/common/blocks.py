"""Block Kit shared by every feature: labels, neutral notification text, resources, small builders."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from storage.models import Area, ContactMode, Referral, Urgency

# What a phone shows on its lock screen: never a name, a note or an area of need.
NEUTRAL_TEXT = "You have a new peer support message"
UPDATED_TEXT = "A peer support message was updated"
# The fallback of posts in channels (event announcements and reminders): neutral as well.
ANNOUNCEMENT_TEXT = "A peer support program announcement"

AREA_LABELS: dict[Area, str] = {
    Area.WORK_STRESS: "Work stress",
    Area.TRAUMA: "Case or trauma exposure",
    Area.PERSONAL: "Personal or family",
    Area.GRIEF: "Grief or loss",
    Area.HEALTH: "Health",
    Area.OTHER: "Something else",
}
URGENCY_LABELS: dict[Urgency, str] = {
    Urgency.ASAP: "As soon as possible",
    Urgency.THIS_WEEK: "This week",
    Urgency.NO_RUSH: "No rush",
}
CONTACT_LABELS: dict[ContactMode, str] = {
    ContactMode.SLACK: "Slack message",
    ContactMode.PHONE: "Phone call",
    ContactMode.IN_PERSON: "In person",
}
REFERRAL_LABELS: dict[Referral, str] = {
    Referral.NONE: "None",
    Referral.EAP: "Employee Assistance Program (EAP)",
    Referral.COUNSELOR: "Counselor or therapist",
    Referral.OTHER: "Other professional help",
}

NOT_COUNSELORS = (
    "Peer supporters are trained colleagues, not counselors. For professional help,"
    " the Employee Assistance Program and these lines are there for you."
)


def escape(text: str) -> str:
    """Escape user text for mrkdwn, so it cannot form mentions or links."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mention(user_id: str) -> str:
    """A mention that Slack renders as the person's name."""
    return f"<@{user_id}>"


def when(moment: datetime, tz: ZoneInfo) -> str:
    """A moment as the program's local time, e.g. ``Mon 30 Nov, 08:30``."""
    return moment.astimezone(tz).strftime("%a %-d %b, %H:%M")


def coarse_wait(waited: timedelta) -> str:
    """How long something has waited, coarsely: ``a few minutes``, ``10 minutes``, ``over an hour``."""
    minutes = int(waited.total_seconds() // 60)
    if minutes < 5:
        return "a few minutes"
    if minutes < 60:
        # Whole fives: "10 minutes", never "11 minutes 23 seconds".
        return f"{minutes - minutes % 5} minutes"
    hours = minutes // 60
    if hours < 24:
        return "over an hour" if hours == 1 else f"over {hours} hours"
    days = hours // 24
    return "over a day" if days == 1 else f"over {days} days"


def part_of_day(moment: datetime, tz: ZoneInfo) -> str:
    """A moment as coarsely as a coordinator needs it, e.g. ``Mon 30 Nov, morning``: never the minute
    someone asked."""
    local = moment.astimezone(tz)
    part = ("night", "morning", "afternoon", "evening")[local.hour // 6]
    return local.strftime("%a %-d %b, ") + part


def slack_time(moment: datetime, tz: ZoneInfo) -> str:
    """A moment that Slack shows in each reader's own time zone (the program's time as fallback)."""
    epoch = int(moment.timestamp())
    return f"<!date^{epoch}^{{date_short_pretty}} at {{time}}|{when(moment, tz)}>"


def header(text: str) -> HeaderBlock:
    """A header block."""
    return HeaderBlock(text=PlainTextObject(text=text, emoji=True))


def section(text: str) -> SectionBlock:
    """A mrkdwn section."""
    return SectionBlock(text=MarkdownTextObject(text=text))


def context(text: str) -> ContextBlock:
    """A small grey context line."""
    return ContextBlock(elements=[MarkdownTextObject(text=text)])


def resources_blocks(resources: Sequence[str], *, title: str = "Help is always there") -> list[Block]:
    """The professional-help and crisis resources, as blocks."""
    lines = "\n".join(f"• {line}" for line in resources)
    return [DividerBlock(), section(f"*{title}*\n{lines}"), context(NOT_COUNSELORS)]


def resources_text(resources: Sequence[str]) -> str:
    """The resources as mrkdwn text (for ephemeral replies)."""
    lines = "\n".join(f"• {line}" for line in resources)
    return f"*If you need help now*\n{lines}\n_{NOT_COUNSELORS}_"


def to_dicts(blocks: Sequence[Block]) -> list[dict[str, Any]]:
    """Blocks as JSON-ready dicts (validated by slack_sdk on the way)."""
    return [block.to_dict() for block in blocks]


def notice_modal(*, title: str, text: str) -> dict[str, Any]:
    """A modal that only says something (where no ephemeral reply is possible)."""
    return View(type="modal", title=title[:24], close="OK", blocks=[section(text)]).to_dict()
