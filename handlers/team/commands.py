"""``/peer team [filters]`` (the directory) and ``/peer profile`` (a supporter's own profile)."""

from __future__ import annotations

from typing import Any

from bot.profiles import TeamFilter
from bot.services import Services
from handlers.common.feature import FormOpener, Subcommand
from handlers.team.blocks import profile_modal, team_text

_KEYS = {
    "role": "role",
    "roles": "role",
    "tag": "tag",
    "tags": "tag",
    "language": "language",
    "languages": "language",
}


def team_filter(args: list[str]) -> TeamFilter:
    """``role victim advocate language spanish``: each keyword starts a filter, the words after it
    are its value; words before any keyword match any field."""
    found: dict[str, list[str]] = {}
    current = "words"
    for token in args:
        name = _KEYS.get(token.lower().rstrip(":"))
        if name is not None:
            current = name
            found.setdefault(current, [])
        else:
            found.setdefault(current, []).append(token)
    values = {k: " ".join(v)[:80] or None for k, v in found.items()}
    return TeamFilter(
        role=values.get("role"),
        tag=values.get("tag"),
        language=values.get("language"),
        words=values.get("words"),
    )


async def _team(services: Services, _: str, args: list[str]) -> str:
    chosen = team_filter(args)
    return team_text(await services.profiles.team(chosen), filtered=bool(args))


async def _profile_form(services: Services, user_id: str, _: list[str]) -> dict[str, Any]:
    profile = await services.profiles.own(user_id=user_id)
    return profile_modal(profile, services.profiles.policy)


FORMS: dict[str, FormOpener] = {"profile": _profile_form}
SUBCOMMANDS: dict[str, Subcommand] = {"team": _team}
