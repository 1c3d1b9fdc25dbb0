"""``/peer settings``: the office's own settings (coordinators), in a modal."""

from __future__ import annotations

from typing import Any

from bot.services import Services
from handlers.common.feature import FormOpener
from handlers.office.listeners import settings_view


async def _settings_form(services: Services, user_id: str, args: list[str]) -> dict[str, Any] | None:
    return None if args else await settings_view(services, user_id)


FORMS: dict[str, FormOpener] = {"settings": _settings_form}
