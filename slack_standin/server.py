"""An aiohttp server on 127.0.0.1 that answers Slack Web API methods the way Slack does.

It records every call (method, parameters, headers), keeps the messages and
views it was sent (with their updates), and answers with Slack's shapes:
``ok``, ``channel``, ``ts``, view ids, and Slack's error codes for bad
tokens, unknown users, channels, messages and methods.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import dataclasses
import itertools
import json
import random
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from slack_standin.limits import PostLimits


@dataclass
class Call:
    """One recorded Web API call."""

    method: str
    params: dict[str, Any]
    headers: dict[str, str]
    at: float = field(default_factory=time.monotonic)
    fault: Fault | None = None  # what the stand-in answered with instead of a plain answer
    team: str | None = None  # the workspace whose bot token made the call (None: no valid token)

    @property
    def channel(self) -> str | None:
        """The ``channel`` parameter, if any."""
        value = self.params.get("channel")
        return None if value is None else str(value)


@dataclass
class Message:
    """A message as it currently stands in a channel."""

    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    history: list[dict[str, Any]] = field(default_factory=list)
    thread_ts: str | None = None
    user: str | None = None  # who wrote it; None for the app's own messages
    team: str | None = None  # the workspace it was posted in (the token's)


@dataclass(frozen=True)
class Fault:
    """One injected failure: an HTTP status, Slack's error code, and an optional Retry-After.

    ``Fault.slow(s)`` carries the call out, then answers ``s`` seconds late (a client that gave up
    meanwhile never learns that it worked); ``Fault.reset()`` cuts the connection without
    carrying anything out; ``Fault.none()`` answers normally (a gap in a plan).
    """

    status: int = 429
    error: str = "ratelimited"
    retry_after: int | None = 1
    delay: float = 0.0
    reset: bool = False

    @classmethod
    def slow(cls, seconds: float) -> Fault:
        """Do the call, answer late."""
        return cls(status=200, error="", retry_after=None, delay=seconds)

    @classmethod
    def connection_reset(cls) -> Fault:
        """Cut the connection; nothing is done."""
        return cls(status=0, error="", retry_after=None, reset=True)

    @classmethod
    def none(cls) -> Fault:
        """Answer normally."""
        return cls(status=200, error="", retry_after=None)


# The faults a seeded plan draws from, by name.
FAULT_KINDS: dict[str, Fault] = {
    "ok": Fault.none(),
    "ratelimited": Fault(status=429, error="ratelimited", retry_after=0),
    "internal_error": Fault(status=500, error="internal_error", retry_after=None),
    "service_unavailable": Fault(status=503, error="service_unavailable", retry_after=None),
    "bad_gateway": Fault(status=502, error="bad_gateway", retry_after=None),
    "fatal_error": Fault(status=200, error="fatal_error", retry_after=None),
    "reset": Fault.connection_reset(),
}


def fault_plan(seed: int, count: int, weights: dict[str, float], *, slow: float = 0.0) -> list[Fault]:
    """``count`` faults drawn by ``seed`` from :data:`FAULT_KINDS` (and ``"slow"``) with ``weights``.

    The same seed always gives the same plan, so a failing run can be replayed exactly.
    """
    rng = random.Random(seed)
    kinds = sorted(weights)
    drawn = rng.choices(kinds, weights=[weights[k] for k in kinds], k=count)
    return [Fault.slow(slow) if kind == "slow" else FAULT_KINDS[kind] for kind in drawn]


@dataclass
class _Gate:
    opened: asyncio.Event
    match: Callable[[dict[str, Any]], bool]
    dropped: bool = False


@dataclass(frozen=True)
class Grant:
    """A workspace's install as Slack knows it (what its tokens stand for)."""

    team_id: str
    team_name: str
    enterprise_id: str | None
    installer: str
    scope: str
    bot_user_id: str
    expires_at: float | None = None


def dm_channel(user_id: str) -> str:
    """The id of the app's DM channel with a user (stable, like Slack's)."""
    return "D" + user_id[1:]


