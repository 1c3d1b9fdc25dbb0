"""``python -m bench.serve KIND``: one server of the benchmark in its own process.

Kinds: ``standin`` (the Slack Web API stand-in, plus a control port that counts what
arrived and streams offer DMs as they land), ``bolt`` (a bare slack-bolt AsyncApp that
only acks, ``process_before_response=True`` like the app), ``bolt-polling`` (the same
with Bolt's default, which polls for the ack every 10 ms) and ``http`` (a bare aiohttp
handler). Prints one line ``READY {json}`` and serves on 127.0.0.1 until SIGTERM, or
``--max-seconds``. The app itself runs as ``python -m bot``, exactly as deployed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
import time
from typing import Any

from aiohttp import WSMsgType, web
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from slack_standin import Call, SlackStandIn
from slack_standin.driver import SIGNING_SECRET, TOKEN, has_button

EVENTS_PATH = "/slack/events"
KINDS = ("standin", "bolt", "bolt-polling", "http")


def http_floor() -> web.Application:
    """The HTTP floor: read the body, answer 200."""

    async def ack(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(status=200)

    app = web.Application()
    app.router.add_post(EVENTS_PATH, ack)
    return app


def bolt_floor(api_url: str, *, process_before_response: bool) -> web.Application:
    """The framework floor: Bolt (signature check, parsing, middleware) with listeners that only ack."""
    bolt = AsyncApp(
        client=AsyncWebClient(token=TOKEN, base_url=api_url),
        signing_secret=SIGNING_SECRET,
        process_before_response=process_before_response,
    )

    async def only_ack(ack: AsyncAck) -> None:
        await ack()

    bolt.command("/peer")(only_ack)
    bolt.view("peer_request")(only_ack)
    return bolt.web_app(path=EVENTS_PATH)


def is_offer(call: Call) -> bool:
    """Whether a Web API call is an offer DM (a message with the Accept button)."""
    return call.method == "chat.postMessage" and has_button(call.params.get("blocks") or [], "offer_accept")


class StandInControl:
    """Counts the stand-in's calls and streams offer DMs (``{"channel", "at"}``) to subscribers."""

    def __init__(self, standin: SlackStandIn) -> None:
        self.standin = standin
        self.counts: dict[str, int] = {"calls": 0, "views.open": 0, "chat.postMessage": 0, "offers": 0}
        self._subscribers: set[web.WebSocketResponse] = set()

    def app(self) -> web.Application:
        """The control endpoints."""
        app = web.Application()
        app.router.add_get("/counts", self._counts)
        app.router.add_get("/clock", self._clock)
        app.router.add_get("/offers", self._offers)
        return app

    async def watch(self, until: float) -> None:
        """Follow the stand-in's record of calls until the monotonic time ``until``."""
        seen = 0
        calls = self.standin.calls
        while time.monotonic() < until:
            with contextlib.suppress(TimeoutError):
                await self.standin.wait_for(lambda seen=seen: len(calls) > seen, timeout=1.0)
            for call in calls[seen:]:
                seen += 1
                self.counts["calls"] += 1
                if call.method in self.counts:
                    self.counts[call.method] += 1
                if is_offer(call):
                    self.counts["offers"] += 1
                    message = json.dumps({"channel": call.channel, "at": call.at})
                    for ws in list(self._subscribers):
                        await ws.send_str(message)

    async def _counts(self, _: web.Request) -> web.Response:
        return web.json_response(self.counts)

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


async def serve(kind: str, *, api_url: str, max_seconds: float) -> None:
    """Serve one kind of server until SIGTERM/SIGINT or ``max_seconds``."""
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    runners: list[web.AppRunner] = []
    tasks: list[asyncio.Task[None]] = []
    ready: dict[str, Any] = {"kind": kind}
    if kind == "standin":
        standin = SlackStandIn(token=TOKEN)
        ready["url"] = await standin.start()
        control = StandInControl(standin)
        runner, ready["control_port"] = await _serve_app(control.app())
        runners.append(runner)
        tasks.append(loop.create_task(control.watch(time.monotonic() + max_seconds)))
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


def main(argv: list[str] | None = None) -> int:
    """Parse arguments and serve."""
    parser = argparse.ArgumentParser(prog="python -m bench.serve", description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=KINDS)
    parser.add_argument("--api-url", default="http://127.0.0.1:9/api/", help="the stand-in's Web API URL")
    parser.add_argument("--max-seconds", type=float, default=3600.0, help="stop after this long")
    args = parser.parse_args(argv)
    asyncio.run(serve(args.kind, api_url=args.api_url, max_seconds=args.max_seconds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
