"""Distribution mode: installations (their tokens sealed at rest), OAuth states, and leaving.

Slack's side of these (Bolt's installation and state store interfaces, the token rotation) is
in handlers/oauth.py; this module keeps what they mean: a token is stored only as Fernet
ciphertext under ``PEER_ENCRYPTION_KEY``, a state is good once and only until it expires, and a
workspace that uninstalls loses its tokens at once and its data after ``PEER_UNINSTALL_GRACE``,
unless it comes back first.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
from datetime import timedelta

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from bot.failures import failure
from bot.ports import Clock
from bot.tenancy import Workspace, WorkspaceData
from storage.db import Database, Tx
from storage.models import Departure, InstallationRecord

log = logging.getLogger(__name__)

__all__ = [
    "STATE_LIFETIME",
    "Installations",
    "OAuthStates",
    "TokenUnreadable",
    "token_cipher",
]

_TOKEN_FIELDS = ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token")
# How long an installer has between /slack/install and coming back from Slack's consent screen.
STATE_LIFETIME = timedelta(minutes=10)
# An instance that claimed a token refresh and died leaves it claimed; after this, another refreshes.
REFRESH_LEASE = timedelta(minutes=1)
# A sweep that claimed a departure and died leaves it claimed; after this long another takes it.
CLAIM_LEASE = timedelta(hours=1)


def token_cipher(keys: str) -> MultiFernet:
    """The cipher for ``PEER_ENCRYPTION_KEY``: comma-separated Fernet keys, the first encrypting and
    every one decrypting (so a new key can be put first while old rows are still readable).

    Raises ValueError for anything that is not a Fernet key.
    """
    parts = [part.strip() for part in keys.split(",") if part.strip()]
    if not parts:
        raise ValueError("no key")
    try:
        return MultiFernet([Fernet(part.encode()) for part in parts])
    except (ValueError, TypeError) as error:  # binascii.Error is a ValueError
        raise ValueError("not a Fernet key") from error


class TokenUnreadable(RuntimeError):
    """A stored token does not decrypt with any key of ``PEER_ENCRYPTION_KEY`` (the key changed)."""


class Installations:
    """The workspaces that installed the app, and those that left it."""

    def __init__(self, *, db: Database, clock: Clock, key: str, grace: timedelta) -> None:
        self._db = db
        self._clock = clock
        self._cipher = token_cipher(key)
        self._grace = grace

    # Installations: tokens are sealed on the way in and opened on the way out.

    async def save(self, record: InstallationRecord) -> None:
        """Store an installation; a workspace that left and comes back within its grace keeps its data."""
        sealed = self._seal(record)
        async with self._db.transaction() as tx:
            await tx.installations.save(sealed)
            kept = await tx.installations.cancel_departure(record.enterprise_id, record.team_id)
        if kept:
            log.info(
                "workspace %s reinstalled the app within its grace period: its data is kept", record.team_id
            )

    async def save_bot(self, record: InstallationRecord) -> None:
        """Store a workspace's bot (a refreshed token replaces the stored one)."""
        sealed = self._seal(record)
        async with self._db.transaction() as tx:
            await tx.installations.save_bot(sealed)

    async def claim_refresh(self, bot: InstallationRecord) -> bool:
        """Whether this caller refreshes ``bot``'s token now (claimed in the database: a refresh token
        is good once, so two instances must not both spend it)."""
        if bot.bot_token_expires_at is None:
            return False
        now = self._clock.now()
        async with self._db.transaction() as tx:
            return await tx.installations.claim_refresh(
                bot.enterprise_id,
                bot.team_id,
                bot.is_enterprise_install,
                bot.bot_token_expires_at,
                now,
                now - REFRESH_LEASE,
            )

    async def release_refresh(self, bot: InstallationRecord) -> None:
        """The refresh failed: another caller may try at once."""
        async with self._db.transaction() as tx:
            await tx.installations.release_refresh(bot.enterprise_id, bot.team_id, bot.is_enterprise_install)

    async def find_bot(
        self, enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool | None = False
    ) -> InstallationRecord | None:
        """The workspace's latest bot, tokens readable; None when not installed."""
        async with self._db.read() as tx:
            record = await tx.installations.find_bot(enterprise_id, team_id, is_enterprise_install)
        return None if record is None else self._open(record)

    async def find_installation(
        self,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> InstallationRecord | None:
        """An installer's installation (the latest one's when ``user_id`` is None), with the
        workspace's latest bot in it (as slack_sdk's stores do: a later install's bot wins)."""
        async with self._db.read() as tx:
            record = await tx.installations.find_installation(
                enterprise_id, team_id, user_id, is_enterprise_install
            )
            bot = await tx.installations.find_bot(enterprise_id, team_id, is_enterprise_install)
        if record is None:
            return None
        if bot is not None:
            record = record.model_copy(
                update={
                    name: getattr(bot, name)
                    for name in ("bot_id", "bot_user_id", "bot_scopes", "bot_token", "bot_refresh_token")
                }
                | {"bot_token_expires_at": bot.bot_token_expires_at}
            )
        return self._open(record)

    async def delete_bot(self, enterprise_id: str | None, team_id: str | None) -> None:
        """Forget the workspace's bot tokens."""
        async with self._db.transaction() as tx:
            await tx.installations.delete_bot(enterprise_id, team_id)

    async def delete_installation(
        self, enterprise_id: str | None, team_id: str | None, user_id: str | None
    ) -> None:
        """Forget an installer's installation (every installer's when ``user_id`` is None)."""
        async with self._db.transaction() as tx:
            await tx.installations.delete_installation(enterprise_id, team_id, user_id)

    async def delete_all(self, enterprise_id: str | None, team_id: str | None) -> None:
        """Forget every token of the workspace."""
        async with self._db.transaction() as tx:
            await _delete_tokens(tx, enterprise_id, team_id)

    # Leaving

    async def left(self, workspace: Workspace) -> None:
        """The workspace uninstalled the app: its tokens go now, its data after the grace period."""
        now = self._clock.now()
        async with self._db.transaction() as tx:
            await _delete_tokens(tx, workspace.enterprise_id, workspace.team_id)
            await tx.installations.depart(workspace.enterprise_id, workspace.team_id, now, now + self._grace)
        log.info(
            "workspace %s uninstalled the app: its tokens are deleted, its data kept for now",
            workspace.team_id,
        )

    async def departures(self) -> list[Departure]:
        """The workspaces that left and whose data is still kept."""
        async with self._db.read() as tx:
            return await tx.installations.departures()

    async def forget_departed(self, data: WorkspaceData) -> int:
        """The sweep's part: forget the data of each workspace whose grace has passed, once
        (claimed in the database first, so two instances never both do it); returns how many."""
        now = self._clock.now()
        stale = now - CLAIM_LEASE
        async with self._db.read() as tx:
            due = await tx.installations.due_departures(now, stale)
        forgotten = 0
        for departure in due:
            async with self._db.transaction() as tx:
                if not await tx.installations.claim_departure(departure, now, stale):
                    continue  # another instance has it, or the workspace came back
            workspace = Workspace(team_id=departure.team_id, enterprise_id=departure.enterprise_id)
            try:
                await data.forget(workspace)
            except Exception as exc:  # noqa: BLE001 - released: the next sweep tries again
                log.error("forgetting workspace %s failed: %s", workspace.team_id, failure(exc))
                async with self._db.transaction() as tx:
                    await tx.installations.release_departure(departure)
                continue
            async with self._db.transaction() as tx:
                await tx.installations.finish_departure(departure)
            log.info("workspace %s: its data is forgotten (grace period over)", workspace.team_id)
            forgotten += 1
        return forgotten

    # Sealing

    def _seal(self, record: InstallationRecord) -> InstallationRecord:
        return record.model_copy(
            update={
                name: self._cipher.encrypt(value.encode()).decode()
                for name in _TOKEN_FIELDS
                if (value := getattr(record, name)) is not None
            }
        )

    def _open(self, record: InstallationRecord) -> InstallationRecord:
        try:
            return record.model_copy(
                update={
                    name: self._cipher.decrypt(value.encode()).decode()
                    for name in _TOKEN_FIELDS
                    if (value := getattr(record, name)) is not None
                }
            )
        except InvalidToken:
            raise TokenUnreadable("a stored token does not decrypt with PEER_ENCRYPTION_KEY") from None


async def _delete_tokens(tx: Tx, enterprise_id: str | None, team_id: str | None) -> None:
    await tx.installations.delete_bot(enterprise_id, team_id)
    await tx.installations.delete_installation(enterprise_id, team_id, None)


class OAuthStates:
    """The ``state`` of Slack's OAuth flow: signed with ``SLACK_STATE_SECRET``, stored, good once
    and only until it expires."""

    def __init__(self, *, db: Database, clock: Clock, secret: str, expires_after: timedelta) -> None:
        self._db = db
        self._clock = clock
        self._secret = secret.encode()
        self._expires_after = expires_after

    async def issue(self) -> str:
        """A new state for one installer's browser."""
        nonce = secrets.token_urlsafe(24)
        state = f"{nonce}.{self._mac(nonce)}"
        now = self._clock.now()
        async with self._db.transaction() as tx:
            await tx.installations.drop_expired_states(now)
            await tx.installations.add_state(state, now + self._expires_after)
        return state

    async def consume(self, state: str) -> bool:
        """True once for a state this deployment issued, if it comes back before it expires."""
        nonce, _, mac = state.partition(".")
        # A state not signed here is refused without touching the database.
        if not nonce or not hmac.compare_digest(mac.encode(), self._mac(nonce).encode()):
            return False
        async with self._db.transaction() as tx:
            return await tx.installations.consume_state(state, self._clock.now())

    def _mac(self, nonce: str) -> str:
        digest = hmac.new(self._secret, nonce.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")