class SlackStandIn:
    """The Web API stand-in. ``await start()`` returns its base URL (ending in ``/api/``)."""

    def __init__(
        self,
        *,
        token: str = "xoxb-test-token",
        app_token: str = "xapp-test-token",
        bot_user_id: str = "UBOTPEER",
        team_id: str = "T111",
    ) -> None:
        self.token = token
        # Socket Mode: apps.connections.open takes the app-level token and hands out a WebSocket URL.
        self.app_token = app_token
        self.socket_connections = 0
        self.bot_user_id = bot_user_id
        self.team_id = team_id
        # Every workspace the app is installed in: bot token → team id (see add_team).
        self.teams: dict[str, str] = {token: team_id}
        self.acting_team = team_id
        self.calls: list[Call] = []
        self.messages: dict[tuple[str, str], Message] = {}
        self.views: dict[str, dict[str, Any]] = {}
        self.view_by_trigger: dict[str, str] = {}  # trigger_id → id of the view it opened
        self.home_views: dict[str, dict[str, Any]] = {}
        self.response_url_posts: list[dict[str, Any]] = []
        # Messages deleted with chat.delete, as they stood when deleted.
        self.deleted: list[Message] = []
        # People Slack does not know, or who cannot get DMs (Slack's error code for each).
        self.undeliverable: dict[str, str] = {}
        # Methods whose answers are held back until released (a Slack that hangs).
        self._gates: dict[str, _Gate] = {}
        # The workspace's people (users.list) and channels (conversations.members).
        self.users: dict[str, dict[str, Any]] = {}
        self.channels: dict[str, list[str]] = {}
        self.archived: set[str] = set()
        # Faults to answer with, per method, in order, each for the calls its filter accepts.
        self.faults: dict[str, list[tuple[Fault, Callable[[dict[str, Any]], bool]]]] = {}
        # Slack's limits on chat.postMessage, modelled (None: unlimited); see slack_standin.limits.
        self.post_limits: PostLimits | None = None
        # Files uploaded with files.getUploadURLExternal → upload → files.completeUploadExternal.
        self.files: dict[str, dict[str, Any]] = {}
        self._ts = itertools.count(1)
        self._view_ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self._changed = asyncio.Event()
        self.base_url = ""
        # OAuth installs (distribution mode): the app's credentials, codes handed to the app's
        # redirect, and the tokens issued per workspace (with rotation, each lives token_lifetime
        # seconds on ``clock``, when one is given, and is refreshed with its refresh token).
        self.client_id = "1111111111.2222222222"
        self.client_secret = "standin-client-secret"
        self.token_rotation = False
        self.token_lifetime = 43200
        self.clock: Callable[[], float] | None = None
        self.codes: dict[str, Grant] = {}
        self.grants: dict[str, Grant] = {}  # bot token → its workspace
        self.refresh_tokens: dict[str, Grant] = {}
        self._serial = itertools.count(1)
        # Like Slack, users.list includes the app's own bot user, and Slackbot (not marked a bot).
        self.add_users(bot_user_id, is_bot=True, first_name="Peer support")
        self.add_users("USLACKBOT", first_name="Slackbot")

    async def start(self) -> str:
        """Serve on a random port of 127.0.0.1; returns the Web API base URL."""
        app = web.Application()
        app.router.add_post("/api/{method}", self._handle)
        app.router.add_get("/api/{method}", self._handle)
        app.router.add_post("/response/{id}", self._response_url)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_get("/socket", self._socket)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.root_url = f"http://127.0.0.1:{port}"
        self.base_url = f"{self.root_url}/api/"
        return self.base_url

    async def stop(self) -> None:
        """Stop serving (held calls are dropped)."""
        for method in list(self._gates):
            self.release(method, drop=True)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def authorize(
        self,
        team_id: str,
        *,
        scope: str,
        team_name: str = "An office",
        enterprise_id: str | None = None,
        installer: str = "UINSTALLER",
    ) -> str:
        """What Slack does when someone approves the install: a code for the app's redirect URL."""
        code = f"{team_id.lower()}.code.{next(self._serial)}"
        self.codes[code] = Grant(
            team_id=team_id,
            team_name=team_name,
            enterprise_id=enterprise_id,
            installer=installer,
            scope=scope,
            bot_user_id=f"UBOT{team_id}",
        )
        return code

    def tokens_of(self, team_id: str) -> list[str]:
        """The bot tokens Slack currently honours for a workspace."""
        return [token for token, grant in self.grants.items() if grant.team_id == team_id]

    def uninstall(self, team_id: str) -> None:
        """The workspace removed the app: Slack revokes its tokens."""
        for token in self.tokens_of(team_id):
            del self.grants[token]
        for refresh, grant in list(self.refresh_tokens.items()):
            if grant.team_id == team_id:
                del self.refresh_tokens[refresh]

    def _issue(self, grant: Grant) -> dict[str, Any]:
        """oauth.v2.access's answer for a new bot token of ``grant``'s workspace."""
        serial = next(self._serial)
        prefix = "xoxe.xoxb-1" if self.token_rotation else "xoxb"
        token = f"{prefix}-{grant.team_id}-{serial}-{secrets.token_hex(12)}"
        answer: dict[str, Any] = {
            "access_token": token,
            "token_type": "bot",
            "scope": grant.scope,
            "bot_user_id": grant.bot_user_id,
            "app_id": "A111",
            "team": {"id": grant.team_id, "name": grant.team_name},
            "enterprise": None
            if grant.enterprise_id is None
            else {"id": grant.enterprise_id, "name": "A state"},
            "is_enterprise_install": False,
            "authed_user": {"id": grant.installer},
        }
        issued = dataclasses.replace(grant, expires_at=None)
        if self.token_rotation:
            refresh = f"xoxe-1-{grant.team_id}-{serial}-{secrets.token_hex(12)}"
            now = self.clock() if self.clock else time.time()
            issued = dataclasses.replace(grant, expires_at=now + self.token_lifetime)
            self.refresh_tokens[refresh] = issued
            answer.update(refresh_token=refresh, expires_in=self.token_lifetime)
        self.grants[token] = issued
        return answer

    def _token_error(self, authorization: str | None, method: str) -> str | None:
        """Slack's error for a call's credentials, or None when they are good."""
        if method == "oauth.v2.access":
            return None  # the app's own credentials, checked by the method
        if authorization is None:
            return "not_authed"
        token = authorization.removeprefix("Bearer ")
        if method == "apps.connections.open":
            return None if token == self.app_token else "invalid_auth"
        if token == self.token or token in self.teams:
            return None
        grant = self.grants.get(token)
        if grant is None:
            return "invalid_auth"
        if grant.expires_at is not None and self.clock is not None and self.clock() >= grant.expires_at:
            return "token_expired"
        return None

    def _team_of(self, authorization: str | None) -> str | None:
        """The workspace a bot token acts in (None: not a bot token Slack knows)."""
        token = (authorization or "").removeprefix("Bearer ")
        grant = self.grants.get(token)
        return grant.team_id if grant is not None else self.teams.get(token)

    def response_url(self, name: str = "r") -> str:
        """A ``response_url`` that lands here."""
        return f"{self.root_url}/response/{name}"

    def add_users(
        self,
        *user_ids: str,
        tz: str = "America/New_York",
        deleted: bool = False,
        first_name: str | None = None,
        is_bot: bool = False,
    ) -> None:
        """Put people (or, with ``is_bot``, apps) in the workspace directory."""
        for user_id in user_ids:
            first = first_name or "Person"
            self.users[user_id] = {
                "id": user_id,
                "name": user_id.lower(),
                "real_name": f"{first} {user_id}",
                "tz": tz,
                "deleted": deleted,
                "is_bot": is_bot,
                "profile": {
                    "first_name": first_name or "",
                    "real_name": f"{first} {user_id}",
                    "display_name": user_id.lower(),
                },
            }

    def add_team(self, team_id: str, token: str) -> None:
        """Another workspace with the app installed: calls with ``token`` act in ``team_id``."""
        self.teams[token] = team_id

    def add_channel(self, channel_id: str, *members: str, bot: bool = True) -> None:
        """A channel with these members (and the bot, unless ``bot`` is False: it must be invited)."""
        self.channels[channel_id] = [*members, *([self.bot_user_id] if bot else [])]

    def channel_posts(self, channel_id: str) -> list[Message]:
        """The messages currently in a channel, oldest first."""
        return [m for (channel, _), m in self.messages.items() if channel == channel_id]

    def inject(
        self, method: str, *faults: Fault, match: Callable[[dict[str, Any]], bool] = lambda _: True
    ) -> None:
        """Answer the next calls of ``method`` (those ``match`` accepts) with these faults, one each."""
        self.faults.setdefault(method, []).extend((fault, match) for fault in faults)

    def pending_faults(self, method: str) -> int:
        """How many injected faults of ``method`` are still to be answered."""
        return len(self.faults.get(method, []))

    def hold(self, method: str, match: Callable[[dict[str, Any]], bool] = lambda _: True) -> None:
        """Record calls of ``method`` (those ``match`` accepts) but answer none until :meth:`release`."""
        self._gates[method] = _Gate(opened=asyncio.Event(), match=match)

    def release(self, method: str, *, drop: bool = False) -> None:
        """Answer held calls of ``method`` (or, with ``drop``, lose them) and stop holding."""
        gate = self._gates.pop(method, None)
        if gate is not None:
            gate.dropped = drop
            gate.opened.set()

    # Queries for tests and the demo

    def calls_of(self, method: str) -> list[Call]:
        """Every recorded call of one method."""
        return [c for c in self.calls if c.method == method]

    def calls_for(self, user_id: str) -> list[Call]:
        """Every call addressed to a person: their DM, an ephemeral to them, their Home tab."""
        dm = dm_channel(user_id)
        return [
            c
            for c in self.calls
            if c.channel in {user_id, dm}
            or c.params.get("user") == user_id
            or c.params.get("user_id") == user_id
        ]

    def dms(self, user_id: str) -> list[Message]:
        """The messages currently in the app's DM with a person, oldest first."""
        dm = dm_channel(user_id)
        return [m for (channel, _), m in self.messages.items() if channel == dm]

    def message(self, channel: str, ts: str) -> Message:
        """One message as it stands now."""
        return self.messages[(channel, ts)]

    def thread(self, root: Message) -> list[Message]:
        """The replies under a message, oldest first."""
        replies = [m for (channel, _), m in self.messages.items() if channel == root.channel]
        return sorted((m for m in replies if m.thread_ts == root.ts and m.ts != root.ts), key=_ts_order)

    def user_writes(self, user_id: str, text: str, *, thread_ts: str | None = None) -> Message:
        """A person writes in their DM with the app (Slack stores it; the driver sends the event)."""
        channel = dm_channel(user_id)
        message = Message(
            channel=channel, ts=self._next_ts(), text=text, blocks=[], thread_ts=thread_ts, user=user_id
        )
        self.messages[(channel, message.ts)] = message
        return message

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
        """Wait until ``predicate()`` is truthy (re-checked on every call); returns its value."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            value = predicate()
            if value:
                return value
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise TimeoutError("the stand-in never saw what was expected")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), timeout=min(remaining, 0.2))

    # The server

    async def _upload(self, request: web.Request) -> web.Response:
        file = self.files.get(request.match_info["file_id"])
        if file is None:
            return web.Response(status=404, text="unknown upload")
        file["content"] = await request.read()
        self._changed.set()
        return web.Response(text="OK - " + str(len(file["content"])))

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        """Socket Mode's WebSocket: says hello, then holds the connection (no envelopes are sent)."""
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.socket_connections += 1
        self._changed.set()
        await ws.send_json({"type": "hello", "num_connections": 1, "debug_info": {"host": "standin"}})
        async for _ in ws:
            pass
        return ws

    async def _response_url(self, request: web.Request) -> web.Response:
        self.response_url_posts.append(await request.json())
        self._changed.set()
        return web.Response(text="ok")

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await _params(request)
        if self.post_limits is not None and method == "chat.postMessage":
            channel = str(params.get("channel", ""))
            key = dm_channel(channel) if channel[:1] in {"U", "W"} else channel
            retry_after = self.post_limits.admit(key, time.monotonic())
            if retry_after is not None:
                # Over Slack's limits: answered 429 before the stand-in sees it (not stored, no call).
                return web.json_response(
                    {"ok": False, "error": "ratelimited"},
                    status=429,
                    headers={"Retry-After": str(retry_after)},
                )
        headers = {k: v for k, v in request.headers.items()}
        call = Call(method=method, params=params, headers=headers)
        self.calls.append(call)
        self._changed.set()
        auth_error = self._token_error(headers.get("Authorization"), method)
        if auth_error is not None:
            return _error(auth_error)
        call.team = self._team_of(headers.get("Authorization"))
        gate = self._gates.get(method)
        if gate is not None and gate.match(params):
            await gate.opened.wait()
            if gate.dropped:
                # The call never reached Slack: nothing is stored, the connection is cut.
                raise web.HTTPServiceUnavailable()
        fault = self._next_fault(method, params)
        call.fault = fault
        if fault is not None and fault.reset:
            assert request.transport is not None
            request.transport.abort()  # the client sees the connection drop, nothing was done
            raise web.HTTPServiceUnavailable()
        if fault is not None and fault.error:
            headers_out = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else None
            return web.json_response(
                {"ok": False, "error": fault.error}, status=fault.status, headers=headers_out
            )
        handler = _METHODS.get(method)
        if handler is None:
            return _error("unknown_method", status=404)
        if method in {"auth.test", "oauth.v2.access"}:
            params = {**params, "_authorization": headers.get("Authorization", "")}
        # The workspace acting, for the (synchronous) handler: where a message goes, who auth.test is.
        self.acting_team = call.team or self.team_id
        answer = handler(self, params)
        self._changed.set()
        if fault is not None and fault.delay:
            await asyncio.sleep(fault.delay)
        return web.json_response(answer)

    def _next_fault(self, method: str, params: dict[str, Any]) -> Fault | None:
        queued = self.faults.get(method, [])
        for index, (fault, match) in enumerate(queued):
            if match(params):
                del queued[index]
                return fault
        return None

    def _next_ts(self) -> str:
        return f"{int(time.time())}.{next(self._ts):06d}"

    def _resolve_channel(self, channel: str) -> tuple[str | None, str | None]:
        """A channel parameter → (channel id, error)."""
        if not channel:
            return None, "channel_not_found"
        if channel[0] in "UW":
            if channel in self.undeliverable:
                return None, self.undeliverable[channel]
            return dm_channel(channel), None
        if channel[0] == "D":
            user = "U" + channel[1:]
            if user in self.undeliverable:
                return None, "channel_not_found"
            return channel, None
        if channel[0] in "CG":
            return channel, None
        return None, "channel_not_found"


