"""The domain's :class:`~bot.ports.Directory`, implemented with Slack's Web API."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.failures import failure
from bot.ports import ChannelProblem, Profile

log = logging.getLogger(__name__)

SLACKBOT = "USLACKBOT"  # a member of every channel, listed without ``is_bot``

_PAGE = 200
# Asked before a modal is answered (Slack waits 3 s for it): an answer later than this is no answer.
_CHANNEL_CHECK_SECONDS = 1.5
# How long names read from ``users.list`` serve the request modal's picker before being read again.
_NAMES_FOR_SECONDS = 300.0
# Someone missing (a supporter added since) is looked for again after this long at the soonest.
_NAMES_RETRY_SECONDS = 30.0


class SlackDirectory:
    """Looks people up in bulk with ``users.list`` (tier 2), never one ``users.info`` per affected person.

    ``users.info`` serves only a supporter's first name, once per anonymous conversation.
    """

    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client
        # Names for the request modal's supporter picker: kept in memory for a few minutes only.
        self._names: dict[str, str] = {}
        self._names_at = float("-inf")

    async def profiles(self, user_ids: set[str]) -> dict[str, Profile]:
        """Profiles of the people asked for (time zone, and whether they can get DMs)."""
        if not user_ids:
            return {}
        found: dict[str, Profile] = {}
        cursor = ""
        while True:
            response = await self._client.users_list(limit=_PAGE, cursor=cursor or None)
            members: list[dict[str, Any]] = response.get("members", [])
            for member in members:
                user_id = member.get("id")
                if user_id in user_ids:
                    bot = bool(member.get("is_bot")) or user_id == SLACKBOT
                    active = not member.get("deleted") and not bot
                    found[user_id] = Profile(user_id=user_id, tz=member.get("tz"), active=active, bot=bot)
            cursor = (response.get("response_metadata") or {}).get("next_cursor") or ""
            if not cursor or len(found) == len(user_ids):
                return found

    async def display_names(self, user_ids: set[str]) -> dict[str, str]:
        """Real (or display) names from ``users.list``, the whole directory read at most every few
        minutes and kept in memory only (the request modal's picker must not wait on Slack each time)."""
        loop = asyncio.get_running_loop()
        age = loop.time() - self._names_at
        if age > _NAMES_FOR_SECONDS or (user_ids - self._names.keys() and age > _NAMES_RETRY_SECONDS):
            names: dict[str, str] = {}
            cursor = ""
            while True:
                response = await self._client.users_list(limit=_PAGE, cursor=cursor or None)
                members: list[dict[str, Any]] = response.get("members", [])
                for member in members:
                    profile = member.get("profile") or {}
                    name = profile.get("real_name") or member.get("real_name") or profile.get("display_name")
                    if isinstance(member.get("id"), str) and isinstance(name, str) and name.strip():
                        names[member["id"]] = name.strip()[:60]
                cursor = (response.get("response_metadata") or {}).get("next_cursor") or ""
                if not cursor:
                    break
            self._names, self._names_at = names, loop.time()
        return {u: self._names[u] for u in user_ids if u in self._names}

    async def first_name(self, user_id: str) -> str | None:
        """A person's first name from their profile (``users.info``: once per conversation)."""
        response = await self._client.users_info(user=user_id)
        user = response.get("user") or {}
        profile = user.get("profile") or {}
        real_name = str(profile.get("real_name") or user.get("real_name") or "")
        for candidate in (profile.get("first_name"), real_name.split(" ")[0], profile.get("display_name")):
            if isinstance(candidate, str) and candidate.strip():
                return candidate.strip()
        return None

    async def channel_members(self, channel_id: str) -> list[str]:
        """Everyone in a channel."""
        members: list[str] = []
        cursor = ""
        while True:
            response = await self._client.conversations_members(
                channel=channel_id, limit=_PAGE, cursor=cursor or None
            )
            members.extend(response.get("members", []))
            cursor = (response.get("response_metadata") or {}).get("next_cursor") or ""
            if not cursor:
                return members

    async def posting_problem(self, channel_id: str) -> ChannelProblem | None:
        """What stops the bot posting in a channel (``conversations.info``); None if nothing, or no answer."""
        try:
            response = await asyncio.wait_for(
                self._client.conversations_info(channel=channel_id), timeout=_CHANNEL_CHECK_SECONDS
            )
        except SlackApiError as exc:
            if exc.response.get("error") == "channel_not_found":
                return ChannelProblem.NOT_FOUND
            log.warning("channel check failed: %s", exc.response.get("error"))
            return None
        except (TimeoutError, OSError, aiohttp.ClientError) as exc:
            # Slack slow or unreachable: let it through; a failed post is reported to the coordinator.
            log.warning("channel check failed: %s", failure(exc))
            return None
        channel = response.get("channel") or {}
        if channel.get("is_archived"):
            return ChannelProblem.ARCHIVED
        if not channel.get("is_member"):
            return ChannelProblem.NOT_A_MEMBER
        return None
