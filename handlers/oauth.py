"""Distribution mode, Slack's side: Bolt's OAuth flow on our storage, token rotation, and leaving.

- :class:`InstallationStore` and :class:`StateStore` are slack_sdk's store interfaces over
  :class:`bot.installations.Installations` and :class:`bot.installations.OAuthStates` (tokens sealed
  at rest there; the SQL in storage/installation_repository.py).
- :class:`ClockedTokenRotator` is slack_sdk's rotator on the app's clock (slack_sdk reads the
  system's), so a refresh happens when the app's time says a token is expiring.
- :class:`InstalledTokens` is the :class:`bot.tenancy.TokenSource` for work outside a request
  (deliveries, check-ins): the same refresh Bolt does per request, through the same rotator.
- :func:`register_leaving` binds ``app_uninstalled`` and ``tokens_revoked``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.errors import SlackApiError, SlackTokenRotationError
from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from slack_sdk.oauth.token_rotation.async_rotator import AsyncTokenRotator
from slack_sdk.web.async_client import AsyncWebClient

from bot.installations import Installations, OAuthStates
from bot.ports import Clock
from bot.tenancy import Workspace
from storage.models import InstallationRecord

log = logging.getLogger(__name__)
# What Bolt's flow logs goes to a Bolt logger: capped like the rest of the library (it names codes
# and Slack's answers at DEBUG; bot/log_format.py).
_bolt_log = logging.getLogger("slack_bolt.oauth")

INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
# The bot scopes an install asks for: manifest.yml's (tests/test_manifest.py keeps them equal).
BOT_SCOPES = (
    "commands",
    "chat:write",
    "im:history",
    "users:read",
    "channels:read",
    "groups:read",
    "im:write",
    "files:write",
)
# Minutes before expiry that a rotating token is refreshed (slack_sdk's default).
ROTATION_MINUTES = 120
# How long a request waits for a token another caller is refreshing, and how often it looks.
REFRESH_WAIT_SECONDS = 2.0
REFRESH_POLL_SECONDS = 0.02

__all__ = [
    "BOT_SCOPES",
    "INSTALL_PATH",
    "REDIRECT_PATH",
    "ClockedTokenRotator",
    "InstallationStore",
    "InstalledTokens",
    "StateStore",
    "build_oauth_flow",
    "register_leaving",
]


def _stamp(value: datetime | None) -> int | None:
    return None if value is None else int(value.timestamp())


def _time(value: float | int | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


def _record(installation: Installation | Bot) -> InstallationRecord:
    """slack_sdk's installation (or bot) as our record."""
    user: dict[str, Any] = {}
    if isinstance(installation, Installation):
        user = {
            "user_id": installation.user_id,
            "user_scopes": tuple(installation.user_scopes or ()),
            "user_token": installation.user_token,
            "user_refresh_token": installation.user_refresh_token,
            "user_token_expires_at": _time(installation.user_token_expires_at),
            "token_type": installation.token_type,
        }
    return InstallationRecord(
        enterprise_id=installation.enterprise_id,
        team_id=installation.team_id,
        user_id=user.pop("user_id", ""),
        is_enterprise_install=bool(installation.is_enterprise_install),
        app_id=installation.app_id,
        enterprise_name=installation.enterprise_name,
        enterprise_url=getattr(installation, "enterprise_url", None),
        team_name=installation.team_name,
        bot_id=installation.bot_id,
        bot_user_id=installation.bot_user_id,
        bot_scopes=tuple(installation.bot_scopes or ()),
        bot_token=installation.bot_token,
        bot_refresh_token=installation.bot_refresh_token,
        bot_token_expires_at=_time(installation.bot_token_expires_at),
        installed_at=_time(installation.installed_at) or datetime.now(UTC),
        **user,
    )


def _installation(record: InstallationRecord) -> Installation:
    return Installation(
        app_id=record.app_id,
        enterprise_id=record.enterprise_id,
        enterprise_name=record.enterprise_name,
        enterprise_url=record.enterprise_url,
        team_id=record.team_id,
        team_name=record.team_name,
        bot_token=record.bot_token,
        bot_id=record.bot_id,
        bot_user_id=record.bot_user_id,
        bot_scopes=list(record.bot_scopes),
        bot_refresh_token=record.bot_refresh_token,
        bot_token_expires_at=_stamp(record.bot_token_expires_at),
        user_id=record.user_id,
        user_token=record.user_token,
        user_scopes=list(record.user_scopes),
        user_refresh_token=record.user_refresh_token,
        user_token_expires_at=_stamp(record.user_token_expires_at),
        is_enterprise_install=record.is_enterprise_install,
        token_type=record.token_type,
        installed_at=record.installed_at.timestamp(),
    )


class _Logs:
    @property
    def logger(self) -> logging.Logger:
        """The store's logger (slack_sdk's store interfaces ask for one)."""
        return log