async def _params(request: web.Request) -> dict[str, Any]:
    if request.method == "GET":
        params: dict[str, Any] = dict(request.query)
    elif request.content_type == "application/json":
        body = await request.json()
        params = dict(body) if isinstance(body, dict) else {}
    else:
        params = dict(await request.post())
        params.update(request.query)
    for key in ("blocks", "view", "attachments"):
        value = params.get(key)
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                params[key] = json.loads(value)
    return params


def _error(code: str, status: int = 200) -> web.Response:
    return web.json_response({"ok": False, "error": code}, status=status)


def _ok(**fields: Any) -> dict[str, Any]:
    return {"ok": True, **fields}


def _fail(code: str) -> dict[str, Any]:
    return {"ok": False, "error": code}


def _auth_test(s: SlackStandIn, p: dict[str, Any]) -> dict[str, Any]:
    grant = s.grants.get(str(p.get("_authorization", "")).removeprefix("Bearer "))
    if grant is not None:
        # An installed workspace's token: that workspace, and its own bot user.
        return _ok(
            url=f"https://{grant.team_id.lower()}.slack.com/",
            team=grant.team_name,
            user="peer-support",
            team_id=grant.team_id,
            user_id=grant.bot_user_id,
            bot_id=f"B{grant.team_id}",
            enterprise_id=grant.enterprise_id,
            is_enterprise_install=False,
        )
    return _ok(
        url="https://standin.slack.com/",
        team="Stand-in",
        user="peer-support",
        team_id=s.acting_team,
        user_id=s.bot_user_id,
        bot_id="B111",
        is_enterprise_install=False,
    )


