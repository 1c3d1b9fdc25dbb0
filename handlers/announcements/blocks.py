"""Builders for events: the coordinator's modal and list, the announcement with its RSVP, reminders."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConversationFilter,
    ConversationSelectElement,
    DatePickerElement,
    InputBlock,
    Option,
    PlainTextInputElement,
    StaticSelectElement,
    TimePickerElement,
)
from slack_sdk.models.views import View

from bot.announcements import EventListing, RsvpResult
from bot.durations import describe_lead
from handlers.announcements.ids import (
    AnnouncementAction,
    AnnouncementBlockId,
    AnnouncementCallback,
    AnnouncementField,
)
from handlers.common.blocks import context, escape, header, mention, section, slack_time, when
from handlers.common.payloads import EventRef
from storage.models import Announcement, AnnouncementKind, AnnouncementState

KIND_LABELS: dict[AnnouncementKind, str] = {
    AnnouncementKind.TRAINING: "Training",
    AnnouncementKind.GUEST_SPEAKER: "Guest speaker",
    AnnouncementKind.HOLIDAY_GATHERING: "Holiday awareness gathering",
    AnnouncementKind.LUNCH_AND_LEARN: "Lunch and learn",
    AnnouncementKind.SOCIAL: "Social",
    AnnouncementKind.GRIEF_GATHERING: "Grief or remembrance gathering",
    AnnouncementKind.DEBRIEF: "Group debrief",
    AnnouncementKind.OTHER: "Other",
}
COUNT_ONLY = "Only the number of people going is shown, to everyone."
SENSITIVE_NOTE = (
    "Coming is voluntary and private: only the number of people going is shown, to everyone,"
    " organisers included."
)


def _kind_option(kind: AnnouncementKind) -> Option:
    return Option(value=str(kind), label=KIND_LABELS[kind])


def event_modal(
    *, today: str, tz_name: str, event: Announcement | None = None, tz: ZoneInfo
) -> dict[str, Any]:
    """The coordinator's modal to announce an event, or to edit one (prefilled, channel fixed)."""
    local = event.starts_at.astimezone(tz) if event else None
    end = event.ends_at.astimezone(tz) if event and event.ends_at else None
    blocks: list[Block] = [
        context(
            "The announcement is posted in the channel with an RSVP button. It shows how many are"
            " going, never who; for grief and holiday gatherings and debriefs, not even to you."
        ),
        InputBlock(
            block_id=AnnouncementField.EVENT_TITLE,
            label="Title",
            element=PlainTextInputElement(
                action_id=AnnouncementField.EVENT_TITLE,
                placeholder="Lunch and learn: what the EAP offers",
                initial_value=event.title if event else None,
                max_length=80,
            ),
        ),
        InputBlock(
            block_id=AnnouncementField.EVENT_KIND,
            label="Kind",
            element=StaticSelectElement(
                action_id=AnnouncementField.EVENT_KIND,
                placeholder="Choose one",
                options=[_kind_option(k) for k in AnnouncementKind],
                initial_option=_kind_option(event.kind) if event else None,
            ),
        ),
        InputBlock(
            block_id=AnnouncementField.EVENT_DATE,
            label="Date",
            element=DatePickerElement(
                action_id=AnnouncementField.EVENT_DATE,
                initial_date=local.date().isoformat() if local else today,
            ),
        ),
        InputBlock(
            block_id=AnnouncementField.EVENT_START,
            label="Starts at",
            hint=f"In the program's time zone ({tz_name}).",
            element=TimePickerElement(
                action_id=AnnouncementField.EVENT_START,
                initial_time=local.strftime("%H:%M") if local else None,
            ),
        ),
        InputBlock(
            block_id=AnnouncementField.EVENT_END,
            label="Ends at",
            optional=True,
            element=TimePickerElement(
                action_id=AnnouncementField.EVENT_END, initial_time=end.strftime("%H:%M") if end else None
            ),
        ),
        InputBlock(
            block_id=AnnouncementField.EVENT_PLACE,
            label="Place",
            element=PlainTextInputElement(
                action_id=AnnouncementField.EVENT_PLACE,
                placeholder="Room 4B, or a video link",
                initial_value=event.place if event else None,
                max_length=120,
            ),
        ),
        InputBlock(
            block_id=AnnouncementField.EVENT_DESCRIPTION,
            label="Description",
            optional=True,
            element=PlainTextInputElement(
                action_id=AnnouncementField.EVENT_DESCRIPTION,
                multiline=True,
                initial_value=(event.description or None) if event else None,
                max_length=1500,
            ),
        ),
    ]
    if event is None:
        blocks.append(
            InputBlock(
                block_id=AnnouncementField.EVENT_CHANNEL,
                label="Announce in",
                hint="I must be in the channel: type /invite @Peer Support there first.",
                element=ConversationSelectElement(
                    action_id=AnnouncementField.EVENT_CHANNEL,
                    placeholder="Choose a channel",
                    filter=ConversationFilter(
                        include=["public", "private"],
                        exclude_bot_users=True,
                        exclude_external_shared_channels=True,
                    ),
                ),
            )
        )
    else:
        blocks.append(context(f"Announced in <#{event.channel_id}>; the post is updated when you save."))
    return View(
        type="modal",
        callback_id=AnnouncementCallback.EVENT_EDIT if event else AnnouncementCallback.EVENT,
        private_metadata=EventRef(announcement_id=event.id).encode() if event else "",
        title="Edit event" if event else "Announce an event",
        submit="Save" if event else "Announce",
        close="Cancel",
        blocks=blocks,
    ).to_dict()


