"""Issue 21, part 3: the throughput of two instances against one, over several offices.

One deployment (distribution mode) serves four offices, each installed with a database of its own
(then, for comparison, one office alone takes all the requesters).
An *instance* is the Procfile's pair, ``python -m bot web`` and ``python -m bot worker``; two
instances are two such pairs on the same databases, the requests spread across their web
processes as a load balancer would. In every office, closed-loop requesters each submit the
request modal (naming their own supporter as "ask first") and send the next one once its offer DM
has landed at the stand-in: the time from the first submission to the last offer is the run's
throughput, end to end. Run on SQLite (a file per office, every instance on the same files) and,
with ``BENCH_POSTGRES_URL`` set, on PostgreSQL (a schema per office, a write lock per schema).
"""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass, field

from bench.client import Connection, fetch
from bench.harness import Bench
from bench.procs import Server, start_app, start_bench_server
from bench.report import Column, Row, Section
from bench.scenarios.offices import InstalledOffice, app_env, backends, drop, install, settle
from bench.slack import RequestBuilder, StandInWatch, is_empty_ack
from bench.stats import latency_summary, median
from bot.tenancy import Workspace
from slack_standin.driver import TOKEN

OFFICES = tuple(
    InstalledOffice(Workspace(team_id=f"T4{n:02d}"), TOKEN if n == 0 else f"xoxb-bench-{n}", f"UCOORD{n}")
    for n in range(4)
)
REQUESTERS = 24  # at once, spread evenly over the offices
# (offices, instances): four offices on one instance, then on two; then all the requesters in one
# office, so that a lock the offices shared would show as four offices doing no better than one.
SHAPES = ((4, 1), (4, 2), (1, 1))
OFFER_TIMEOUT = 60.0


def supporter(office: int, requester: int) -> str:
    """The supporter that requester ``requester`` of office ``office`` names as 'ask first'."""
    return f"US{office}R{requester:02d}"


@dataclass
class RunFigures:
    """One run of one shape."""

    seconds: float = 0.0
    e2e_ms: list[float] = field(default_factory=list)
    ack_ms: list[float] = field(default_factory=list)


async def start_instances(bench: Bench, workdir: str, env: dict[str, str], count: int) -> list[Server]:
    """``count`` pairs of web and worker processes; the web processes first in the list."""
    path = bench.workdir / workdir
    webs = [await start_app(path, env, log_name=f"web{i}.log", role="web") for i in range(count)]
    workers = [await start_app(path, env, log_name=f"worker{i}.log", role="worker") for i in range(count)]
    return webs + workers


async def add_rosters(builders: list[RequestBuilder], port: int, per_office: int) -> None:
    """Each office's coordinator puts its requesters' supporters on its roster."""
    for n, builder in enumerate(builders):
        mentions = " ".join(f"<@{s}|{s.lower()}>" for s in (supporter(n, r) for r in range(per_office)))
        raw = await builder.command_bytes(OFFICES[n].installer, f"roster add {mentions} trained 2026-01-15")
        status, body = await fetch(port, raw)
        if status != 200 or b"Added" not in body:
            raise RuntimeError(f"roster add in office {n} failed: {status} {body[:200]!r}")