def _oauth_v2_access(s: SlackStandIn, p: dict[str, Any]) -> dict[str, Any]:
    """The code exchange, and (``grant_type=refresh_token``) a rotating token's refresh.

    The app's credentials come as HTTP Basic auth (as slack_sdk sends them) or as parameters.
    """
    client_id, client_secret = p.get("client_id"), p.get("client_secret")
    basic = str(p.get("_authorization", ""))
    if basic.startswith("Basic "):
        client_id, _, client_secret = base64.b64decode(basic[6:]).decode().partition(":")
    if client_id != s.client_id:
        return _fail("invalid_client_id")
    if client_secret != s.client_secret:
        return _fail("bad_client_secret")
    if p.get("grant_type") == "refresh_token":
        grant = s.refresh_tokens.pop(str(p.get("refresh_token", "")), None)
        if grant is None:
            return _fail("invalid_refresh_token")
        # The token it replaces stops working (Slack lets it live out its hours; the stand-in is stricter).
        for token, held in list(s.grants.items()):
            if held.team_id == grant.team_id:
                del s.grants[token]
        return _ok(**s._issue(grant))
    grant = s.codes.pop(str(p.get("code", "")), None)  # a code is good once
    if grant is None:
        return _fail("invalid_code")
    return _ok(**s._issue(grant))


