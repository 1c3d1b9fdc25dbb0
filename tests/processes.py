"""``python -m bot [web|worker]`` as operators run it, as a real process against the Slack stand-in."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import Callable
from pathlib import Path

import aiohttp

from slack_standin import SlackStandIn
from slack_standin.driver import SIGNING_SECRET, TOKEN

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def wait_healthy(port: int, log: Path, proc: asyncio.subprocess.Process | None = None) -> None:
    """Wait until ``/healthz`` on ``port`` answers 200 (about 15 s at most, less if ``proc`` exits)."""
    async with aiohttp.ClientSession() as session:
        for _ in range(150):
            if proc is not None and proc.returncode is not None:
                break
            try:
                async with session.get(f"http://127.0.0.1:{port}/healthz") as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError("the bot never became healthy:\n" + log.read_text()[-3000:])


class BotProcess:
    """One app process; several (at once, or in turn as restarts) may share a database and a port."""

    def __init__(
        self,
        slack: SlackStandIn,
        database_url: str,
        log: Path,
        *,
        port: int | None = None,
        env: dict[str, str] | None = None,
        preexec: Callable[[], None] | None = None,
        role: str | None = None,
    ) -> None:
        self.role = role  # "web", "worker", or None: both in one process
        self.port = port or free_port()
        self.env = {
            "PATH": os.environ.get("PATH", ""),
            "PYTHONPATH": str(ROOT),
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": slack.base_url,
            "DATABASE_URL": database_url,
            "PORT": str(self.port),
            "PEER_COORDINATORS": "UCOORD1",
            "PEER_SERVICE_HOURS": "any",
            "PEER_CHECKIN_OFFSETS": "2s,4s",
            "PEER_CHECKIN_HOURS": "any",
            "PEER_CHECKIN_RATE": "1000",
            "PEER_SWEEP_SECONDS": "0.2",
            **(env or {}),
        }
        self.log = log
        self.preexec = preexec
        self.proc: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        """Where Slack sends its requests."""
        return f"http://127.0.0.1:{self.port}/slack/events"

    async def start(self) -> None:
        """Start, and wait until ``/healthz`` answers 200."""
        with self.log.open("ab") as out:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                *([self.role] if self.role else []),
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=out,
                preexec_fn=self.preexec,
            )
        await wait_healthy(self.port, self.log, self.proc)

    async def health(self) -> int:
        """The status ``/healthz`` answers."""
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{self.port}/healthz") as resp,
        ):
            return resp.status

    async def kill(self) -> None:
        """SIGKILL: no shutdown, no flush, whatever it was doing."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        await self.proc.wait()

    async def stop(self) -> None:
        """SIGTERM, as a platform stops it."""
        if self.proc is not None and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
            await asyncio.wait_for(self.proc.wait(), timeout=15)
