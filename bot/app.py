"""The composition root: storage, services, the Bolt app, the HTTP server and the scheduler.

This is the one module of ``bot`` that knows Slack exists.

Why this module runs past 400 lines: every service is built here, from its settings, in one place
(``_build_services``); split across modules, the wiring would be harder to read, not shorter.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.web.async_client import AsyncWebClient

import handlers
from bot.announcements import AnnouncementService
from bot.background import Background
from bot.care import CareService
from bot.checkins import CheckinService
from bot.clock import SystemClock
from bot.concerns import ConcernService
from bot.config import Settings
from bot.deliveries import Deliveries
from bot.failures import failure
from bot.handoff import Handoff, HandoffKind, ProcessRole, WorkerLoop
from bot.handoff_jobs import register_jobs
from bot.home import HomeRefresher, HomeService
from bot.installations import STATE_LIFETIME, Installations, OAuthStates, UnscopedData
from bot.jobs import Jobs
from bot.log_format import QUIET_LOGGERS, configure_logging
from bot.metrics import Metrics
from bot.oncall import OnCallRota
from bot.pacing import Pacer
from bot.peer_requests import RequestService
from bot.ports import Clock
from bot.profiles import ProfileService
from bot.quarterly import QuarterlyReports
from bot.referrals import ShareService
from bot.relay import RelayService
from bot.resources import ResourceService
from bot.roles import Roles
from bot.roster import RosterService
from bot.services import Services
from bot.talk_feedback import TalkFeedback
from bot.tenancy import TokenSource, WorkspaceData
from bot.tracking import TrackingService
from bot.training import TrainingReminders
from bot.volunteers import VolunteerService
from handlers.directory import SlackDirectory
from handlers.http import build_web_app
from handlers.notifier import SlackNotifier
from handlers.oauth import BOT_SCOPES, InstalledTokens, build_oauth_flow, register_leaving
from handlers.retries import CallCounter, retry_handlers
from storage.db import Database
from storage.models import DECIDED_NOTICES

log = logging.getLogger(__name__)

# On SIGTERM, platforms wait about 30 s before SIGKILL (Heroku, Kubernetes; compose.yaml asks for
# 30 s): requests under way get 5 s to be answered (Slack wants an answer in 3), then the work
# after the acks (routing, the check-in in hand) gets 20 s. A send still under way after that
# stays claimed and becomes unconfirmed: never sent twice.
HTTP_SHUTDOWN_SECONDS = 5.0
ROLE_HEADER = "X-Peer-Support-Role"
DRAIN_SECONDS = 20.0

__all__ = ["QUIET_LOGGERS", "PeerSupportApp", "build_client", "configure_logging", "serve"]


class _NoCount:
    def rate_limited(self, method: str) -> None:
        pass

    def retried(self, reason: str) -> None:
        pass


def build_client(
    settings: Settings,
    session: aiohttp.ClientSession | None = None,
    counter: CallCounter | None = None,
    pacer: Pacer | None = None,
    role: ProcessRole = ProcessRole.BOTH,
) -> AsyncWebClient:
    """The Web API client: every call goes to ``SLACK_API_URL``, with retries for 429/5xx/resets
    (counted by ``counter``, the metrics; a 429 to a post also slows ``pacer``).

    One shared session keeps connections (and TLS) alive between calls; Bolt hands the same
    session to the per-request clients it makes. Every call names the process role that made it
    (``X-Peer-Support-Role``; Bolt copies the headers too), so a web process's calls can be told apart.
    """
    return AsyncWebClient(
        headers={ROLE_HEADER: str(role)},
        # Distribution mode has no deployment-wide token: Bolt gives each request its workspace's.
        token=settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None,
        base_url=settings.slack_api_url,
        session=session,
        # slack_sdk annotates int seconds; with a shared session the session's timeout applies anyway.
        timeout=settings.slack_api_timeout.total_seconds(),  # type: ignore[arg-type]
        retry_handlers=retry_handlers(counter or _NoCount(), pacer.rate_limited if pacer else None),
    )


class PeerSupportApp:
    """One running instance of the bot, in one :class:`~bot.handoff.ProcessRole`."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock | None = None,
        workspace_data: WorkspaceData | None = None,
        role: ProcessRole = ProcessRole.BOTH,
    ) -> None:
        self.settings = settings
        self.role = role
        self.worker: WorkerLoop | None = None
        self.clock: Clock = clock or SystemClock()
        # Distribution mode: the installations, the token source for work outside a request, and
        # what forgets a workspace that left (see bot/installations.py).
        self.installations: Installations | None = None
        self.tokens: TokenSource | None = None
        self.workspace_data: WorkspaceData = workspace_data or UnscopedData()
        self.background = Background()
        self.db: Database | None = None
        self.services: Services | None = None
        self.bolt: AsyncApp | None = None
        self.port: int | None = None
        self._runner: web.AppRunner | None = None
        self.jobs: Jobs | None = None
        self._session: aiohttp.ClientSession | None = None
        self._socket_handler: object | None = None
        # Kept whether or not /metrics is served: counting costs nothing, and a test can read it.
        self.metrics = Metrics(min_count=settings.peer_min_count, clock=self.clock, database=lambda: self.db)
        # One pace for every message to Slack: scheduled ones, notices and offers; 429s slow it.
        self.pacer = Pacer(settings.delivery_policy().pacing())

    async def start(self, *, host: str = "0.0.0.0", port: int | None = None) -> None:
        """Open storage, wire everything, serve HTTP (or Socket Mode) and start the scheduler."""
        settings = self.settings
        self.db = await Database.open(settings.database_url)
        # With a shared session, slack_sdk leaves timeouts to it: SLACK_API_TIMEOUT is set here.
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=settings.slack_api_timeout.total_seconds())
        )
        client = build_client(settings, self._session, self.metrics, self.pacer, self.role)
        self.services = self._build_services(client)
        if self.role.works:
            await self.services.directory.seed_from_file()
        deliveries = self.services.deliveries
        # In Socket Mode nothing arrives signed over HTTP: the port serves the health check only.
        # Nor does it to a worker, whose Bolt app only replays the clicks handed to it.
        secret = None if settings.socket_mode else settings.slack_signing_secret
        events_secret = secret if self.role.serves_slack else None
        oauth_flow = self._oauth_flow(client) if settings.distribution else None
        self.bolt = AsyncApp(
            client=client,
            oauth_flow=oauth_flow,
            signing_secret=secret.get_secret_value() if secret else None,
            request_verification_enabled=secret is not None,
            # The response goes out when the listener returns; listeners ack first and
            # hand slow work to the background, so there is no 10 ms ack polling.
            process_before_response=True,
        )
        handlers.register(self.bolt, self.services)
        register_leaving(self.bolt, self.installations)
        token = settings.peer_metrics_token
        web_app = build_web_app(
            self.bolt,
            signing_secret=events_secret.get_secret_value() if events_secret else None,
            healthy=self._healthy,
            metrics=self.metrics.render if settings.peer_metrics else None,
            metrics_token=token.get_secret_value() if token else None,
            # The install pages are the web role's: a worker's port serves /healthz (and /metrics).
            oauth_flow=oauth_flow if self.role.serves_slack else None,
        )
        if settings.socket_mode and self.role.serves_slack:
            await self._start_socket_mode()
        self._runner = web.AppRunner(web_app, access_log=None, shutdown_timeout=HTTP_SHUTDOWN_SECONDS)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, settings.port if port is None else port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        if self.role.works:
            self._start_work(deliveries)
            if self.role is ProcessRole.WORKER:
                self.worker = WorkerLoop(
                    db=self.db,
                    clock=self.clock,
                    handoff=self.services.handoff,
                    start_request=_starter(self.services.requests),
                    deliver=self.jobs.run_deliveries if self.jobs else _nothing,
                    notice_kinds=DECIDED_NOTICES,
                    poll_seconds=settings.peer_worker_poll.total_seconds(),
                    background=self.background,
                )
                await self.worker.start()
        mode = "socket" if settings.socket_mode else "http, distribution" if settings.distribution else "http"
        log.info("peer support bot started (%s mode, %s role)", mode, self.role)

    def _start_work(self, deliveries: Deliveries) -> None:
        """The scheduler and recovery: what a worker (or the one process) runs beside serving."""
        settings = self.settings
        self.jobs = Jobs(
            sweep=self.sweep,
            deliver=deliveries.deliver_due,
            next_due=deliveries.next_due_at,
            clock=self.clock,
            every_seconds=settings.peer_sweep_seconds.total_seconds(),
            background=self.background,
        )
        self.jobs.start()
        # Offers recorded before a crash are sent, and deadlines that passed meanwhile move on.
        self.background.spawn(self._recover(), name="recover")
        mode = "socket" if settings.socket_mode else "http, distribution" if settings.distribution else "http"
        log.info("peer support bot started (%s mode)", mode)

    def _oauth_flow(self, client: AsyncWebClient) -> AsyncOAuthFlow:
        """Distribution mode: Bolt's OAuth flow on our stores, and the token source for background work."""
        settings, db = self.settings, self.db
        client_id, secret, state_secret, key = (
            settings.slack_client_id,
            settings.slack_client_secret,
            settings.slack_state_secret,
            settings.peer_encryption_key,
        )
        if db is None or client_id is None or secret is None or state_secret is None or key is None:
            raise RuntimeError("the app is not started in distribution mode")
        self.installations = Installations(
            db=db,
            clock=self.clock,
            key=key.get_secret_value(),
            grace=settings.peer_uninstall_grace,
        )
        states = OAuthStates(
            db=db, clock=self.clock, secret=state_secret.get_secret_value(), expires_after=STATE_LIFETIME
        )
        flow, rotator = build_oauth_flow(
            client=client,
            client_id=client_id,
            client_secret=secret.get_secret_value(),
            scopes=list(BOT_SCOPES),
            installations=self.installations,
            states=states,
            state_seconds=int(STATE_LIFETIME.total_seconds()),
            clock=self.clock,
        )
        self.tokens = InstalledTokens(self.installations, rotator)
        return flow

    def _build_services(self, client: AsyncWebClient) -> Services:
        """Every domain service, wired to Slack through the notifier and the directory.

        Only wiring: the settings build every policy (see :class:`bot.config.Settings`).
        """
        settings, db, clock, background = self.settings, self.db, self.clock, self.background
        if db is None:
            raise RuntimeError("the app is not started")
        hours = settings.peer_service_hours
        notifier = SlackNotifier(
            client,
            tz=hours.tz,
            hours=hours.describe(),
            resources=settings.peer_resources,
            coping=settings.coping_text(),
        )
        directory = SlackDirectory(client)
        # Services report what changed on people's Home tabs; the Home service, built last, publishes.
        homes = HomeRefresher(background)
        handoff = Handoff(db=db, clock=clock, background=background, role=self.role)
        roles = Roles(
            settings.peer_coordinators,
            db=db,
            clock=clock,
            homes=homes,
            administrators=settings.peer_administrators,
        )
        training = settings.training_policy()
        deliveries = Deliveries(
            db=db, clock=clock, policy=settings.delivery_policy(), observer=self.metrics, pacer=self.pacer
        )
        requests = RequestService(
            db=db,
            notifier=notifier,
            clock=clock,
            hours=hours,
            roles=roles,
            policy=settings.request_policy(),
            homes=homes,
            # Notices recorded with a decision are sent right after its commit (by the worker,
            # woken, in the web role).
            deliver_now=deliveries.deliver_now if self.role.works else _waker(handoff),
            pacer=self.pacer,
            handoff=handoff,
        )
        deliveries.register(DECIDED_NOTICES, requests.send_notice)
        roster = RosterService(
            db=db,
            clock=clock,
            hours=hours,
            roles=roles,
            requests=requests,
            handoff=handoff,
            training=training,
            directory=directory,
            homes=homes,
        )
        checkins = CheckinService(
            db=db,
            notifier=notifier,
            directory=directory,
            clock=clock,
            roles=roles,
            requests=requests,
            deliveries=deliveries,
            policy=settings.checkin_policy(),
            homes=homes,
        )
        reminders = TrainingReminders(
            db=db,
            clock=clock,
            hours=hours,
            notifier=notifier,
            deliveries=deliveries,
            policy=training,
            homes=homes,
        )
        volunteers = VolunteerService(db=db, clock=clock, roles=roles, notifier=notifier, homes=homes)
        announcements = AnnouncementService(
            db=db,
            clock=clock,
            roles=roles,
            notifier=notifier,
            channels=directory,
            deliveries=deliveries,
            policy=settings.event_policy(),
            homes=homes,
        )
        care = CareService(
            db=db, clock=clock, notifier=notifier, checkins=checkins, requests=requests, deliveries=deliveries
        )
        concerns = ConcernService(db=db, clock=clock, roles=roles, notifier=notifier, homes=homes)
        resource_directory = ResourceService(
            db=db, clock=clock, roles=roles, seed=settings.resource_seed(), homes=homes
        )
        tracking = TrackingService(
            db=db,
            clock=clock,
            roles=roles,
            hours=hours,
            min_count=settings.peer_min_count,
            retention=settings.peer_retention_days,
            notifier=notifier,
            supporter_roles=settings.peer_roles,
        )
        profiles = ProfileService(
            db=db,
            clock=clock,
            hours=hours,
            roles=roles,
            training=training,
            policy=settings.profile_policy(),
            homes=homes,
            directory=directory,
        )
        reports = QuarterlyReports(
            db=db, clock=clock, roles=roles, tracking=tracking, training=training, hours=hours
        )
        home = HomeService(
            db=db,
            roles=roles,
            requests=requests,
            roster=roster,
            volunteers=volunteers,
            announcements=announcements,
            concerns=concerns,
            tracking=tracking,
            directory=resource_directory,
            profiles=profiles,
            publisher=notifier,
            clock=clock,
            checkins=checkins,
        )
        if self.role.works:
            homes.bind(home.refresh, roles.all_coordinators)
        else:
            homes.bind(lambda users: handoff.submit(HandoffKind.HOMES, users=users), roles.all_coordinators)
        relay = RelayService(
            db=db,
            notifier=notifier,
            directory=directory,
            clock=clock,
            requests=requests,
            background=background,
        )
        services = Services(
            requests=requests,
            routing=requests.routing,
            roster=roster,
            checkins=checkins,
            deliveries=deliveries,
            volunteers=volunteers,
            reminders=reminders,
            announcements=announcements,
            homes=home,
            concerns=concerns,
            care=care,
            talk=TalkFeedback(db=db, clock=clock, hours=hours, requests=requests, notifier=notifier),
            tracking=tracking,
            reports=reports,
            relay=relay,
            directory=resource_directory,
            shares=ShareService(db=db, clock=clock, sender=notifier),
            oncall=OnCallRota(db=db, clock=clock, roles=roles, hours=hours, homes=homes),
            profiles=profiles,
            roles=roles,
            hours=hours,
            background=background,
            handoff=handoff,
            resources=tuple(settings.peer_resources),
            coping=settings.coping_text(),
            office_lines=settings.office_resource_lines(),
            note_max_length=settings.peer_note_max_length,
            clock=clock,
            min_count=settings.peer_min_count,
        )
        register_jobs(services, replay_click=self._replay)
        return services

    async def _replay(self, args: Mapping[str, Any]) -> None:
        """A click the web role acked: its listener runs here, through this worker's Bolt app
        (``later`` then does its work in this process)."""
        if self.bolt is None:
            raise RuntimeError("the app is not started")
        await self.bolt.async_dispatch(AsyncBoltRequest(body=dict(args["body"]), mode="socket_mode"))

    async def _start_socket_mode(self) -> None:
        from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

        if self.bolt is None or self.settings.slack_app_token is None:
            raise RuntimeError("the app is not started")
        handler = AsyncSocketModeHandler(self.bolt, self.settings.slack_app_token.get_secret_value())
        await handler.connect_async()  # type: ignore[no-untyped-call]  # slack_bolt leaves it unannotated
        self._socket_handler = handler

    async def _recover(self) -> None:
        if self.services is None or self.jobs is None:
            raise RuntimeError("the app is not started")
        await self.services.requests.recover()
        await self.services.relay.recover()
        await self.sweep()
        await self.services.deliveries.recover()
        await self.services.checkins.recover()
        await self.jobs.run_deliveries()

    async def sweep(self) -> None:
        """What the periodic job runs: expire offers, route waiting requests, find lapsing training, purge."""
        if self.db is not None:
            await self.db.checkpoint_passive()
        if self.services is None:
            return
        s = self.services
        parts: tuple[tuple[str, Callable[[], Awaitable[object]]], ...] = (
            ("routing", s.requests.sweep),
            ("relay", s.relay.sweep),
            ("training reminders", s.reminders.schedule_due),
            ("reachability", s.roster.check_reachable),
            ("retention", s.tracking.purge),
            ("stalled check-ins", s.checkins.retry_stalled),
            ("quarter figures", lambda: s.reports.freeze_last_closed(s.hours.today(s.clock.now()))),
        )
        if self.installations is not None:
            installations = self.installations
            parts += (("departed workspaces", lambda: installations.forget_departed(self.workspace_data)),)
        for name, part in parts:
            # Each part on its own: one that fails (a bad row, Slack down) never stops the others,
            # the purge above all.
            try:
                await part()
            except Exception as exc:  # noqa: BLE001 - logged; the next sweep tries again
                log.error("sweep: %s failed: %s", name, failure(exc))

    async def deliver_due(self) -> int:
        """What the delivery job runs: send the check-ins and reminders that are due."""
        if self.services is None:
            return 0
        return await self.services.deliveries.deliver_due()

    async def _healthy(self) -> bool:
        return self.db is not None and await self.db.ping()

    async def stop(self, *, drain: bool = True) -> None:
        """Stop accepting (answering the requests under way), stop claiming scheduled messages,
        finish the work in hand (or, past :data:`DRAIN_SECONDS`, cancel it), close storage."""
        if self.worker is not None:
            await self.worker.stop()
            self.worker = None
        if self.jobs is not None:
            self.jobs.shutdown()
            self.jobs = None
        if self.services is not None:
            self.services.deliveries.request_stop()
        if self._socket_handler is not None:
            await self._socket_handler.close_async()  # type: ignore[attr-defined]
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if drain:
            await self.background.drain(timeout=DRAIN_SECONDS)
        await self.background.cancel_all()
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self.db is not None:
            await self.db.close()
            self.db = None


async def _nothing() -> None:
    return None


def _starter(requests: RequestService) -> Callable[[int], Awaitable[object]]:
    async def start(request_id: int) -> None:
        await requests.start(request_id=request_id)

    return start


def _waker(handoff: Handoff) -> Callable[[Iterable[int]], Awaitable[None]]:
    """The web role's "send these notices now": they are stored; wake the worker to send them."""

    async def wake(_: Iterable[int]) -> None:
        handoff.wake()

    return wake


async def serve(settings: Settings, role: ProcessRole = ProcessRole.BOTH) -> None:
    """Run until SIGTERM or SIGINT, then stop cleanly (finishing work already under way)."""
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    app = PeerSupportApp(settings, role=role)
    await app.start()
    try:
        await stopping.wait()
    finally:
        log.info("stopping: no new connections; finishing the work in hand")
        await app.stop()
        log.info("stopped")
