"""The composition root: storage, services, the Bolt app, the HTTP server and the scheduler.

This is the one module of ``bot`` that knows Slack exists.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from datetime import timedelta

from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

import handlers
from bot.background import Background
from bot.checkins import CheckinPolicy, CheckinService
from bot.clock import SystemClock
from bot.config import Settings
from bot.durations import parse_duration, parse_plan
from bot.jobs import Jobs
from bot.peer_requests import RequestPolicy, RequestService
from bot.ports import Clock
from bot.roles import Roles
from bot.roster import RosterService
from bot.services import Services
from bot.tracking import TrackingService
from handlers.directory import SlackDirectory
from handlers.http import build_web_app
from handlers.notifier import SlackNotifier
from storage.db import Database
from storage.models import REQUEST_NOTICES, IncidentKind

log = logging.getLogger(__name__)

# Library loggers are capped: at DEBUG slack_sdk logs every request and response body and
# aiosqlite every statement with its parameters (notes, user ids),
# which would put request details in the logs.
QUIET_LOGGERS = ("slack_sdk", "slack_bolt", "aiosqlite", "aiohttp.access", "apscheduler")


def configure_logging(level: str) -> None:
    """Log ids and states only; library loggers never below WARNING."""
    logging.basicConfig(level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def build_client(settings: Settings) -> AsyncWebClient:
    """The Web API client: every call goes to ``SLACK_API_URL``, with retries for 429/5xx/resets."""
    return AsyncWebClient(
        token=settings.slack_bot_token.get_secret_value(),
        base_url=settings.slack_api_url,
        timeout=settings.slack_api_timeout,  # type: ignore[arg-type] - aiohttp takes float seconds
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=2),
            AsyncRateLimitErrorRetryHandler(max_retry_count=2),
            AsyncServerErrorRetryHandler(max_retry_count=2),
        ],
    )


class PeerSupportApp:
    """One running instance of the bot."""

    def __init__(self, settings: Settings, *, clock: Clock | None = None) -> None:
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self.background = Background()
        self.db: Database | None = None
        self.services: Services | None = None
        self.bolt: AsyncApp | None = None
        self.port: int | None = None
        self._runner: web.AppRunner | None = None
        self.jobs: Jobs | None = None
        self._socket_handler: object | None = None

    async def start(self, *, host: str = "0.0.0.0", port: int | None = None) -> None:  # noqa: S104
        """Open storage, wire everything, serve HTTP (or Socket Mode) and start the scheduler."""
        settings = self.settings
        self.db = await Database.open(settings.database_url)
        hours = settings.service_hours()
        client = build_client(settings)
        notifier = SlackNotifier(
            client, tz=hours.tz, hours=hours.describe(), resources=settings.peer_resources
        )
        roles = Roles(settings.peer_coordinators)
        checkins: CheckinService  # built below; the request service sends its notices through it
        requests = RequestService(
            db=self.db,
            notifier=notifier,
            clock=self.clock,
            hours=hours,
            roles=roles,
            policy=RequestPolicy(
                offer_timeout=timedelta(seconds=settings.peer_offer_timeout),
                capacity=settings.peer_supporter_capacity,
                note_max_length=settings.peer_note_max_length,
            ),
            deliver_now=lambda message_ids: checkins.deliver_now(message_ids),
        )
        roster = RosterService(
            db=self.db,
            clock=self.clock,
            hours=hours,
            roles=roles,
            requests=requests,
            background=self.background,
        )
        checkins = CheckinService(
            db=self.db,
            notifier=notifier,
            directory=SlackDirectory(client),
            clock=self.clock,
            roles=roles,
            requests=requests,
            policy=CheckinPolicy(
                plans={
                    IncidentKind.CRITICAL_INCIDENT: parse_plan(settings.peer_checkin_offsets),
                    IncidentKind.BEREAVEMENT: parse_plan(settings.peer_checkin_offsets_bereavement),
                    IncidentKind.ILLNESS: parse_plan(settings.peer_checkin_offsets_illness),
                },
                window=settings.peer_checkin_hours,
                grace=parse_duration(settings.peer_checkin_grace),
                rate_per_second=settings.peer_checkin_rate,
                program_tz=hours.tz,
            ),
        )
        checkins.register(REQUEST_NOTICES, requests.send_notice)
        tracking = TrackingService(
            db=self.db,
            clock=self.clock,
            roles=roles,
            hours=hours,
            min_count=settings.peer_min_count,
            retention=timedelta(days=settings.peer_retention_days),
        )
        self.services = Services(
            requests=requests,
            roster=roster,
            checkins=checkins,
            tracking=tracking,
            roles=roles,
            hours=hours,
            background=self.background,
            resources=tuple(settings.peer_resources),
            note_max_length=settings.peer_note_max_length,
            clock=self.clock,
            min_count=settings.peer_min_count,
        )
        secret = settings.slack_signing_secret
        self.bolt = AsyncApp(
            client=client,
            signing_secret=secret.get_secret_value() if secret else None,
            request_verification_enabled=secret is not None,
            # The response goes out when the listener returns; listeners ack first and
            # hand slow work to the background, so there is no 10 ms ack polling.
            process_before_response=True,
        )
        handlers.register(self.bolt, self.services)
        web_app = build_web_app(
            self.bolt,
            signing_secret=secret.get_secret_value() if secret else "",
            healthy=self._healthy,
        )
        if settings.socket_mode:
            await self._start_socket_mode()
        self._runner = web.AppRunner(web_app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, settings.port if port is None else port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        self.jobs = Jobs(
            sweep=self.sweep,
            deliver=checkins.deliver_due,
            next_due=checkins.next_due_at,
            clock=self.clock,
            every_seconds=settings.peer_sweep_seconds,
            background=self.background,
        )
        self.jobs.start()
        # Offers recorded before a crash are sent, and deadlines that passed meanwhile move on.
        self.background.spawn(self._recover(), name="recover")
        log.info("peer support bot started (%s mode)", "socket" if settings.socket_mode else "http")

    async def _start_socket_mode(self) -> None:
        from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

        assert self.bolt is not None and self.settings.slack_app_token is not None
        handler = AsyncSocketModeHandler(self.bolt, self.settings.slack_app_token.get_secret_value())
        await handler.connect_async()
        self._socket_handler = handler

    async def _recover(self) -> None:
        assert self.services is not None and self.jobs is not None
        await self.services.requests.recover()
        await self.sweep()
        await self.services.checkins.recover()
        await self.jobs.run_deliveries()

    async def sweep(self) -> None:
        """What the periodic job runs: expire offers, route waiting requests, purge what expired."""
        if self.services is not None:
            await self.services.requests.sweep()
            await self.services.tracking.purge()

    async def deliver_due(self) -> int:
        """What the delivery job runs: send the check-ins and reminders that are due."""
        if self.services is None:
            return 0
        return await self.services.checkins.deliver_due()

    async def _healthy(self) -> bool:
        return self.db is not None and await self.db.ping()

    async def stop(self, *, drain: bool = True) -> None:
        """Stop serving, finish (or cancel) background work, close storage."""
        if self.jobs is not None:
            self.jobs.shutdown()
            self.jobs = None
        if self.services is not None:
            self.services.checkins.request_stop()
        if self._socket_handler is not None:
            await self._socket_handler.close_async()  # type: ignore[attr-defined]
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if drain:
            await self.background.drain()
        await self.background.cancel_all()
        if self.db is not None:
            await self.db.close()
            self.db = None


async def serve(settings: Settings) -> None:
    """Run until SIGTERM or SIGINT, then stop cleanly (finishing work already under way)."""
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    app = PeerSupportApp(settings)
    await app.start()
    try:
        await stopping.wait()
    finally:
        log.info("stopping")
        await app.stop()
