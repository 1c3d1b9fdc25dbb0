"""``/peer check``: the private self-check modal."""

from __future__ import annotations

from typing import Any

from bot.services import Services
from handlers.common.feature import FormOpener
from handlers.selfcheck.blocks import self_check_modal


async def _check_form(_services: Services, _user: str, _args: list[str]) -> dict[str, Any] | None:
    return self_check_modal()


FORMS: dict[str, FormOpener] = {"check": _check_form}
