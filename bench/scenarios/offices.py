"""Issue 21, part 3: one office's big incident never slows another office's ``/peer``.

One deployment (``python -m bot`` in distribution mode) serves two offices, A (T111) and B (T222),
each installed (its installation sealed in the deployment's database, as the OAuth flow stores it)
with a database of its own. Office B's ``/peer`` is sent open loop at a steady rate and each ack
timed: first with office A idle, then while A's coordinator submits an incident naming a channel of
thousands (A prepares its check-ins: looks people up, stores each person's first) and while A's
first check-ins go out and its second step is stored, all in the same process. Run on SQLite (a
file per office) and, with ``BENCH_POSTGRES_URL`` set, on PostgreSQL (a schema per office, a write
lock per schema).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from bench.client import fetch
from bench.harness import Bench
from bench.procs import Server, start_app, start_bench_server
from bench.report import Column, Row, Section, Target
from bench.scenarios.scheduling import CHANNEL, Control, PeerLoad, person
from bench.slack import RequestBuilder, is_empty_ack
from bench.stats import percentile
from bot.clock import SystemClock
from bot.installations import Installations
from bot.tenancy import Workspace
from handlers.incidents.blocks import incident_modal
from slack_standin.driver import SIGNING_SECRET, TOKEN
from storage.db import Database, drop_database, workspace_database_url
from storage.migrations import DEPLOYMENT_MIGRATIONS, OFFICE_MIGRATIONS
from storage.models import IncidentKind, IncidentState, InstallationRecord

A, B = Workspace(team_id="T111"), Workspace(team_id="T222")
TOKEN_B = "xoxb-bench-office-b"
COORDINATOR_A, COORDINATOR_B = "UCOORDA", "UCOORDB"
ENCRYPTION_KEY = "YmVuY2gtb2ZmaWNlcy1mZXJuZXQta2V5LTMyYnl0ZXM="
ALONE_SECONDS = 3.0
# The stand-in plays Slack, whose servers are not on the deployment's machine: at a lower priority
# its own work for A (2,000 posts, the directory's pages) yields these cores to the deployment
# under test. It still answers every call; the load generator timing B stays at normal priority.
STANDIN_NICE = 10
TIMEOUT = 240.0
# Six steps, the second an hour after the first: each later step is stored an hour before its time
# (bot.checkins.STORED_AHEAD), so the second step's 2,000 rows are stored as the first check-ins
# start going out. Every write A makes for its incident falls inside a measured phase.
PLAN = "1s,1h,3d,7d,14d,30d"
# How often the benchmark asks the stand-in whether A's phase is over, in every phase alike: with A
# idle too (asking for A's coordinator's DMs, still none), so the watching costs the cores the same
# in each phase. Before, it asked only while A worked, every 10 ms while A prepared (as many
# requests as B's /peer) and every 100 ms while A delivered: load that came with A's phases, not
# from A.
WATCH_SECONDS = 0.02


def app_env(api_url: str, db_url: str, rate: float) -> dict[str, str]:
    """Distribution mode: no bot token of the deployment's own; installations in ``db_url``."""
    return {
        "SLACK_CLIENT_ID": "1111.2222",
        "SLACK_CLIENT_SECRET": "bench-client-secret",
        "SLACK_STATE_SECRET": "bench-state-secret",
        "PEER_ENCRYPTION_KEY": ENCRYPTION_KEY,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": api_url,
        "DATABASE_URL": db_url,
        "PEER_SERVICE_HOURS": "any",
        "PEER_CHECKIN_OFFSETS": PLAN,
        "PEER_CHECKIN_HOURS": "any",
        "PEER_CHECKIN_RATE": f"{rate:g}",
        "PEER_SWEEP_SECONDS": "1",
        "LOG_LEVEL": "INFO",
    }


@dataclass(frozen=True)
class InstalledOffice:
    """An office of the benchmark: its workspace, its bot token, its installer (first coordinator)."""

    workspace: Workspace
    token: str
    installer: str


OFFICES = (InstalledOffice(A, TOKEN, COORDINATOR_A), InstalledOffice(B, TOKEN_B, COORDINATOR_B))


