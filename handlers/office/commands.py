"""``/peer settings``: the office's own settings (coordinators), in a modal."""

from __future__ import annotations

from typing import Any

from bot.services import Services
from handlers.common.feature import FormOpener
from handlers.office.blocks import settings_modal


async def _settings_form(services: Services, user_id: str, args: list[str]) -> dict[str, Any] | None:
    if args:
        return None
    settings = await services.office_settings.settings(coordinator_id=user_id)
    shared = await services.office_settings.shares_with_association(coordinator_id=user_id)
    return settings_modal(settings, shared=shared)


FORMS: dict[str, FormOpener] = {"settings": _settings_form}
