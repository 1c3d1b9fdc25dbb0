"""``/peer concern [@someone]``: the concern modal."""

from __future__ import annotations

from typing import Any

from bot.services import Services
from handlers.common.feature import FormOpener
from handlers.common.parsing import mentioned_users
from handlers.concerns.blocks import concern_modal


async def _concern_form(services: Services, user_id: str, args: list[str]) -> dict[str, Any] | None:
    subject = mentioned_users(args)[0] if args else None
    return concern_modal(subject_id=subject)


FORMS: dict[str, FormOpener] = {"concern": _concern_form}
