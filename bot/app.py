"""The composition root: storage, services, the Bolt app, the HTTP server and the scheduler.

This is the one module of ``bot`` that knows Slack exists.

Why this module runs past 400 lines: every service is built here, from its settings, in one place
(``_build_services``); split across modules, the wiring would be harder to read, not shorter.
"""

from __future__ import annotations

import asyncio
import functools
import gc
import logging
import os
import signal
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.web.async_client import AsyncWebClient

import handlers
from bot.announcements import AnnouncementService
from bot.association import AssociationStatistics, Member
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
from bot.installations import STATE_LIFETIME, Installations, OAuthStates
from bot.jobs import Jobs
from bot.log_format import QUIET_LOGGERS, configure_logging
from bot.metrics import Metrics
from bot.office_settings import OfficeSettingsService
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
from bot.tenancy import TokenSource, Workspace, WorkspaceData
from bot.tracking import TrackingService
from bot.training import TrainingReminders
from bot.volunteers import VolunteerService
from bot.workspaces import Office, Workspaces
from handlers.common.workspaces import NOT_INSTALLED, WorkspaceClient, token_authorize
from handlers.directory import SlackDirectory
from handlers.http import build_web_app
from handlers.notifier import SlackNotifier
from handlers.oauth import BOT_SCOPES, InstalledTokens, build_oauth_flow, register_leaving
from handlers.retries import CallCounter, retry_handlers
from storage.db import Database, drop_database, workspace_database_url, workspace_keys
from storage.migrations import DEPLOYMENT_MIGRATIONS, OFFICE_MIGRATIONS
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
    *,
    workspace: tuple[TokenSource, Workspace] | None = None,
) -> AsyncWebClient:
    """The Web API client: every call goes to ``SLACK_API_URL``, with retries for 429/5xx/resets
    (counted by ``counter``, the metrics; a 429 to a post also slows ``pacer``); with
    ``workspace``, that workspace's client, its token asked of its token source at every call.

    One shared session keeps connections (and TLS) alive between calls; Bolt hands the same
    session to the per-request clients it makes. Every call names the process role that made it
    (``X-Peer-Support-Role``; Bolt copies the headers too), so a web process's calls can be told apart.
    """
    if workspace is not None:
        return WorkspaceClient(
            tokens=workspace[0],
            workspace=workspace[1],
            headers={ROLE_HEADER: str(role)},
            base_url=settings.slack_api_url,
            session=session,
            timeout=settings.slack_api_timeout.total_seconds(),
            retry_handlers=retry_handlers(counter or _NoCount(), pacer.rate_limited if pacer else None),
        )
    token = settings.slack_bot_token
    return AsyncWebClient(
        headers={ROLE_HEADER: str(role)},
        # Distribution mode has no deployment-wide token: Bolt gives each request its workspace's.
        token=token.get_secret_value() if token is not None else None,
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
        tokens: TokenSource | None = None,
        role: ProcessRole = ProcessRole.BOTH,
    ) -> None:
        self.settings = settings
        self.role = role
        # The worker role: each office's wake-up (handoffs, new requests, notices due), by office.
        self._workers: dict[str, WorkerLoop] = {}
        self.clock: Clock = clock or SystemClock()
        # Distribution mode: the installations, the token source for work outside a request (the
        # installations', unless one is given: an embedding that installs by itself, the tests),
        # and what forgets a workspace that left (by default this app: its database goes).
        self.installations: Installations | None = None
        self.tokens: TokenSource | None = tokens
        self.workspace_data: WorkspaceData = workspace_data or self
        self.background = Background()
        # Single-workspace mode: the office's database and services. Distribution mode: the
        # deployment's database (installations), and each workspace's office in ``workspaces``.
        self.db: Database | None = None
        self.services: Services | None = None
        self.workspaces: Workspaces[Office] | None = None
        self.bolt: AsyncApp | None = None
        self.port: int | None = None
        self._runner: web.AppRunner | None = None
        self.jobs: Jobs | None = None
        self._session: aiohttp.ClientSession | None = None
        self._socket_handler: object | None = None
        # Kept whether or not /metrics is served: counting costs nothing, and a test can read it.
        self.metrics = Metrics(min_count=settings.peer_min_count, clock=self.clock, databases=self._databases)
        # One pace for every message to Slack: scheduled ones, notices and offers; 429s slow it.
        self.pacer = Pacer(settings.delivery_policy().pacing())
        # The deployment's statistics across the offices that share them (one for all offices).
        self.association: AssociationStatistics | None = None

    async def start(self, *, host: str = "0.0.0.0", port: int | None = None) -> None:
        """Open storage, wire everything, serve HTTP (or Socket Mode) and start the scheduler."""
        settings = self.settings
        distribution = settings.distribution
        self.db = await Database.open(
            settings.database_url, migrations=DEPLOYMENT_MIGRATIONS if distribution else None
        )
        self.association = AssociationStatistics(
            administrators=settings.peer_association_administrators,
            members=self._members,
            db=self.db,
            clock=self.clock,
            min_offices=settings.peer_min_count,
        )
        # With a shared session, slack_sdk leaves timeouts to it: SLACK_API_TIMEOUT is set here.
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=settings.slack_api_timeout.total_seconds())
        )
        client = build_client(settings, self._session, self.metrics, self.pacer, self.role)
        if distribution:
            self.workspaces = Workspaces(
                build=self._open_office, close=self._close_office, erase=self._erase, label=_office_key
            )
        else:
            office = await self._office(None, self.db, self.pacer)
            self.services = office.services
            if self.role.works:
                await self.services.directory.seed_from_file()
            self.workspaces = Workspaces.single(office, close=self._close_office)
        # In Socket Mode nothing arrives signed over HTTP: the port serves the health check only.
        # Nor does it to a worker, whose Bolt app only replays the clicks handed to it.
        secret = None if settings.socket_mode else settings.slack_signing_secret
        events_secret = secret if self.role.serves_slack else None
        # Distribution mode: Bolt's OAuth flow authorizes each request from the installations,
        # unless a token source was given (then Bolt asks it; there is no install flow).
        oauth_flow = self._oauth_flow(client) if distribution and self.tokens is None else None
        given = self._tokens() if distribution and oauth_flow is None else None
        self.bolt = AsyncApp(
            client=client,
            oauth_flow=oauth_flow,
            signing_secret=secret.get_secret_value() if secret else None,
            request_verification_enabled=secret is not None,
            # The response goes out when the listener returns; listeners ack first and
            # hand slow work to the background, so there is no 10 ms ack polling.
            process_before_response=True,
            # (Bolt answers None with the message below, though its annotation leaves None out.)
            authorize=token_authorize(given, client) if given is not None else None,  # type: ignore[arg-type]
            user_facing_authorize_error_message=NOT_INSTALLED,
        )
        handlers.register(self.bolt, self._services_of)
        register_leaving(self.bolt, self.installations, self._left)
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
        # The scheduler: what a worker (or the one process) runs beside serving. A web process only
        # sweeps (its sweep follows its offices' settings changed elsewhere) and delivers nothing.
        self.jobs = Jobs(
            sweep=self.sweep,
            deliver=self.deliver_due,
            next_due=self._next_due,
            clock=self.clock,
            every_seconds=settings.peer_sweep_seconds.total_seconds(),
            background=self.background,
        )
        self.jobs.start()
        if distribution:
            # Every workspace with a database opens now: its scheduled work must not wait for a request.
            keys = await workspace_keys(settings.database_url)
            await self.workspaces.open_all(Workspace.from_key(key) for key in keys)
        else:
            await self._started(office)
        mode = "socket" if settings.socket_mode else "http, distribution" if settings.distribution else "http"
        log.info("peer support bot started (%s mode, %s role)", mode, self.role)

    async def _started(self, office: Office) -> None:
        """An office is open: a worker (or the one process) recovers its work (offers recorded
        before a crash are sent, deadlines that passed meanwhile move on); a worker also starts
        watching for the work the web role hands it."""
        if not self.role.works:
            return
        self.background.spawn(self._recover(office), name="recover")
        if self.role is ProcessRole.WORKER:
            await self._start_worker(office)

    async def _start_worker(self, office: Office) -> None:
        services = office.services
        loop = WorkerLoop(
            db=office.db,
            clock=self.clock,
            handoff=services.handoff,
            start_request=_starter(services.requests),
            deliver=functools.partial(self._deliver_notices, services),
            notice_kinds=DECIDED_NOTICES,
            poll_seconds=self.settings.peer_worker_poll.total_seconds(),
            background=self.background,
        )
        old = self._workers.pop(_office_key(office), None)
        if old is not None:
            await old.stop()
        self._workers[_office_key(office)] = loop
        await loop.start()

    async def _deliver_notices(self, services: Services) -> None:
        """The worker, woken: this office's urgent notices now; everything else that is due goes out
        from the scheduler's delivery job (armed here for the next due time), which runs beside the
        worker's loop: a wave of check-ins, however slow at Slack, never holds up a request."""
        try:
            await services.deliveries.deliver_notices()
            if self.jobs is not None:
                await self.jobs.arm()
        except Exception as exc:  # noqa: BLE001 - the next wake, or the delivery job, tries again
            log.error("notices failed: %s", failure(exc))

    async def _close_office(self, office: Office) -> None:
        loop = self._workers.pop(_office_key(office), None)
        if loop is not None:
            await loop.stop()
        await _close_office(office)

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

    def _databases(self) -> list[Database]:
        """The databases the metrics read: the office's, or every open office's (distribution mode;
        the deployment's database counts only its errors)."""
        if not self.settings.distribution:
            return [self.db] if self.db is not None else []
        return [] if self.workspaces is None else [o.db for o in self.workspaces.opened()]

    async def _members(self) -> list[Member]:
        """Every office, as the association's statistics read it: in distribution mode each
        workspace with a database, opened if it is not (one that cannot be opened raises: a sum
        without it is never shown); a workspace no longer installed is not an office any more."""
        if self.workspaces is None:
            raise RuntimeError("the app is not started")
        if self.settings.distribution:
            keys = await workspace_keys(self.settings.database_url)
            found = [await self.workspaces.get(Workspace.from_key(key)) for key in keys]
            offices = [o for o in found if o is not None]
        else:
            offices = self.workspaces.opened()
        return [Member(tracking=o.services.tracking, hours=o.services.hours, db=o.db) for o in offices]

    def _tokens(self) -> TokenSource:
        if self.tokens is None:
            raise RuntimeError("distribution mode needs a token source (the installations)")
        return self.tokens

    async def _services_of(self, workspace: Workspace | None) -> Services | None:
        office = None if self.workspaces is None else await self.workspaces.get(workspace)
        return None if office is None else office.services

    async def _open_office(self, workspace: Workspace) -> Office | None:
        """Open an installed workspace: its database (migrated), its client, pace and services."""
        tokens = self._tokens()
        if await tokens.bot_token(workspace) is None:
            return None
        url = workspace_database_url(self.settings.database_url, workspace.key)
        db = await Database.open(url, migrations=OFFICE_MIGRATIONS)
        try:
            office = await self._office(workspace, db, Pacer(self.settings.delivery_policy().pacing()))
            if self.role.works:
                await office.services.directory.seed_from_file()
        except BaseException:
            await db.close()
            raise
        if self.installations is not None:
            # Its installer is its first coordinator (an office with none could do nothing).
            found = await self.installations.find_installation(workspace.enterprise_id, workspace.team_id)
            if found is not None and found.user_id:
                await self._first_coordinator(office, found.user_id)
        await self._started(office)
        return office

    async def _office(self, workspace: Workspace | None, db: Database, pacer: Pacer) -> Office:
        """An office's services on its database and pace, with its own settings over the environment's."""
        async with db.read() as tx:
            values = await tx.office_settings.values()
        settings, left = self.settings.for_office(values)
        if left:
            log.warning("office settings left at the environment's: %s", ", ".join(left))
        token = None if workspace is None else (self._tokens(), workspace)
        client = build_client(self.settings, self._session, self.metrics, pacer, self.role, workspace=token)
        services = self._build_services(client, db=db, pacer=pacer, settings=settings, workspace=workspace)
        return Office(workspace=workspace, db=db, services=services, pacer=pacer, settings=values)

    async def _rebuild(self, workspace: Workspace | None) -> None:
        """An office's settings changed (here, or on another instance): its services anew, on the
        same database and pace. What the old ones have under way finishes on them."""
        old = (
            None
            if self.workspaces is None
            else next((o for o in self.workspaces.opened() if o.workspace == workspace), None)
        )
        if old is None or self.workspaces is None:
            return
        office = await self._office(workspace, old.db, old.pacer)
        self.workspaces.replace(workspace, office)
        old.services.deliveries.request_stop()
        if self.role is ProcessRole.WORKER:
            await self._start_worker(office)  # on the new services (the old loop stops)
        if workspace is None:
            self.services = office.services

    async def installed(self, workspace: Workspace, *, installer_id: str) -> None:
        """A workspace installed the app: open it now, and make the installer its first coordinator
        if it has none (they add the others with ``/peer coordinators add``). An office opened from
        an installation does this by itself (see :meth:`_open_office`)."""
        office = None if self.workspaces is None else await self.workspaces.get(workspace)
        if office is None:
            raise RuntimeError("the workspace has no bot token")
        await self._first_coordinator(office, installer_id)

    async def _first_coordinator(self, office: Office, user_id: str) -> None:
        async with office.db.transaction() as tx:
            if not await tx.roles.coordinators():
                await tx.roles.add_coordinator(user_id, added_by=user_id, now=self.clock.now())

    async def _left(self, workspace: Workspace) -> None:
        """A workspace uninstalled: its office closes in this process now (no cached office outlives
        it here: if it comes back after its data is gone, a fresh one opens on a fresh database)."""
        if self.workspaces is not None:
            await self.workspaces.close_one(workspace)

    async def forget(self, workspace: Workspace) -> None:
        """Close the workspace's services and delete its database (file or schema); see
        :class:`bot.tenancy.WorkspaceData`."""
        if self.workspaces is None:
            raise RuntimeError("the app is not started")
        await self.workspaces.forget(workspace)

    async def _erase(self, workspace: Workspace) -> None:
        await drop_database(workspace_database_url(self.settings.database_url, workspace.key))

    def _build_services(
        self,
        client: AsyncWebClient,
        *,
        db: Database | None = None,
        pacer: Pacer | None = None,
        settings: Settings | None = None,
        workspace: Workspace | None = None,
    ) -> Services:
        """Every domain service, wired to Slack through the notifier and the directory (on
        ``db``, ``pacer`` and ``settings``, a workspace's own, or by default the app's).

        Only wiring: the settings build every policy (see :class:`bot.config.Settings`).
        """
        settings, clock, background = settings or self.settings, self.clock, self.background
        db, pacer = db or self.db, pacer or self.pacer
        if db is None or self.association is None:
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
        # PEER_COORDINATORS and PEER_ADMINISTRATORS name people of one workspace: in distribution
        # mode each workspace's come from its own database (its installer first, see installed()).
        single = not settings.distribution
        roles = Roles(
            settings.peer_coordinators if single else (),
            db=db,
            clock=clock,
            homes=homes,
            administrators=settings.peer_administrators if single else (),
        )
        training = settings.training_policy()
        deliveries = Deliveries(
            db=db, clock=clock, policy=settings.delivery_policy(), observer=self.metrics, pacer=pacer
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
            pacer=pacer,
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
            office_settings=OfficeSettingsService(
                db=db,
                clock=clock,
                roles=roles,
                defaults=self.settings.office_defaults(),
                check=self.settings.office_errors,
                rebuild=lambda: self._rebuild(workspace),
            ),
            association=self.association,
        )
        register_jobs(services, replay_click=self._replay)
        return services

    async def _replay(self, args: Mapping[str, Any]) -> None:
        """A click the web role acked: its listener runs here, through this worker's Bolt app
        (``later`` then does its work in this process; the click's team picks the office)."""
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

    async def _recover(self, office: Office) -> None:
        s = office.services
        await s.requests.recover()
        await s.relay.recover()
        await self._sweep(office)
        await s.deliveries.recover()
        await s.checkins.recover()
        if self.jobs is not None:  # (an office opened by a request before the jobs started: they will)
            await self.jobs.run_deliveries()

    async def sweep(self) -> None:
        """What the periodic job runs, for every open workspace: expire offers, route waiting
        requests, find lapsing training, purge (a web process only follows its offices' settings
        changed elsewhere)."""
        if self.workspaces is not None:
            if self.settings.distribution and self.role.works:
                # A workspace installed since this process started (through another process, the
                # web one) has a database now: its work is this process's too.
                try:
                    keys = await workspace_keys(self.settings.database_url)
                    await self.workspaces.open_all(Workspace.from_key(key) for key in keys)
                except Exception as exc:  # noqa: BLE001 - logged; the next sweep tries again
                    log.error("sweep: looking for new workspaces failed: %s", failure(exc))
            await self.workspaces.each("sweep", self._sweep)
        if self.installations is not None and self.role.works:
            # Once a sweep, not once an office: the deployment's departures, each forgotten once.
            try:
                await self.installations.forget_departed(self.workspace_data)
            except Exception as exc:  # noqa: BLE001 - logged; the next sweep tries again
                log.error("sweep: departed workspaces failed: %s", failure(exc))

    async def _follow_settings(self, office: Office) -> bool:
        """The office's settings changed on another instance (or process): this one follows now."""
        async with office.db.read() as tx:
            changed = await tx.office_settings.values() != office.settings
        if changed:
            await self._rebuild(office.workspace)
        return changed

    async def _sweep(self, office: Office) -> None:
        if await self._follow_settings(office) or not self.role.works:
            return  # (rebuilt: the new services sweep next time; a web process only follows)
        await office.db.checkpoint_passive()
        s = office.services
        parts: tuple[tuple[str, Callable[[], Awaitable[object]]], ...] = (
            ("routing", s.requests.sweep),
            ("relay", s.relay.sweep),
            ("training reminders", s.reminders.schedule_due),
            ("reachability", s.roster.check_reachable),
            ("retention", s.tracking.purge),
            ("stalled check-ins", s.checkins.retry_stalled),
            ("quarter figures", lambda: s.reports.freeze_last_closed(s.hours.today(s.clock.now()))),
        )
        for name, part in parts:
            # Each part on its own: one that fails (a bad row, Slack down) never stops the others,
            # the purge above all.
            try:
                await part()
            except Exception as exc:  # noqa: BLE001 - logged; the next sweep tries again
                log.error("sweep: %s failed: %s", name, failure(exc))

    async def deliver_due(self) -> int:
        """What the delivery job runs: send the check-ins and reminders that are due, in every
        open workspace (each at its own pace; one failing never holds up another)."""
        if self.workspaces is None or not self.role.works:
            return 0
        sent = await self.workspaces.each("deliveries", lambda o: o.services.deliveries.deliver_due())
        return sum(n for n in sent if isinstance(n, int))

    async def _next_due(self) -> datetime | None:
        if self.workspaces is None or not self.role.works:
            return None
        return await self.workspaces.earliest(lambda office: office.services.deliveries.next_due_at())

    async def _healthy(self) -> bool:
        return self.db is not None and await self.db.ping()

    async def stop(self, *, drain: bool = True) -> None:
        """Stop accepting (answering the requests under way), stop claiming scheduled messages,
        finish the work in hand (or, past :data:`DRAIN_SECONDS`, cancel it), close storage."""
        workers, self._workers = list(self._workers.values()), {}
        for loop in workers:
            await loop.stop()
        if self.jobs is not None:
            self.jobs.shutdown()
            self.jobs = None
        for office in self.workspaces.opened() if self.workspaces is not None else ():
            office.services.deliveries.request_stop()
        if self._socket_handler is not None:
            await self._socket_handler.close_async()  # type: ignore[attr-defined]
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if drain:
            await self.background.drain(timeout=DRAIN_SECONDS)
        await self.background.cancel_all()
        if self.workspaces is not None:
            await self.workspaces.close()
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self.db is not None:
            await self.db.close()
            self.db = None