def _connections_open(s: SlackStandIn, _: dict[str, Any]) -> dict[str, Any]:
    return _ok(url=s.root_url.replace("http://", "ws://") + "/socket")


def _post_message(s: SlackStandIn, p: dict[str, Any]) -> dict[str, Any]:
    channel, error = s._resolve_channel(str(p.get("channel", "")))
    if error or channel is None:
        return _fail(error or "channel_not_found")
    if channel[0] in "CG":
        # Like Slack without chat:write.public: only channels the bot is in.
        if channel not in s.channels:
            return _fail("channel_not_found")
        if channel in s.archived:
            return _fail("is_archived")
        if s.bot_user_id not in s.channels[channel]:
            return _fail("not_in_channel")
    if not p.get("text") and not p.get("blocks"):
        return _fail("no_text")
    ts = s._next_ts()
    blocks = list(p.get("blocks") or [])
    thread_ts = str(p["thread_ts"]) if p.get("thread_ts") else None
    s.messages[(channel, ts)] = Message(
        channel=channel,
        ts=ts,
        text=str(p.get("text", "")),
        blocks=blocks,
        thread_ts=thread_ts,
        team=s.acting_team,
    )
    return _ok(channel=channel, ts=ts, message={"type": "message", "text": p.get("text", ""), "ts": ts})


