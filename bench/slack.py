"""Slack's side of the benchmark: requests in Slack's formats, and what the stand-in saw."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any

import aiohttp

from bench.client import fetch, http_get, http_request
from bot.matching import MatchChoices
from handlers.requests.blocks import request_modal
from slack_standin import SlackStandIn
from slack_standin.driver import Response, SlackDriver

EVENTS_PATH = "/slack/events"
COORDINATOR = "UCOORD1"
FORM = {"area": "work_stress", "urgency": "this_week", "contact": "slack", "note": "Long week in court."}


class RequestBuilder(SlackDriver):
    """The driver's payloads, signed and framed as raw HTTP instead of sent.

    Uses :class:`SlackDriver` for the exact formats Slack sends, so the benchmark
    posts what the tests post.
    """

    def __init__(self, standin_url: str, port: int) -> None:
        slack = SlackStandIn()
        slack.root_url = standin_url.removesuffix("/api/")  # only its response_url is used
        super().__init__(slack, None, url=EVENTS_PATH)  # type: ignore[arg-type]
        self.port = port
        self._built = b""
        # A team to pick from, so the modal has its "supporter to ask first" (any id may be sent in it).
        team = MatchChoices(supporters=(("USUP", "A peer supporter"),))
        self.view = {
            **request_modal(note_max_length=500, choices=team),
            "id": "V00000001",
            "hash": "1.h",
        }

    async def post(
        self,
        body: bytes,
        content_type: str,
        *,
        timestamp: str | None = None,
        signature: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        """Frame the request instead of sending it."""
        self._built = http_request(self.port, EVENTS_PATH, body, content_type, secret=self.signing_secret)
        return Response(status=0, text="")

    async def command_bytes(self, user_id: str, text: str = "") -> bytes:
        """``/peer {text}`` typed by ``user_id``."""
        await self.command(user_id, text)
        return self._built

    async def submission_bytes(self, user_id: str, *, preferred: str | None = None) -> bytes:
        """The request modal submitted by ``user_id`` (asking ``preferred`` first, if given)."""
        await self.submit(user_id, self.view, {**FORM, "preferred_supporter": preferred, "excluded": []})
        return self._built

    async def view_submission_bytes(
        self, user_id: str, view: dict[str, Any], values: dict[str, Any]
    ) -> bytes:
        """Any modal ``view`` submitted by ``user_id`` with ``values`` (block id → value)."""
        await self.submit(user_id, view, values)
        return self._built


def is_empty_ack(status: int, body: bytes) -> bool:
    """The ack of a modal submission or of ``/peer`` that opens the modal: 200 and no body."""
    return status == 200 and body == b""


class StandInWatch:
    """The stand-in's control port: counts of calls, its clock, and offer DMs as they land."""

    def __init__(self, control_port: int) -> None:
        self.port = control_port

    async def counts(self) -> dict[str, int]:
        """How many calls of each kind the stand-in has answered."""
        status, body = await fetch(self.port, http_get(self.port, "/counts"))
        assert status == 200
        counts: dict[str, int] = json.loads(body)
        return counts

    async def wait_until(self, what: str, at_least: int, *, timeout: float) -> float:
        """Wait until ``counts()[what] >= at_least``; returns the seconds waited."""
        start = time.monotonic()
        while True:
            if (await self.counts())[what] >= at_least:
                return time.monotonic() - start
            if time.monotonic() - start > timeout:
                raise TimeoutError(f"the stand-in saw fewer than {at_least} {what} in {timeout:.0f} s")
            await asyncio.sleep(0.02)

    async def check_clock(self) -> None:
        """Arrival times come from the stand-in's process: its monotonic clock must be ours."""
        before = time.monotonic()
        status, body = await fetch(self.port, http_get(self.port, "/clock"))
        after = time.monotonic()
        theirs = json.loads(body)["monotonic"]
        if status != 200 or not before - 0.005 <= theirs <= after + 0.005:
            raise RuntimeError(
                "the stand-in's monotonic clock differs from ours; end-to-end times are unusable"
            )

    @contextlib.asynccontextmanager
    async def offers(self) -> AsyncIterator[defaultdict[str, asyncio.Queue[float]]]:
        """While open: offer DMs as they land, as supporter id → queue of arrival times."""
        queues: defaultdict[str, asyncio.Queue[float]] = defaultdict(asyncio.Queue)
        async with (
            aiohttp.ClientSession() as session,
            session.ws_connect(f"http://127.0.0.1:{self.port}/offers") as ws,
        ):

            async def pump() -> None:
                async for message in ws:
                    if message.type != aiohttp.WSMsgType.TEXT:
                        break
                    offer: dict[str, Any] = json.loads(message.data)
                    queues[offer["channel"]].put_nowait(offer["at"])

            task = asyncio.get_running_loop().create_task(pump())
            try:
                yield queues
            finally:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