async def one_run(bench: Bench, backend: str, db_url: str, shape: tuple[int, int], run: int) -> RunFigures:
    """Fresh processes and databases; every requester's submissions, each waiting for its offer."""
    sizes = bench.sizes
    offices, count = shape
    installed = OFFICES[:offices]
    per_office = REQUESTERS // offices
    name = f"instances-{backend}-{offices}x{count}-{run}"
    (bench.workdir / name).mkdir(parents=True, exist_ok=True)
    per_requester = max(1, sizes.e2e_requests // REQUESTERS)
    figures = RunFigures()
    await settle(db_url)
    await install(db_url, installed)
    servers: list[Server] = []
    try:
        teams = [f"{o.workspace.team_id}:{o.token}" for o in installed if o.token != TOKEN]
        standin = await start_bench_server(
            "standin",
            bench.workdir / name,
            max_seconds=sizes.max_seconds,
            extra=[arg for team in teams for arg in ("--team", team)],
        )
        servers.append(standin)
        env = {
            **app_env(standin.info["url"], db_url, sizes.checkin_rate),
            "PEER_SUPPORTER_CAPACITY": "1000000",
            "PEER_SWEEP_SECONDS": "15",  # the default: the sweep is the safety net, not the path
        }
        servers += await start_instances(bench, name, env, count)
        webs = servers[1 : 1 + count]
        builders = []
        for office in installed:
            builder = RequestBuilder(standin.info["url"], webs[0].port)
            builder.team = {"id": office.workspace.team_id, "domain": office.workspace.team_id.lower()}
            builders.append(builder)
        await add_rosters(builders, webs[0].port, per_office)
        # Every submission signed before the clock starts.
        work = {
            (n, r): [
                await builders[n].submission_bytes(f"UQ{n}R{r:02d}X{run}N{k:04d}", preferred=supporter(n, r))
                for k in range(per_requester)
            ]
            for n, r in itertools.product(range(offices), range(per_office))
        }
        watch = StandInWatch(standin.info["control_port"])
        await watch.check_clock()

        async def requester(key: tuple[int, int], port: int, queue: asyncio.Queue[float]) -> None:
            conn = await Connection.open(port)
            try:
                for raw in work[key]:
                    sent = time.monotonic()
                    status, body = await conn.request(raw)
                    figures.ack_ms.append((time.monotonic() - sent) * 1000)
                    if not is_empty_ack(status, body):
                        raise RuntimeError(f"submission failed: {status} {body[:200]!r}")
                    arrived = await asyncio.wait_for(queue.get(), OFFER_TIMEOUT)
                    figures.e2e_ms.append((arrived - sent) * 1000)
            finally:
                await conn.close()

        bench.progress(f"instances ({backend}) run {run + 1}: {offices} office(s), {count} instance(s)")
        async with watch.offers() as queues:
            start = time.perf_counter()
            await asyncio.gather(
                *(
                    # Requesters spread over the web processes, as a load balancer would.
                    requester(key, webs[i % count].port, queues[supporter(*key)])
                    for i, key in enumerate(work)
                )
            )
            figures.seconds = time.perf_counter() - start
        return figures
    finally:
        for server in reversed(servers):
            await server.stop()
        await drop(db_url, installed)


def label(backend: str, shape: tuple[int, int]) -> str:
    """A row's label: the backend, the offices, the instances."""
    offices, count = shape
    return (
        f"{backend}: {offices} office{'s' if offices > 1 else ''},"
        f" {count} instance{'s' if count > 1 else ''} (web + worker each)"
    )


async def run(bench: Bench) -> list[Section]:
    """Each backend, each shape, ``runs`` times each on fresh processes and databases."""
    sizes = bench.sizes
    section = Section(
        "instances",
        "Two instances against one, and four offices against one: requests end to end (issue 21, part 3)",
        [
            Column("requests", "n", "{:.0f}"),
            Column("rps", "requests/s", "{:.1f}"),
            Column("e2e_p50_ms", "e2e p50 ms"),
            Column("e2e_p99_ms", "e2e p99 ms"),
            Column("ack_p50_ms", "ack p50 ms"),
            Column("ack_p99_ms", "ack p99 ms"),
        ],
    )
    for backend, db_url in backends(bench, "instances"):
        throughput: dict[tuple[int, int], float] = {}
        for shape in SHAPES:
            figures = []
            for r in range(sizes.runs):
                one = await one_run(bench, backend, db_url, shape, r)
                e2e = latency_summary(one.e2e_ms, one.seconds)
                acks = latency_summary(one.ack_ms, one.seconds)
                figures.append(
                    {
                        "requests": float(len(one.e2e_ms)),
                        "rps": e2e["rps"],
                        "e2e_p50_ms": e2e["p50_ms"],
                        "e2e_p99_ms": e2e["p99_ms"],
                        "ack_p50_ms": acks["p50_ms"],
                        "ack_p99_ms": acks["p99_ms"],
                    }
                )
            section.rows.append(Row(label(backend, shape), figures))
            throughput[shape] = median([f["rps"] for f in figures])
        section.notes.append(
            f"{backend}, requests a second end to end: two instances ÷ one (four offices)"
            f" {throughput[(4, 2)] / throughput[(4, 1)]:.2f}×; four offices ÷ one office (one instance,"
            f" the same {REQUESTERS} requesters) {throughput[(4, 1)] / throughput[(1, 1)]:.2f}×."
        )
    section.notes += [
        f"{REQUESTERS} requesters at once, spread evenly over the offices, closed loop: each sends its next"
        " submission once the offer DM of its last one landed at the stand-in (end to end: from sending"
        " the submission to the stand-in receiving the offer DM). PEER_SWEEP_SECONDS=15 (the default).",
        "No target: the figures show whether a second instance adds capacity, and whether the offices'"
        " work serializes on something they share (then four offices would do no better than one). On"
        " this machine's two cores the stand-in and the load generator take CPU too.",
    ]
    return [section]