async def install(db_url: str, offices: Sequence[InstalledOffice] = OFFICES) -> None:
    """Each office installed as the OAuth flow leaves it: the installation (tokens sealed) in the
    deployment's database, and the office's own database with its installer as coordinator."""
    now = datetime.now(UTC)
    deployment = await Database.open(db_url, migrations=DEPLOYMENT_MIGRATIONS)
    try:
        store = Installations(
            db=deployment, clock=SystemClock(), key=ENCRYPTION_KEY, grace=timedelta(days=30)
        )
        for office in offices:
            await store.save(
                InstallationRecord(
                    enterprise_id=None,
                    team_id=office.workspace.team_id,
                    user_id=office.installer,
                    is_enterprise_install=False,
                    bot_id="B0BENCH",
                    bot_user_id="UBOT",
                    bot_scopes=("commands", "chat:write"),
                    bot_token=office.token,
                    installed_at=now,
                )
            )
            database = await Database.open(
                workspace_database_url(db_url, office.workspace.key), migrations=OFFICE_MIGRATIONS
            )
            try:
                async with database.transaction() as tx:
                    await tx.roles.add_coordinator(office.installer, added_by=office.installer, now=now)
            finally:
                await database.close()
    finally:
        await deployment.close()


async def steps_stored(db_url: str) -> int:
    """How many steps of office A's incident are stored (read from A's database)."""
    database = await Database.open(workspace_database_url(db_url, A.key), migrations=OFFICE_MIGRATIONS)
    try:
        async with database.read() as tx:
            [incident] = await tx.incidents.incidents_in([IncidentState.OPEN])
        return incident.steps_stored
    finally:
        await database.close()


# Each run makes and drops a schema per office and the deployment's (some 150 tables and indexes):
# thousands of dead catalog rows. A normal server's autovacuum clears them; with it off (as on the
# machine of the README's figures) they pile up run after run, and every lookup of a table pays for
# them (B's p99 grew run by run, A idle as much as busy). So each run starts by vacuuming the
# catalogs the last one filled, outside what is measured, as autovacuum would.
CATALOGS = (
    "pg_attribute",
    "pg_depend",
    "pg_class",
    "pg_index",
    "pg_type",
    "pg_constraint",
    "pg_namespace",
    "pg_attrdef",
    "pg_sequence",
    "pg_statistic",
)


CHECKPOINT_REFUSED = (
    "offices: this role may not CHECKPOINT (superuser or pg_checkpoint); a timed checkpoint may fall"
    " inside a run and slow it"
)


async def drop(db_url: str, offices: Sequence[InstalledOffice] = OFFICES) -> None:
    """Every office's database, then (PostgreSQL) the deployment's schema."""
    for office in offices:
        await drop_database(workspace_database_url(db_url, office.workspace.key))
    if db_url.startswith("postgresql"):
        await drop_database(db_url)


async def settle(db_url: str) -> None:
    """Before a run on PostgreSQL: the catalogs vacuumed and a checkpoint taken, so each run
    starts alike (outside what is measured)."""
    if not db_url.startswith("postgresql"):
        return
    import asyncpg

    parts = urlsplit(db_url)
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query) if k != "schema"])
    conn = await asyncpg.connect(urlunsplit(parts._replace(query=query)))
    try:  # a role that may not vacuum the catalogs is only warned, and the run goes on
        await conn.execute("VACUUM " + ", ".join(f"pg_catalog.{name}" for name in CATALOGS))
        # The server checkpoints every checkpoint_timeout (5 minutes by default). One starting
        # inside a run made that run's every write log whole pages again: A's preparation took
        # 0.6 s instead of 0.3, with B's acks slow all through it. The server's cycle, not A's
        # doing; one taken here restarts the cycle, so none starts within the run.
        try:
            await conn.execute("CHECKPOINT")
        except asyncpg.InsufficientPrivilegeError:
            print(CHECKPOINT_REFUSED, file=sys.stderr, flush=True)
    finally:
        await conn.close()


@dataclass
class RunFigures:
    """One run: office B's acks in each phase, and office A's incident's timings."""

    acks: dict[str, list[float]] = field(default_factory=dict)
    incident: dict[str, float] = field(default_factory=dict)


