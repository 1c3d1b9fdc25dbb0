"""A supporter's profile: the Home's Edit button and the profile modal."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import DomainError, InvalidForm
from bot.profiles import ProfileForm
from bot.services import Services
from handlers.common.clicks import open_built
from handlers.common.errors import user_message
from handlers.common.parsing import flatten_state
from handlers.team.blocks import profile_modal
from handlers.team.ids import TeamAction, TeamCallback, TeamField


def register(app: AsyncApp) -> None:
    """Bind the profile's button and modal."""
    app.action(TeamAction.EDIT_PROFILE)(on_edit_profile)
    app.view(TeamCallback.PROFILE)(on_profile_submitted)


async def on_edit_profile(
    ack: AsyncAck, body: dict[str, Any], services: Services, client: AsyncWebClient
) -> None:
    """A supporter opens their own profile (anyone else is told it is for supporters)."""
    await ack()
    await open_built(services, client, body, _own_modal(services, body["user"]["id"]))


async def _own_modal(services: Services, user_id: str) -> dict[str, Any]:
    profile = await services.profiles.own(user_id=user_id)
    return profile_modal(profile, services.profiles.policy)


# Domain form fields → the modal blocks that show their errors.
_FIELDS = {
    "role": TeamField.ROLE,
    "unit": TeamField.UNIT,
    "location": TeamField.LOCATION,
    "languages": TeamField.LANGUAGES,
    "tags": TeamField.TAGS,
    "other_tags": TeamField.OTHER_TAGS,
    "about": TeamField.ABOUT,
}


async def on_profile_submitted(ack: AsyncAck, body: dict[str, Any], services: Services) -> None:
    """Save the caller's own profile (never anyone else's: the caller is the one it is saved for)."""
    values = flatten_state(body["view"])
    tags = values.get(TeamField.TAGS)
    form = ProfileForm(
        role=_text(values.get(TeamField.ROLE)),
        unit=_text(values.get(TeamField.UNIT)),
        location=_text(values.get(TeamField.LOCATION)),
        languages=_text(values.get(TeamField.LANGUAGES)),
        tags=tuple(t for t in tags if isinstance(t, str)) if isinstance(tags, list) else (),
        other_tags=_text(values.get(TeamField.OTHER_TAGS)),
        about=_text(values.get(TeamField.ABOUT)),
    )
    try:
        await services.profiles.save_own(user_id=body["user"]["id"], form=form)
    except InvalidForm as invalid:
        await ack(response_action="errors", errors={_FIELDS[f]: m for f, m in invalid.errors.items()})
        return
    except DomainError as error:
        await ack(response_action="errors", errors={TeamField.ROLE: user_message(error)})
        return
    await ack()


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None