def _ts_order(message: Message) -> tuple[int, int]:
    seconds, _, serial = message.ts.partition(".")
    return int(seconds), int(serial or 0)


def _delete(s: SlackStandIn, p: dict[str, Any]) -> dict[str, Any]:
    key = (str(p.get("channel", "")), str(p.get("ts", "")))
    message = s.messages.get(key)
    if message is None:
        return _fail("message_not_found")
    if message.user is not None:
        return _fail("cant_delete_message")  # a bot token deletes only the bot's own messages
    s.deleted.append(s.messages.pop(key))
    return _ok(channel=key[0], ts=key[1])


def _update(s: SlackStandIn, p: dict[str, Any]) -> dict[str, Any]:
    key = (str(p.get("channel", "")), str(p.get("ts", "")))
    message = s.messages.get(key)
    if message is None:
        return _fail("message_not_found")
    message.history.append({"text": message.text, "blocks": message.blocks})
    message.text = str(p.get("text", message.text))
    if "blocks" in p:
        message.blocks = list(p.get("blocks") or [])
    return _ok(channel=key[0], ts=key[1], text=message.text)


def _post_ephemeral(s: SlackStandIn, p: dict[str, Any]) -> dict[str, Any]:
    channel, error = s._resolve_channel(str(p.get("channel", "")))
    if error:
        return _fail(error)
    if str(p.get("user", "")) in s.undeliverable:
        return _fail("user_not_in_channel")
    return _ok(message_ts=s._next_ts())