def _office_key(office: Office) -> str:
    return "workspace " + (office.workspace.key if office.workspace else "(single)")


async def _close_office(office: Office) -> None:
    office.services.deliveries.request_stop()
    await office.db.close()


def _starter(requests: RequestService) -> Callable[[int], Awaitable[object]]:
    async def start(request_id: int) -> None:
        await requests.start(request_id=request_id)

    return start


def _waker(handoff: Handoff) -> Callable[[Iterable[int]], Awaitable[None]]:
    """The web role's "send these notices now": they are stored; wake the worker to send them."""

    async def wake(_: Iterable[int]) -> None:
        handoff.wake()

    return wake


def lower_priority(nice: int) -> None:
    """Lower this process's CPU priority by ``nice`` (the worker role's, so that on a shared
    machine a web process's acks are scheduled before deliveries and incident preparation)."""
    if nice <= 0 or not hasattr(os, "nice"):
        return
    try:
        now = os.nice(nice)
    except OSError as error:  # a platform that refuses: the worker still works, at normal priority
        log.warning("could not lower the worker's CPU priority: %s", error)
        return
    log.info("worker: CPU priority lowered by %d (nice %d)", nice, now)


def freeze_startup_objects() -> int:
    """Exempt everything made so far (modules, the app, its listeners and models) from the cyclic
    garbage collector's full passes; returns how many objects that is.

    Made once and kept for the process's life, they are a few hundred thousand objects that every
    full (generation 2) collection would walk again: measured at 40-140 ms a pass in the web
    process, an ack that lands in one waits for it. Frozen, a full pass walks only what came since.
    """
    gc.collect()  # what start-up left as garbage is not kept for good
    gc.freeze()
    return gc.get_freeze_count()


async def serve(settings: Settings, role: ProcessRole = ProcessRole.BOTH) -> None:
    """Run until SIGTERM or SIGINT, then stop cleanly (finishing work already under way)."""
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    if role is ProcessRole.WORKER:
        lower_priority(settings.peer_worker_nice)
    app = PeerSupportApp(settings, role=role)
    await app.start()
    log.info("started: %d objects exempt from full garbage collections", freeze_startup_objects())
    try:
        await stopping.wait()
    finally:
        log.info("stopping: no new connections; finishing the work in hand")
        await app.stop()
        log.info("stopped")