AGAIN = "A idle, again"
PHASES = ("A idle", AGAIN, "A preparing its incident", "A delivering its check-ins")
# How the deployment runs: as one process (``python -m bot``), or as the Procfile runs it (a web
# process answering Slack, a worker process doing everything after the ack).
TOPOLOGIES: dict[str, tuple[str | None, ...]] = {
    "one process": (None,),
    "web + worker": ("web", "worker"),
}


async def one_run(bench: Bench, backend: str, db_url: str, topology: str, run: int) -> RunFigures:
    """Fresh processes: the stand-in knowing both workspaces, the app serving both offices."""
    sizes = bench.sizes
    workdir = bench.workdir / f"offices-{backend}-{topology.replace(' ', '')}-{run}"
    workdir.mkdir(parents=True, exist_ok=True)
    people = [person(i) for i in range(sizes.incident_people)]
    figures = RunFigures()
    await settle(db_url)
    await install(db_url)
    standin: Server | None = None
    apps: list[Server] = []
    try:
        standin = await start_bench_server(
            "standin",
            workdir,
            max_seconds=sizes.max_seconds,
            extra=["--team", f"{B.team_id}:{TOKEN_B}", "--nice", str(STANDIN_NICE)],
        )
        control = Control(standin.info["control_port"])
        await control.load_directory(people)
        env = app_env(standin.info["url"], db_url, sizes.checkin_rate)
        for role in TOPOLOGIES[topology]:
            apps.append(await start_app(workdir, env, log_name=f"{role or 'app'}.log", role=role))
        app = apps[0]  # the one answering Slack
        builder_a = RequestBuilder(standin.info["url"], app.port)
        builder_b = RequestBuilder(standin.info["url"], app.port)
        builder_b.team = {"id": B.team_id, "domain": "office-b"}

        def load(tag: str) -> PeerLoad:
            return PeerLoad(
                app.port, lambda n: builder_b.command_bytes(f"UB{tag}{n:05d}"), sizes.peer_load_rate
            )

        async def measure(label: str, stop: asyncio.Event, *, count: int | None = None) -> None:
            peer = load(f"{label[:1].upper()}{run}")
            latencies: list[float] = []
            try:
                await peer.run(stop, latencies, count=count)
            finally:
                await peer.close()
            if peer.failures:
                raise RuntimeError(
                    f"office B's /peer {label}: {peer.failures} bad acks: {peer.first_failure}"
                )
            figures.acks[label] = latencies

        async def watch_idle(done: asyncio.Event) -> None:
            while not done.is_set():
                if await control.get(f"/posts?channel={COORDINATOR_A}"):
                    raise RuntimeError("office A's coordinator had a DM before A did anything")
                await asyncio.sleep(WATCH_SECONDS)

        bench.progress(f"offices ({backend}, {topology}) run {run + 1}: office B alone")
        idle = asyncio.Event()
        watcher = asyncio.get_running_loop().create_task(watch_idle(idle))
        try:
            await measure("warm-up", asyncio.Event(), count=int(sizes.peer_load_rate))
            await measure("A idle", asyncio.Event(), count=int(sizes.peer_load_rate * ALONE_SECONDS))
            # The same again, nothing changed: how far B's p99 moves by itself (the measurement's noise).
            await measure(AGAIN, asyncio.Event(), count=int(sizes.peer_load_rate * ALONE_SECONDS))
        finally:
            idle.set()
            await watcher
        bench.progress(
            f"offices ({backend}, {topology}) run {run + 1}: office A's incident of {len(people):,}"
        )
        today = datetime.now(UTC).date()
        view = {
            **incident_modal(plans=dict.fromkeys(IncidentKind, PLAN), today=today.isoformat()),
            "id": "V00000009",
            "hash": "1.h",
        }
        values = {
            "incident_kind": "critical_incident",
            "incident_name": "Courthouse shooting",
            "incident_date": (today - timedelta(days=1)).isoformat(),
            "incident_people": [],
            "incident_channel": CHANNEL,
        }
        submission = await builder_a.view_submission_bytes(COORDINATOR_A, view, values)
        sent = time.monotonic()
        status, body = await fetch(app.port, submission)
        figures.incident["ack_ms"] = (time.monotonic() - sent) * 1000
        if not is_empty_ack(status, body):
            raise RuntimeError(f"office A's incident submission failed: {status} {body[:300]!r}")
        # Timed from A's ack: what is measured is A's incident being prepared, not the web process
        # answering A's submission itself (one request among B's, as any office's would be).
        preparing = asyncio.Event()
        loader = asyncio.get_running_loop().create_task(measure("A preparing its incident", preparing))
        while not (summary := await control.get(f"/posts?channel={COORDINATOR_A}")):
            if time.monotonic() - sent > TIMEOUT:
                raise TimeoutError("office A's incident was not prepared in time")
            await asyncio.sleep(WATCH_SECONDS)
        preparing.set()
        await loader
        figures.incident["prepared_s"] = summary[0] - sent
        delivering = asyncio.Event()
        loader = asyncio.get_running_loop().create_task(measure("A delivering its check-ins", delivering))
        while (seen := await control.get("/checkins"))["delivered"] < len(people):
            if time.monotonic() - sent > TIMEOUT:
                raise TimeoutError(f"{seen['delivered']} of {len(people)} of office A's check-ins in time")
            await asyncio.sleep(WATCH_SECONDS)
        delivering.set()
        await loader
        figures.incident["delivered_s"] = seen["last_at"] - sent
        figures.incident["delivered"] = float(seen["delivered"])
        if (stored := await steps_stored(db_url)) != 2:
            raise RuntimeError(f"office A's incident has {stored} steps stored, not 2, after its deliveries")
        return figures
    finally:
        for server in [*apps, standin]:
            if server is not None:
                await server.stop()
        await drop(db_url)