def _when_where(event: Announcement, tz: ZoneInfo, *, until: bool = True) -> str:
    end = f" to {event.ends_at.astimezone(tz):%H:%M}" if until and event.ends_at is not None else ""
    return f"*When:* {slack_time(event.starts_at, tz)}{end}\n*Where:* {escape(event.place)}"


def _rsvp_button(announcement_id: int) -> ButtonElement:
    return ButtonElement(
        action_id=AnnouncementAction.RSVP,
        text="I'm going",
        style="primary",
        value=EventRef(announcement_id=announcement_id).encode(),
    )


def announcement_message(event: Announcement, *, tz: ZoneInfo) -> list[dict[str, Any]]:
    """An event's post: what, when, where, how many are going (never who), and the RSVP toggle."""
    if event.state == AnnouncementState.CANCELLED:
        blocks: list[Block] = [
            header(f"Cancelled: {event.title}"[:150]),
            section(f"~{_when_where(event, tz)}~"),
            context("This event was cancelled. Sorry for the change of plans."),
        ]
        return [b.to_dict() for b in blocks]
    blocks = [header(event.title), section(_when_where(event, tz))]
    if event.description:
        blocks.append(section(escape(event.description)))
    going = "Nobody has said they're going yet." if event.going == 0 else f"*{event.going} going*"
    edited = " · _updated_" if event.edits else ""
    blocks += [
        context(f"{KIND_LABELS[event.kind]} · peer support program{edited}"),
        section(going),
        ActionsBlock(block_id=AnnouncementBlockId.RSVP, elements=[_rsvp_button(event.id)]),
        context((SENSITIVE_NOTE if event.sensitive else COUNT_ONLY) + " Click again to take yourself off."),
    ]
    return [b.to_dict() for b in blocks]


def event_reminder(event: Announcement, *, lead: timedelta, tz: ZoneInfo) -> list[dict[str, Any]]:
    """A reminder in the channel before the event starts."""
    blocks: list[Block] = [
        section(
            f"*Reminder:* {escape(event.title)} starts in {describe_lead(lead)}.\n"
            + _when_where(event, tz, until=False)
        ),
        ActionsBlock(block_id=AnnouncementBlockId.RSVP, elements=[_rsvp_button(event.id)]),
    ]
    return [b.to_dict() for b in blocks]


def announcement_failed(*, announcement_id: int, title: str, reason: str) -> list[dict[str, Any]]:
    """The coordinator learns the announcement could not be posted."""
    hint = {
        "not_in_channel": "I'm not in that channel: type `/invite @Peer Support` there.",
        "channel_not_found": "I can't see that channel: invite me to it with `/invite @Peer Support`.",
        "is_archived": "The channel is archived.",
    }.get(reason, "Slack refused the post.")
    blocks = [
        section(f"I couldn't post the announcement of *{escape(title)}*. {hint}"),
        context(
            "Its reminders won't be posted there either. Cancel it with"
            f" `/peer event cancel {announcement_id}` and announce it again."
        ),
    ]
    return [b.to_dict() for b in blocks]


def events_text(listings: Sequence[EventListing], *, tz: ZoneInfo) -> str:
    """``/peer event list``: upcoming events, who is going (names only where the kind allows)."""
    if not listings:
        return "No upcoming events. `/peer event` announces one."
    lines = ["*Upcoming events*"]
    for listing in listings:
        e = listing.announcement
        lines.append(
            f"• #{e.id} *{escape(e.title)}* ({KIND_LABELS[e.kind].lower()}), {when(e.starts_at, tz)},"
            f" {escape(e.place)}, in <#{e.channel_id}>: {e.going} going"
        )
        if listing.attendees is None:
            lines.append("   _names are never shown for this kind of event_")
        elif listing.attendees:
            lines.append("   " + ", ".join(mention(u) for u in listing.attendees))
    lines.append("_`/peer event edit N` changes one; `/peer event cancel N` cancels it._")
    return "\n".join(lines)


def rsvp_text(result: RsvpResult) -> str:
    """What the person who clicked RSVP is told, privately."""
    title = escape(result.title)
    if result.going:
        return f"You're going to *{title}*. See you there! Click again if your plans change."
    return f"You're no longer going to *{title}*."