def _views_open(s: SlackStandIn, p: dict[str, Any]) -> dict[str, Any]:
    if not p.get("trigger_id"):
        return _fail("invalid_trigger_id")
    view = p.get("view")
    if not isinstance(view, dict):
        return _fail("invalid_arguments")
    view_id = f"V{next(s._view_ids):08d}"
    stored = {
        **view,
        "id": view_id,
        "team_id": s.team_id,
        "state": {"values": {}},
        "hash": f"{time.time():.0f}.h",
    }
    s.views[view_id] = stored
    s.view_by_trigger[str(p["trigger_id"])] = view_id
    return _ok(view=stored)


def _views_update(s: SlackStandIn, p: dict[str, Any]) -> dict[str, Any]:
    view = p.get("view")
    if not isinstance(view, dict):
        return _fail("invalid_arguments")
    view_id = str(p.get("view_id", ""))
    if view_id not in s.views:
        # Views the stand-in did not open (a Home, a crafted id) are answered as before, unstored.
        return _ok(view=view)
    stored = {
        **view,
        "id": view_id,
        "team_id": s.team_id,
        "state": {"values": {}},
        "hash": f"{time.time():.0f}.h",
    }
    s.views[view_id] = stored
    return _ok(view=stored)


def _views_publish(s: SlackStandIn, p: dict[str, Any]) -> dict[str, Any]:
    user = str(p.get("user_id", ""))
    if user in s.undeliverable:
        return _fail("user_not_found")
    view = p.get("view")
    if not isinstance(view, dict):
        return _fail("invalid_arguments")
    s.home_views[user] = view
    return _ok(view={**view, "id": f"VH{user}"})


def _conversations_open(s: SlackStandIn, p: dict[str, Any]) -> dict[str, Any]:
    users = str(p.get("users", "")).split(",")
    if len(users) != 1 or not users[0]:
        return _fail("users_list_not_supplied")
    if users[0] in s.undeliverable:
        return _fail("user_not_found")
    return _ok(channel={"id": dm_channel(users[0])})


def _conversations_history(s: SlackStandIn, p: dict[str, Any]) -> dict[str, Any]:
    """A channel's top-level messages, newest first, up to ``limit``; the app's own carry its bot_id."""
    channel = str(p.get("channel", ""))
    if not channel or channel[0] not in "DCG":
        return _fail("channel_not_found")
    found = sorted(
        (m for m in s.messages.values() if m.channel == channel and m.thread_ts is None),
        key=_ts_order,
        reverse=True,
    )[: int(p.get("limit") or 100)]
    author = {"bot_id": "B111", "user": s.bot_user_id}
    shown = [
        {
            "type": "message",
            "ts": m.ts,
            "text": m.text,
            "blocks": m.blocks,
            **({"user": m.user} if m.user else author),
        }
        for m in found
    ]
    return _ok(messages=shown, has_more=False)


