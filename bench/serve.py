"""``python -m bench.serve KIND``: one server of the benchmark in its own process.

Kinds: ``standin`` (the Slack Web API stand-in, plus a control port that counts what
arrived, streams offer DMs as they land, loads a workspace directory and reports the
check-ins it received; optionally enforcing Slack's rate limits on ``chat.postMessage``
with 429 and ``Retry-After``), ``bolt`` (a bare slack-bolt AsyncApp that
only acks, ``process_before_response=True`` like the app), ``bolt-polling`` (the same
with Bolt's default, which polls for the ack every 10 ms), ``bolt-insert`` (the Bolt floor
plus one durable insert before a submission's ack) and ``http`` (a bare aiohttp handler).
Prints one line ``READY {json}`` and serves on 127.0.0.1 until SIGTERM, or
``--max-seconds``. The app itself runs as ``python -m bot``, exactly as deployed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import signal
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from slack_standin import Call, SlackStandIn
from slack_standin.driver import SIGNING_SECRET, TOKEN, find_button, has_button
from slack_standin.limits import PostLimits, parse_limit
from storage.db import Database

EVENTS_PATH = "/slack/events"
KINDS = ("standin", "bolt", "bolt-insert", "bolt-polling", "http")
INSERT_DB = "bolt-insert.db"


def http_floor() -> web.Application:
    """The HTTP floor: read the body, answer 200."""

    async def ack(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(status=200)

    app = web.Application()
    app.router.add_post(EVENTS_PATH, ack)
    return app


def bolt_floor(api_url: str, *, process_before_response: bool, db: Database | None = None) -> web.Application:
    """The framework floor: Bolt (signature check, parsing, middleware) with listeners that only ack.

    With ``db``, the floor of a submission that must be stored before its ack: each submission is
    first written with one durable insert through the app's own storage (a write unit of work on
    a SQLite file with the app's PRAGMAs); ``/peer`` still only acks.
    """
    bolt = AsyncApp(
        client=AsyncWebClient(token=TOKEN, base_url=api_url),
        signing_secret=SIGNING_SECRET,
        process_before_response=process_before_response,
    )

    async def only_ack(ack: AsyncAck) -> None:
        await ack()

    async def store_then_ack(ack: AsyncAck, body: dict[str, Any]) -> None:
        if db is not None:
            async with db.transaction() as tx:
                await tx.handoffs.add("bench", {"user": body["user"]["id"]}, datetime.now(UTC))
        await ack()

    bolt.command("/peer")(only_ack)
    bolt.view("peer_request")(store_then_ack)
    return bolt.web_app(path=EVENTS_PATH)


class LimitedStandIn(SlackStandIn):
    """The stand-in, answering ``chat.postMessage`` over Slack's rate limits with 429
    (the stand-in's own modelled limits, :class:`slack_standin.limits.PostLimits`)."""

    def __init__(self, *, token: str, limits: PostLimits | None) -> None:
        super().__init__(token=token)
        self.post_limits = limits
        self.limits = limits


def checkin_id(call: Call) -> int | None:
    """The scheduled message id a check-in DM carries in its buttons (None if not a check-in)."""
    if call.method != "chat.postMessage":
        return None
    try:
        _, button = find_button(call.params.get("blocks") or [], "checkin_ok")
    except AssertionError:
        return None
    return int(json.loads(button["value"])["message_id"])


def is_offer(call: Call) -> bool:
    """Whether a Web API call is an offer DM (a message with the Accept button)."""
    return call.method == "chat.postMessage" and has_button(call.params.get("blocks") or [], "offer_accept")


class StandInControl:
    """Counts the stand-in's calls and streams offer DMs (``{"channel", "at"}``) to subscribers."""

    def __init__(self, standin: SlackStandIn, limits: PostLimits | None = None) -> None:
        self.standin = standin
        self.limits = limits
        self.counts: dict[str, int] = {"calls": 0, "views.open": 0, "chat.postMessage": 0, "offers": 0}
        self._subscribers: set[web.WebSocketResponse] = set()
        # Check-in DMs: arrival times in order, and how often each scheduled message id arrived.
        self.checkin_arrivals: list[float] = []
        self.checkin_ids: dict[int, int] = {}
        self.checkin_channels: set[str] = set()
        # Arrival times of the other posts, per channel parameter (e.g. a coordinator's DM).
        self.posts: dict[str, list[float]] = {}

    def app(self) -> web.Application:
        """The control endpoints."""
        app = web.Application()
        app.router.add_get("/counts", self._counts)
        app.router.add_get("/clock", self._clock)
        app.router.add_get("/offers", self._offers)
        app.router.add_post("/directory", self._directory)
        app.router.add_get("/checkins", self._checkins)
        app.router.add_get("/posts", self._posts)
        return app

    async def watch(self, until: float) -> None:
        """Follow the stand-in's record of calls until the monotonic time ``until``."""
        seen = 0
        calls = self.standin.calls
        while time.monotonic() < until:

            def more(after: int = seen) -> bool:
                return len(calls) > after

            with contextlib.suppress(TimeoutError):
                await self.standin.wait_for(more, timeout=1.0)
            for call in calls[seen:]:
                seen += 1
                self.counts["calls"] += 1
                if call.method in self.counts:
                    self.counts[call.method] += 1
                message_id = checkin_id(call)
                if message_id is not None:
                    self.checkin_arrivals.append(call.at)
                    self.checkin_ids[message_id] = self.checkin_ids.get(message_id, 0) + 1
                    self.checkin_channels.add(str(call.channel))
                elif call.method == "chat.postMessage":
                    self.posts.setdefault(str(call.channel), []).append(call.at)
                if is_offer(call):
                    self.counts["offers"] += 1
                    message = json.dumps({"channel": call.channel, "at": call.at})
                    for ws in list(self._subscribers):
                        await ws.send_str(message)

    async def _counts(self, _: web.Request) -> web.Response:
        return web.json_response(self.counts)

    async def _directory(self, request: web.Request) -> web.Response:
        """Load people (``users``, in ``tz``) and channels (``channels``: id → members, the bot added)."""
        body = await request.json()
        self.standin.add_users(*body.get("users", []), tz=body.get("tz", "America/New_York"))
        for channel, members in (body.get("channels") or {}).items():
            self.standin.add_channel(channel, *members)
        return web.json_response({"users": len(self.standin.users), "channels": len(self.standin.channels)})

    async def _checkins(self, request: web.Request) -> web.Response:
        """Check-in DMs so far: how many, distinct, duplicated, to whom, when; and the 429s answered.

        ``?since=K`` adds the arrival times of check-ins K, K+1, ….
        """
        arrivals = self.checkin_arrivals
        answer: dict[str, Any] = {
            "delivered": len(arrivals),
            "messages": len(self.checkin_ids),
            "duplicates": sum(n - 1 for n in self.checkin_ids.values()),
            "recipients": len(self.checkin_channels),
            "first_at": arrivals[0] if arrivals else None,
            "last_at": arrivals[-1] if arrivals else None,
            "ratelimited": dict(self.limits.counts) if self.limits else {},
        }
        if "since" in request.query:
            answer["arrivals"] = arrivals[int(request.query["since"]) :]
        return web.json_response(answer)

    async def _posts(self, request: web.Request) -> web.Response:
        """Arrival times of the posts (other than check-ins) to ``?channel=``."""
        return web.json_response(self.posts.get(request.query.get("channel", ""), []))

    async def _clock(self, _: web.Request) -> web.Response:
        return web.json_response({"monotonic": time.monotonic()})

    async def _offers(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._subscribers.add(ws)
        try:
            async for message in ws:
                if message.type in {WSMsgType.CLOSE, WSMsgType.ERROR}:
                    break
        finally:
            self._subscribers.discard(ws)
        return ws


async def _serve_app(app: web.Application) -> tuple[web.AppRunner, int]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner, runner.addresses[0][1]


async def serve(
    kind: str,
    *,
    api_url: str,
    max_seconds: float,
    limits: PostLimits | None = None,
    teams: tuple[str, ...] = (),
) -> None:
    """Serve one kind of server until SIGTERM/SIGINT or ``max_seconds``."""
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    runners: list[web.AppRunner] = []
    tasks: list[asyncio.Task[None]] = []
    ready: dict[str, Any] = {"kind": kind}
    if kind == "standin":
        standin = LimitedStandIn(token=TOKEN, limits=limits)
        for team in teams:  # more workspaces, each with a bot token of its own (TEAM:TOKEN)
            team_id, _, token = team.partition(":")
            standin.add_team(team_id, token)
        ready["url"] = await standin.start()
        # It plays Slack, whose servers do not stop for this process's garbage collector: it keeps
        # every call it answers (thousands of objects a second under load), and full collections
        # over them grew to 0.3-0.7 s pauses, after which the app's calls all return at once.
        # Reference counting still frees what it answers; it lives minutes at most.
        gc.disable()
        control = StandInControl(standin, limits)
        runner, ready["control_port"] = await _serve_app(control.app())
        runners.append(runner)
        tasks.append(loop.create_task(control.watch(time.monotonic() + max_seconds)))
    elif kind == "bolt-insert":
        db = await Database.open(f"sqlite:///{Path.cwd() / INSERT_DB}")
        runner, ready["port"] = await _serve_app(bolt_floor(api_url, process_before_response=True, db=db))
        runners.append(runner)
    else:
        app = http_floor() if kind == "http" else bolt_floor(api_url, process_before_response=kind == "bolt")
        runner, ready["port"] = await _serve_app(app)
        runners.append(runner)
    print("READY " + json.dumps(ready), flush=True)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stopping.wait(), max_seconds)
    for task in tasks:
        task.cancel()
    for runner in runners:
        await runner.cleanup()
    if kind == "standin":
        await standin.stop()
    if kind == "bolt-insert":
        await db.close()


def main(argv: list[str] | None = None) -> int:
    """Parse arguments and serve."""
    parser = argparse.ArgumentParser(prog="python -m bench.serve", description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=KINDS)
    parser.add_argument("--api-url", default="http://127.0.0.1:9/api/", help="the stand-in's Web API URL")
    parser.add_argument("--max-seconds", type=float, default=3600.0, help="stop after this long")
    parser.add_argument(
        "--post-limits",
        metavar="CHANNEL,WORKSPACE",
        help="standin: rate-limit chat.postMessage, each RATE/BURST per second (e.g. 1/3,10/20)",
    )
    parser.add_argument(
        "--team",
        action="append",
        default=[],
        metavar="TEAM:TOKEN",
        help="standin: another workspace with the app installed, and its bot token (repeatable)",
    )
    parser.add_argument(
        "--nice",
        type=int,
        default=0,
        help="lower this server's CPU priority by N (a stand-in playing Slack, whose servers are elsewhere)",
    )
    args = parser.parse_args(argv)
    if args.nice > 0:
        os.nice(args.nice)
    limits = None
    if args.post_limits:
        channel, workspace = args.post_limits.split(",")
        limits = PostLimits(per_channel=parse_limit(channel), workspace=parse_limit(workspace))
    asyncio.run(
        serve(
            args.kind,
            api_url=args.api_url,
            max_seconds=args.max_seconds,
            limits=limits,
            teams=tuple(args.team),
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