def idle_windows(runs: Sequence[RunFigures], phase: str, draws: int = 2000) -> str:
    """The phase's pooled p99 against the same p99 of B's acks with A idle, taken in windows as
    long as the phase was in each run (as many acks), drawn at random: how far the p99 of so few
    acks moves with nothing happening. A short phase's p99 is nearly its maximum, so one burst of
    slow acks that has nothing to do with A (they come with A idle too) can decide it."""
    actual = percentile([ms for r in runs for ms in r.acks[phase]], 99)
    pick = random.Random(21)  # the same draws every time, for a figure that can be checked
    found = []
    for _ in range(draws):
        pooled: list[float] = []
        for r in runs:
            idle = r.acks[pick.choice(("A idle", AGAIN))]
            n = min(len(r.acks[phase]), len(idle))
            start = pick.randrange(len(idle) - n + 1)
            pooled += idle[start : start + n]
        found.append(percentile(pooled, 99))
    found.sort()
    top = found[int(0.95 * (len(found) - 1))]
    return (
        f"B's pooled p99 {actual:.2f} ms; windows of B's acks with A idle, as many per run"
        f" ({draws:,} draws): median {found[len(found) // 2]:.2f} ms, 95th percentile {top:.2f} ms"
        f" ({'within' if actual <= top else 'beyond'} it)."
    )


def backends(bench: Bench, name: str = "offices") -> list[tuple[str, str]]:
    """SQLite always; PostgreSQL when ``BENCH_POSTGRES_URL`` names a database."""
    found = [("SQLite", f"sqlite:///{bench.workdir / name / 'deployment.db'}")]
    (bench.workdir / name).mkdir(parents=True, exist_ok=True)
    postgres = os.environ.get("BENCH_POSTGRES_URL", "")
    if postgres:
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        found.append(("PostgreSQL", f"{postgres}{'&' if '?' in postgres else '?'}schema={schema}"))
    return found


