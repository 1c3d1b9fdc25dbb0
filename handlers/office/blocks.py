"""Builders for an office's settings: the modal that shows and changes them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import Block, CheckboxesElement, InputBlock, Option, PlainTextInputElement
from slack_sdk.models.views import View

from bot.office_settings import OfficeSetting
from handlers.common.blocks import context
from handlers.office.ids import SHARED, OfficeCallback, OfficeChoice, OfficeField

RESOURCES = "PEER_RESOURCES"
_LABELS = {
    "PEER_TIMEZONE": ("Time zone", "An IANA zone, e.g. America/Chicago: the program's hours and dates."),
    "PEER_SERVICE_HOURS": ("Program hours", "08:00-18:00 (Monday to Friday), Mon-Sat 07:30-19:00, or any."),
    "PEER_OFFER_TIMEOUT": ("Offer time, this week", "How long an offer waits for an answer: 30m, 4h, 1d."),
    "PEER_OFFER_TIMEOUT_ASAP": ("Offer time, as soon as possible", "The same for urgent requests: 5m, 10m."),
    "PEER_OFFER_TIMEOUT_NO_RUSH": ("Offer time, no rush", "The same for requests with no rush: 1d."),
    RESOURCES: ("Lines on every message", "One line each (mrkdwn), e.g. *Our EAP*: 555-0100."),
    "PEER_RETENTION_DAYS": (
        "Days kept after closing",
        "Days before what identified a request is purged: 30 or 2w.",
    ),
    "PEER_MIN_COUNT": ("Smallest count published", 'Counts below it show as "fewer than N" (at least 2).'),
}


def settings_modal(settings: Sequence[OfficeSetting], *, shared: bool = False) -> dict[str, Any]:
    """The office's settings, each with its own value if it set one; empty means the deployment's;
    then whether it shares its statistics with the association (``shared``)."""
    blocks: list[Block] = [
        context(
            "These settings are this office's own. Leave one empty for the deployment's default"
            " (shown under each). A change applies at once; it is in the audit log."
        )
    ]
    for setting in settings:
        label, hint = _LABELS.get(setting.name, (setting.name, ""))
        multiline = setting.name == RESOURCES
        blocks.append(
            InputBlock(
                block_id=OfficeField.of(setting.name),
                label=label,
                optional=True,
                hint=f"{hint} Default: {setting.default}."[:2000],
                element=PlainTextInputElement(
                    action_id=OfficeField.of(setting.name),
                    initial_value=_shown(setting) or None,
                    multiline=multiline,
                    max_length=3000 if multiline else 100,
                ),
            )
        )
    share = Option(
        value=SHARED,
        label="Share our statistics with the association",
        description="Only our published figures of completed quarters, summed with other offices'; never"
        " our office's name beside a figure. From the quarter under way on.",
    )
    blocks.append(
        InputBlock(
            block_id=OfficeChoice.SHARE_STATISTICS,
            label="Statistics across offices",
            optional=True,
            element=CheckboxesElement(
                action_id=OfficeChoice.SHARE_STATISTICS,
                options=[share],
                initial_options=[share] if shared else None,
            ),
        )
    )
    return View(
        type="modal",
        callback_id=OfficeCallback.SETTINGS,
        title="Office settings",
        submit="Save",
        close="Cancel",
        blocks=blocks,
    ).to_dict()


def _shown(setting: OfficeSetting) -> str:
    if setting.value is None or setting.name != RESOURCES:
        return setting.value or ""
    return "\n".join(str(line) for line in json.loads(setting.value))


def stored(field: OfficeField, text: str | None) -> str | None:
    """What a field's text is stored as (the resource lines as the environment's JSON list)."""
    if text is None or not text.strip() or field.setting != RESOURCES:
        return text
    return json.dumps([line.strip() for line in text.splitlines() if line.strip()])