def _users_info(s: SlackStandIn, p: dict[str, Any]) -> dict[str, Any]:
    user = str(p.get("user", ""))
    if not user or user in s.undeliverable:
        return _fail("user_not_found")
    known = s.users.get(user)
    if known is not None:
        return _ok(user=known)
    return _ok(user={"id": user, "name": user.lower(), "real_name": f"Person {user}", "deleted": False})


def _page(items: list[Any], p: dict[str, Any]) -> tuple[list[Any], str]:
    limit = max(1, min(int(p.get("limit") or 100), 1000))
    start = int(p.get("cursor") or 0)
    end = start + limit
    return items[start:end], (str(end) if end < len(items) else "")


def _users_list(s: SlackStandIn, p: dict[str, Any]) -> dict[str, Any]:
    members, cursor = _page(list(s.users.values()), p)
    return _ok(members=members, response_metadata={"next_cursor": cursor})


def _conversations_members(s: SlackStandIn, p: dict[str, Any]) -> dict[str, Any]:
    channel = str(p.get("channel", ""))
    if channel not in s.channels:
        return _fail("channel_not_found")
    members, cursor = _page(s.channels[channel], p)
    return _ok(members=members, response_metadata={"next_cursor": cursor})


def _conversations_info(s: SlackStandIn, p: dict[str, Any]) -> dict[str, Any]:
    channel = str(p.get("channel", ""))
    members = s.channels.get(channel)
    # A private channel the bot is not in is invisible to it, as in Slack.
    if members is None or (channel.startswith("G") and s.bot_user_id not in members):
        return _fail("channel_not_found")
    return _ok(
        channel={
            "id": channel,
            "is_channel": channel.startswith("C"),
            "is_private": channel.startswith("G"),
            "is_archived": channel in s.archived,
            "is_member": s.bot_user_id in members,
        }
    )


def _get_upload_url(s: SlackStandIn, p: dict[str, Any]) -> dict[str, Any]:
    if not p.get("filename") or not str(p.get("length", "")).isdigit():
        return _fail("invalid_arguments")
    file_id = f"F{len(s.files) + 1:08d}"
    s.files[file_id] = {"id": file_id, "filename": p["filename"], "length": int(p["length"]), "content": None}
    return _ok(upload_url=f"{s.root_url}/upload/{file_id}", file_id=file_id)


def _complete_upload(s: SlackStandIn, p: dict[str, Any]) -> dict[str, Any]:
    files = p.get("files")
    if isinstance(files, str):
        files = json.loads(files)
    done = []
    for item in files or []:
        file = s.files.get(item.get("id"))
        if file is None or file["content"] is None or len(file["content"]) != file["length"]:
            return _fail("file_upload_not_complete")
        file.update(title=item.get("title"), channel=p.get("channel_id"), comment=p.get("initial_comment"))
        done.append({"id": file["id"], "title": item.get("title")})
    if not done:
        return _fail("invalid_arguments")
    return _ok(files=done)


_METHODS: dict[str, Callable[[SlackStandIn, dict[str, Any]], dict[str, Any]]] = {
    "files.getUploadURLExternal": _get_upload_url,
    "files.completeUploadExternal": _complete_upload,
    "users.list": _users_list,
    "conversations.members": _conversations_members,
    "conversations.info": _conversations_info,
    "auth.test": _auth_test,
    "oauth.v2.access": _oauth_v2_access,
    "apps.connections.open": _connections_open,
    "chat.postMessage": _post_message,
    "chat.update": _update,
    "chat.delete": _delete,
    "chat.postEphemeral": _post_ephemeral,
    "views.open": _views_open,
    "views.update": _views_update,
    "views.push": _views_open,
    "views.publish": _views_publish,
    "conversations.open": _conversations_open,
    "conversations.history": _conversations_history,
    "users.info": _users_info,
}