async def run(bench: Bench) -> list[Section]:
    """Each backend, ``runs`` times, on fresh processes and databases."""
    sizes = bench.sizes
    section = Section(
        "offices",
        "Office B's /peer ack while office A prepares and delivers a big incident (issue 21, part 3)",
        [
            Column("requests", "n", "{:.0f}"),
            Column("p50_ms", "p50 ms"),
            Column("p99_ms", "p99 ms"),
            Column("max_ms", "max ms"),
            Column("seconds", "A's phase s", "{:.1f}"),
        ],
    )
    for (backend, db_url), topology in itertools.product(backends(bench), TOPOLOGIES):
        where = f"{backend}, {topology}"
        runs = []
        for r in range(sizes.runs):
            try:
                runs.append(await one_run(bench, backend, db_url, topology, r))
            except TimeoutError as exc:
                # Said in the report rather than losing the other runs' figures.
                section.notes.append(f"{where}, run {r + 1}: {exc} ({TIMEOUT:.0f} s); left out.")
        if not runs:
            continue
        for phase, seconds in zip(PHASES, (None, None, "prepared_s", "delivered_s"), strict=True):
            figures = []
            for one in runs:
                latencies = one.acks[phase]
                entry = {
                    "requests": float(len(latencies)),
                    "p50_ms": percentile(latencies, 50),
                    "p99_ms": percentile(latencies, 99),
                    "max_ms": max(latencies),
                }
                if seconds is not None:
                    before = one.incident["prepared_s"] if seconds == "delivered_s" else 0.0
                    entry["seconds"] = one.incident[seconds] - before
                figures.append(entry)
            section.rows.append(Row(f"{where}: office B's /peer, {phase}", figures))
        acks = sorted(one.incident["ack_ms"] for one in runs)
        section.notes.append(
            f"{where}: A's incident submission acked in {acks[len(acks) // 2]:.0f} ms (median)."
        )
        # One preparation lasts half a second to two (some 30-250 acks): its p99 in one run is nearly
        # its maximum. So the ratios pool every run's acks of a phase, then take the p99.
        pooled = {phase: [ms for r in runs for ms in r.acks[phase]] for phase in PHASES}
        idle = percentile(pooled["A idle"], 99)
        section.notes.append(
            f"{where}: B's /peer ack p99 (all runs), A idle again ÷ A idle (nothing changed):"
            f" {percentile(pooled[AGAIN], 99) / idle:.2f}×, the measurement's own noise."
        )
        for phase in PHASES[2:]:
            ratio = percentile(pooled[phase], 99) / idle
            name = f"{where}: B's /peer ack p99 (all runs), {phase}, ÷ A idle"
            if TOPOLOGIES[topology] == (None,):
                # One event loop serves both offices: no target (see the note), the figure stays.
                section.notes.append(f"{name}: {ratio:.2f}×.")
            else:
                section.targets.append(Target(name, ratio, 1.5, "×"))
                section.notes.append(f"{where}: {phase}: {idle_windows(runs, phase)}")
    section.notes += [
        f"One deployment (distribution mode) serving two offices, each with its own database; office A's"
        f" incident names a channel of {sizes.incident_people:,} people, a plan of six check-ins ({PLAN}:"
        f" the first due 1 s after it is stored; each later step stored an hour before its time, so the"
        f" second's rows as the first go out), delivered at up to PEER_CHECKIN_RATE={sizes.checkin_rate:g}/s"
        f" against the stand-in's limits ({sizes.post_limits}). Office B's /peer: open loop,"
        f" {sizes.peer_load_rate:g}/s from distinct people, each opening the request modal.",
        "'Preparing': from the ack of A's submission to A's coordinator's summary DM (people looked up,"
        " each one's first check-in stored). 'Delivering': from then until A's last first check-in landed"
        " (A's second step stored at its start). 'Within noise': B's p99 at most 1.5× its p99 with A idle"
        " (same processes, every run's acks of a phase pooled).",
        "Targets are for the Procfile's shape, web + worker (the worker at PEER_WORKER_NICE=10), which is"
        " how the README says to run a deployment for many offices: B's acks are the web process's, A's"
        " preparation and deliveries the worker's. In one process both offices share one event loop, so"
        " A's work delays B's acks by whatever it holds the loop for: shown, with no target.",
        f"The stand-in (playing Slack, whose servers are elsewhere) runs at nice {STANDIN_NICE}, so its own"
        " work for A's posts and directory pages yields the cores to the deployment; the PostgreSQL"
        " server, when used, shares the same cores at normal priority. It runs without Python's cyclic"
        " garbage collector (in every scenario): it keeps every call it answers, and full collections"
        " over them paused it for up to 0.7 s, which Slack's servers do not.",
    ]
    return [section]