class InstallationStore(_Logs, AsyncInstallationStore):
    """slack_sdk's installation store over :class:`Installations` (tokens sealed at rest)."""

    def __init__(self, installations: Installations) -> None:
        self._installations = installations

    async def async_save(self, installation: Installation) -> None:
        """Keep an installation (and its bot as the workspace's latest)."""
        await self._installations.save(_record(installation))

    async def async_save_bot(self, bot: Bot) -> None:
        """Keep a bot (a refreshed token)."""
        await self._installations.save_bot(_record(bot))

    async def async_find_bot(
        self, *, enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool | None = False
    ) -> Bot | None:
        """The workspace's latest bot."""
        record = await self._installations.find_bot(enterprise_id, team_id, is_enterprise_install)
        return None if record is None else _installation(record).to_bot()

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        """An installer's installation (the latest one's without ``user_id``), with the latest bot."""
        record = await self._installations.find_installation(
            enterprise_id, team_id, user_id, is_enterprise_install
        )
        return None if record is None else _installation(record)

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        """Forget the workspace's bot tokens."""
        await self._installations.delete_bot(enterprise_id, team_id)

    async def async_delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        """Forget an installer's installation (every one's without ``user_id``)."""
        await self._installations.delete_installation(enterprise_id, team_id, user_id)

    async def async_delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        """Forget every token of the workspace."""
        await self._installations.delete_all(enterprise_id, team_id)


class StateStore(_Logs, AsyncOAuthStateStore):
    """slack_sdk's OAuth state store over :class:`OAuthStates` (one use each, expiring)."""

    def __init__(self, states: OAuthStates) -> None:
        self._states = states

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        """A new state."""
        return await self._states.issue()

    async def async_consume(self, state: str) -> bool:
        """True once for a state issued here and not expired."""
        return await self._states.consume(state or "")


class ClockedTokenRotator(AsyncTokenRotator):
    """slack_sdk's bot token rotation (``oauth.v2.access`` with ``grant_type=refresh_token``), timed
    by the app's clock, claimed in the database and stored at once.

    A refresh token is good once: of the requests (and instances) that find a token expiring
    together, the one that claims it refreshes and stores the new pair before anything else; the
    others wait for it (up to :data:`REFRESH_WAIT_SECONDS`, inside Slack's 3 s) and use it. We ask
    for no user scopes, so there are no user tokens to rotate.
    """

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        client: AsyncWebClient,
        clock: Clock,
        installations: Installations,
    ) -> None:
        super().__init__(client_id=client_id, client_secret=client_secret, client=client)
        self._clock = clock
        self._installations = installations

    async def perform_bot_token_rotation(
        self, *, bot: Bot, minutes_before_expiration: int = ROTATION_MINUTES
    ) -> Bot | None:
        """A bot with a fresh token if ``bot``'s expires within the minutes given, else None."""
        now = self._clock.now().timestamp()
        if (
            bot.bot_token_expires_at is None
            or bot.bot_token_expires_at > now + minutes_before_expiration * 60
        ):
            return None
        record = _record(bot)
        if not await self._installations.claim_refresh(record):
            return await self._refreshed_elsewhere(record)
        try:
            answer = await self.client.oauth_v2_access(
                client_id=self.client_id,
                client_secret=self.client_secret,
                grant_type="refresh_token",
                refresh_token=bot.bot_refresh_token,
            )
        except SlackApiError as error:
            await self._installations.release_refresh(record)
            raise SlackTokenRotationError(error) from None
        if answer.get("token_type") != "bot":  # as slack_sdk's rotator: not ours to store
            await self._installations.release_refresh(record)
            return None
        refreshed = Bot(**bot.to_dict_for_copying())
        refreshed.bot_token = answer["access_token"]
        refreshed.bot_refresh_token = answer.get("refresh_token")
        refreshed.bot_token_expires_at = int(now) + int(answer["expires_in"])
        # Stored before anything else: the old refresh token is spent, this pair is the only one.
        await self._installations.save_bot(_record(refreshed))
        log.info("workspace %s: its bot token was refreshed", bot.team_id)
        return refreshed

    async def _refreshed_elsewhere(self, stale: InstallationRecord) -> Bot | None:
        """The token another caller is refreshing, once it is stored (None if it never comes)."""
        for _ in range(int(REFRESH_WAIT_SECONDS / REFRESH_POLL_SECONDS)):
            await asyncio.sleep(REFRESH_POLL_SECONDS)
            current = await self._installations.find_bot(
                stale.enterprise_id, stale.team_id, stale.is_enterprise_install
            )
            if current is None:
                return None  # the workspace left meanwhile
            if current.bot_token_expires_at != stale.bot_token_expires_at:
                return _installation(current).to_bot()
        log.warning("workspace %s: its bot token is being refreshed elsewhere, still", stale.team_id)
        return None


class _ClockedOAuthFlow(AsyncOAuthFlow):
    """Bolt's OAuth flow, with the new installation's times on the app's clock (slack_sdk stamps
    them with the system's): expiry is then compared with the same clock that refreshes."""

    def __init__(self, *, clock: Clock, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._clock = clock

    async def run_installation(self, code: str) -> Installation | None:
        """Exchange the code (``oauth.v2.access``), then move the installation onto the app's clock."""
        installation = await super().run_installation(code)
        if installation is None:
            return None
        shift = self._clock.now().timestamp() - time.time()
        installation.installed_at += shift
        if installation.bot_token_expires_at is not None:
            installation.bot_token_expires_at = int(installation.bot_token_expires_at + shift)
        if installation.user_token_expires_at is not None:
            installation.user_token_expires_at = int(installation.user_token_expires_at + shift)
        return installation


def build_oauth_flow(
    *,
    client: AsyncWebClient,
    client_id: str,
    client_secret: str,
    scopes: list[str],
    installations: Installations,
    states: OAuthStates,
    state_seconds: int,
    clock: Clock,
    authorization_url: str | None = None,
) -> tuple[AsyncOAuthFlow, ClockedTokenRotator]:
    """Bolt's OAuth flow on our stores, and the rotator it (and :class:`InstalledTokens`) refresh with."""
    store = InstallationStore(installations)
    settings = AsyncOAuthSettings(
        client_id=client_id,
        client_secret=client_secret,
        scopes=scopes,
        user_scopes=[],
        install_path=INSTALL_PATH,
        # /slack/install sends the installer straight on to Slack's consent screen.
        install_page_rendering_enabled=False,
        redirect_uri_path=REDIRECT_PATH,
        authorization_url=authorization_url,
        installation_store=store,
        # We ask for no user scopes: a request needs the workspace's bot and nothing else, one read
        # (find_installation would read the latest installer's and then the requester's, each with
        # the bot: four queries and two units of work before every ack).
        installation_store_bot_only=True,
        state_store=StateStore(states),
        state_expiration_seconds=state_seconds,
        token_rotation_expiration_minutes=ROTATION_MINUTES,
        logger=_bolt_log,
    )
    rotator = ClockedTokenRotator(
        client_id=client_id,
        client_secret=client_secret,
        client=client,
        clock=clock,
        installations=installations,
    )
    # The settings built Bolt's authorize on our store; it refreshes through our rotator, and keeps
    # Bolt's cache of auth.test answers by token: a request from an installed workspace costs a
    # database read, not a call to Slack before its ack (a refreshed token is a new key).
    authorize = settings.authorize
    if not isinstance(authorize, AsyncInstallationStoreAuthorize):
        raise TypeError("Bolt's OAuth settings no longer authorize from the installation store")
    authorize.token_rotator = rotator
    authorize.cache_enabled = True
    return _ClockedOAuthFlow(clock=clock, client=client, logger=_bolt_log, settings=settings), rotator


class InstalledTokens:
    """The :class:`bot.tenancy.TokenSource` of distribution mode: a workspace's current bot token from
    its installation, refreshed (and the refreshed one stored) when it is about to expire."""

    def __init__(self, installations: Installations, rotator: ClockedTokenRotator) -> None:
        self._store = InstallationStore(installations)
        self._rotator = rotator

    async def bot_token(self, workspace: Workspace) -> str | None:
        """The workspace's bot token, or None when it has not installed the app (or left)."""
        bot = await self._store.async_find_bot(
            enterprise_id=workspace.enterprise_id, team_id=workspace.team_id
        )
        if bot is None:
            return None
        if bot.bot_refresh_token is not None:
            refreshed = await self._rotator.perform_bot_token_rotation(
                bot=bot, minutes_before_expiration=ROTATION_MINUTES
            )
            if refreshed is not None:
                return refreshed.bot_token
        return bot.bot_token


def register_leaving(
    app: AsyncApp,
    installations: Installations | None,
    closed: Callable[[Workspace], Awaitable[None]] | None = None,
) -> None:
    """``app_uninstalled``, or ``tokens_revoked`` naming the bot: the workspace's tokens go at once
    and its data after the grace period. Revoked user tokens alone: those installers' rows go.

    In single-workspace mode (``installations`` None) there is nothing stored to delete: the
    operator is told the token no longer works.
    """

    @app.event("app_uninstalled")
    async def on_uninstalled(context: AsyncBoltContext) -> None:
        await _leave(installations, context, closed)

    @app.event("tokens_revoked")
    async def on_tokens_revoked(event: dict[str, Any], context: AsyncBoltContext) -> None:
        tokens = event.get("tokens") or {}
        if installations is not None:
            for user_id in tokens.get("oauth") or ():
                await installations.delete_installation(context.enterprise_id, context.team_id, str(user_id))
        if tokens.get("bot"):
            await _leave(installations, context, closed)


async def _leave(
    installations: Installations | None,
    context: AsyncBoltContext,
    closed: Callable[[Workspace], Awaitable[None]] | None,
) -> None:
    if installations is None:
        log.warning("the app was uninstalled or its bot token revoked: SLACK_BOT_TOKEN no longer works")
        return
    try:
        workspace = Workspace(team_id=context.team_id or "", enterprise_id=context.enterprise_id)
    except ValueError:
        # An org-wide (Enterprise Grid) uninstall names no team: its tokens go; there is no one
        # workspace's data to schedule.
        log.warning("an uninstall without a team id: its tokens are deleted")
        await installations.delete_all(context.enterprise_id, context.team_id)
        return
    await installations.left(workspace)
    if closed is not None:
        await closed(workspace)
