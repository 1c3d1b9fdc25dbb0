"""Parts 1, 2 and 6: ack latency and throughput against the floors, end to end, memory.

Every run starts fresh processes: the Slack stand-in, the real app as one process
(``python -m bot`` on a new SQLite file), the app as two (``python -m bot web`` and
``python -m bot worker`` sharing another SQLite file), a bare Bolt app that only acks (as the
app is configured, and with Bolt's default polling), the same Bolt app storing each submission
with one durable insert before its ack, and a bare aiohttp handler. The load generator, in this
process, sends pre-signed requests from keep-alive connections in a closed loop.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bench.client import Connection, closed_loop, fetch
from bench.harness import Bench, Sizes
from bench.procs import Server, start_app, start_bench_server
from bench.report import Column, Row, Section, Target
from bench.slack import COORDINATOR, RequestBuilder, StandInWatch, is_empty_ack
from bench.stats import latency_summary, percentile
from slack_standin.driver import SIGNING_SECRET, TOKEN

# Who answers: the app, and the floors it is compared with.
TARGETS = ("http", "bolt", "bolt-insert", "app", "web", "bolt-polling")
LABELS = {
    "http": "aiohttp floor",
    "bolt": "Bolt floor",
    "bolt-insert": "Bolt + one insert floor",
    "app": "app (one process)",
    "web": "web role (worker apart)",
    "bolt-polling": "Bolt floor, default polling",
}
# The real app's two shapes: their after-ack work is waited for, and they are compared with the floors.
APPS = ("app", "web")
FLOORS = {"bolt": "bolt", "http": "http", "bolt-insert": "insert"}
KINDS = {"command": "/peer (opens the modal)", "submission": "modal submission"}
# What the app does after each kind of request has been acked, as the stand-in counts it.
EFFECT = {"command": "views.open", "submission": "offers"}
DRAIN_TIMEOUT = 120.0
OFFER_TIMEOUT = 10.0


@dataclass
class RunFigures:
    """The figures of one run of the whole HTTP suite."""

    ack: dict[tuple[str, str, int], dict[str, float]] = field(default_factory=dict)
    e2e: dict[tuple[str, int], dict[str, float]] = field(default_factory=dict)
    memory: dict[str, dict[str, float]] = field(default_factory=dict)


def app_env(api_url: str, db_url: str) -> dict[str, str]:
    """The app's settings: the stand-in, a fresh database, open all hours, no periodic sweep.

    Capacity is large so that thousands of requests never fill the roster (every request
    must end in an offer DM, which the run waits for); the sweep would retry every open
    request, which a real office never has thousands of.
    """
    return {
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": api_url,
        "DATABASE_URL": db_url,
        "PEER_COORDINATORS": COORDINATOR,
        "PEER_SERVICE_HOURS": "any",
        "PEER_SUPPORTER_CAPACITY": "1000000",
        "PEER_SWEEP_SECONDS": "3600",
        "LOG_LEVEL": "INFO",
    }


def e2e_supporter(concurrency: int, worker: int) -> str:
    """The supporter that end-to-end worker ``worker`` names as 'ask first'."""
    return f"UE{concurrency:03d}W{worker:03d}"


class Suite:
    """One run: the processes, the stand-in's view, and the counts the app must reach."""

    def __init__(self, bench: Bench, run: int) -> None:
        self.bench = bench
        self.run = run
        self.workdir = bench.workdir / f"http-run{run}"
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.servers: dict[str, Server] = {}
        self.expected = {"views.open": 0, "offers": 0}
        self.figures = RunFigures()

    async def start(self) -> StandInWatch:
        """Start the stand-in, then the app and the floors side by side."""
        limit = self.bench.sizes.max_seconds
        standin = await start_bench_server("standin", self.workdir, max_seconds=limit)
        self.servers["standin"] = standin
        api_url = standin.info["url"]
        db_url = f"sqlite:///{self.workdir / 'bench.db'}"
        roles_url = f"sqlite:///{self.workdir / 'roles.db'}"
        started = await asyncio.gather(
            start_app(self.workdir, app_env(api_url, db_url)),
            start_app(self.workdir, app_env(api_url, roles_url), log_name="web.log", role="web"),
            start_app(self.workdir, app_env(api_url, roles_url), log_name="worker.log", role="worker"),
            *(
                start_bench_server(kind, self.workdir, api_url=api_url, max_seconds=limit)
                for kind in ("bolt", "bolt-insert", "bolt-polling", "http")
            ),
        )
        for server in started:
            self.servers[server.name] = server
        watch = StandInWatch(standin.info["control_port"])
        await watch.check_clock()
        return watch

    async def stop(self) -> None:
        """Stop every process."""
        for server in self.servers.values():
            await server.stop()

    def builder(self, target: str) -> RequestBuilder:
        """Requests for one target."""
        return RequestBuilder(self.servers["standin"].info["url"], self.servers[target].port)

    async def add_roster(self, user_ids: list[str]) -> None:
        """The coordinator puts supporters on the roster with a training date, 50 at a time (in
        each of the app's two databases)."""
        for target in APPS:
            builder = self.builder(target)
            for chunk in (user_ids[i : i + 50] for i in range(0, len(user_ids), 50)):
                mentions = " ".join(f"<@{u}|{u.lower()}>" for u in chunk)
                raw = await builder.command_bytes(COORDINATOR, f"roster add {mentions} trained 2026-01-15")
                status, body = await fetch(self.servers[target].port, raw)
                if status != 200 or b"Added" not in body:
                    raise RuntimeError(f"roster add failed: {status} {body[:200]!r}")


async def _requests(builder: RequestBuilder, kind: str, tag: str, count: int) -> list[bytes]:
    """``count`` signed requests from distinct people (nobody has a request open twice)."""
    make: Callable[[str], Awaitable[bytes]] = (
        builder.command_bytes if kind == "command" else builder.submission_bytes
    )
    return [await make(f"U{tag}{i:05d}") for i in range(count)]


async def measure_ack(suite: Suite, watch: StandInWatch, target: str, kind: str, concurrency: int) -> None:
    """Warm up, then time ``n`` acks; for the app, wait until all its after-ack work is done."""
    sizes = suite.bench.sizes
    n = sizes.polling_requests if target == "bolt-polling" and concurrency == 1 else sizes.ack_requests
    tag = f"{TARGETS.index(target)}{kind[0].upper()}{concurrency:02d}R{suite.run}X"
    requests = await _requests(suite.builder(target), kind, tag, sizes.warmup + n)
    port = suite.servers[target].port
    timeout = 60 + n * 0.1
    warm = await closed_loop(port, requests[: sizes.warmup], concurrency, check=is_empty_ack, timeout=timeout)
    result = await closed_loop(
        port, requests[sizes.warmup :], concurrency, check=is_empty_ack, timeout=timeout
    )
    if warm.failures or result.failures:
        raise RuntimeError(
            f"{target} {kind}: {warm.failures + result.failures} bad acks: {result.first_failure}"
        )
    figures = {**latency_summary(result.latencies_ms, result.seconds), "requests": float(n)}
    if target in APPS:
        suite.expected[EFFECT[kind]] += len(requests)
        figures["drain_s"] = await watch.wait_until(
            EFFECT[kind], suite.expected[EFFECT[kind]], timeout=DRAIN_TIMEOUT
        )
    suite.figures.ack[(target, kind, concurrency)] = figures


async def measure_e2e(suite: Suite, watch: StandInWatch, target: str, concurrency: int) -> None:
    """From sending a submission to its offer DM landing at the stand-in, ``concurrency`` at a time.

    Each worker's requesters name the worker's own supporter as 'ask first', so its offer
    DM is known to be its request's; the arrival time is the stand-in's.
    """
    total = suite.bench.sizes.e2e_requests
    per_worker = max(1, total // concurrency)
    builder = suite.builder(target)
    tag = APPS.index(target)
    work = [
        [
            await builder.submission_bytes(
                f"UE{tag}{concurrency:03d}R{suite.run}W{w:03d}N{k:05d}", preferred=supporter
            )
            for k in range(per_worker)
        ]
        for w, supporter in enumerate(e2e_supporter(concurrency, w) for w in range(concurrency))
    ]
    latencies: list[float] = []
    acks: list[float] = []
    port = suite.servers[target].port

    async def worker(w: int, queue: asyncio.Queue[float]) -> None:
        conn = await Connection.open(port)
        try:
            for raw in work[w]:
                sent = time.monotonic()
                status, body = await conn.request(raw)
                acks.append((time.monotonic() - sent) * 1000)
                if not is_empty_ack(status, body):
                    raise RuntimeError(f"e2e submission failed: {status} {body[:200]!r}")
                arrived = await asyncio.wait_for(queue.get(), OFFER_TIMEOUT)
                latencies.append((arrived - sent) * 1000)
        finally:
            await conn.close()

    async with watch.offers() as queues:
        start = time.perf_counter()
        await asyncio.gather(*(worker(w, queues[e2e_supporter(concurrency, w)]) for w in range(concurrency)))
        seconds = time.perf_counter() - start
    suite.expected["offers"] += per_worker * concurrency
    summary = latency_summary(latencies, seconds)
    suite.figures.e2e[(target, concurrency)] = {
        "p50_ms": summary["p50_ms"],
        "p99_ms": summary["p99_ms"],
        "rps": summary["rps"],
        "requests": float(len(latencies)),
        "ack_p50_ms": percentile(acks, 50),
        "ack_p99_ms": percentile(acks, 99),
    }


async def one_run(bench: Bench, run: int) -> RunFigures:
    """Fresh processes, then every measurement once."""
    sizes = bench.sizes
    suite = Suite(bench, run)
    try:
        watch = await suite.start()
        await asyncio.sleep(0.5)
        suite.figures.memory["app idle"] = suite.servers["app"].memory_mib()
        suite.figures.memory["web role idle"] = suite.servers["web"].memory_mib()
        suite.figures.memory["worker role idle"] = suite.servers["worker"].memory_mib()
        suite.figures.memory["Bolt floor idle"] = suite.servers["bolt"].memory_mib()
        roster = [f"US{i:04d}" for i in range(sizes.roster)]
        roster += [e2e_supporter(c, w) for c in sizes.concurrency for w in range(c)]
        await suite.add_roster(roster)
        for kind in KINDS:
            for concurrency in sizes.concurrency:
                for target in TARGETS:
                    bench.progress(
                        f"run {run + 1}/{sizes.runs}: {target} {kind} at concurrency {concurrency}"
                    )
                    await measure_ack(suite, watch, target, kind, concurrency)
        for target in APPS:
            for concurrency in sizes.concurrency:
                bench.progress(
                    f"run {run + 1}/{sizes.runs}: {target} end to end at concurrency {concurrency}"
                )
                await measure_e2e(suite, watch, target, concurrency)
        await watch.wait_until("offers", suite.expected["offers"], timeout=DRAIN_TIMEOUT)
        suite.figures.memory["app after the runs"] = suite.servers["app"].memory_mib()
        suite.figures.memory["web role after the runs"] = suite.servers["web"].memory_mib()
        suite.figures.memory["worker role after the runs"] = suite.servers["worker"].memory_mib()
        suite.figures.memory["Bolt floor after the runs"] = suite.servers["bolt"].memory_mib()
    finally:
        await suite.stop()
    return suite.figures


def _with_ratios(runs: list[RunFigures], key: tuple[str, str, int]) -> list[dict[str, float]]:
    """A target's per-run figures, with its ratios to both floors computed within each run."""
    out = []
    for run in runs:
        figures = dict(run.ack[key])
        _, kind, concurrency = key
        for floor, name in FLOORS.items():
            base = run.ack[(floor, kind, concurrency)]
            figures[f"p50_x_{name}"] = figures["p50_ms"] / base["p50_ms"]
            figures[f"p99_x_{name}"] = figures["p99_ms"] / base["p99_ms"]
            figures[f"rps_x_{name}"] = figures["rps"] / base["rps"]
        out.append(figures)
    return out


ACK_COLUMNS = [
    Column("requests", "n", "{:.0f}"),
    Column("p50_ms", "p50 ms"),
    Column("p99_ms", "p99 ms"),
    Column("rps", "req/s", "{:.0f}"),
    Column("p50_x_bolt", "p50 ÷ Bolt", "{:.2f}×"),
    Column("p99_x_bolt", "p99 ÷ Bolt", "{:.2f}×"),
    Column("rps_x_bolt", "req/s ÷ Bolt", "{:.0%}"),
    Column("p50_x_http", "p50 ÷ aiohttp", "{:.2f}×"),
    Column("rps_x_http", "req/s ÷ aiohttp", "{:.0%}"),
    Column("p50_x_insert", "p50 ÷ Bolt+insert", "{:.2f}×"),
    Column("rps_x_insert", "req/s ÷ Bolt+insert", "{:.0%}"),
    Column("drain_s", "after-ack work done in s", "{:.2f}"),
]


def sections(bench: Bench, runs: list[RunFigures]) -> list[Section]:
    """The three tables and their targets."""
    sizes = bench.sizes
    low, high = min(sizes.concurrency), max(sizes.concurrency)
    ack = Section("ack", "Ack latency and throughput (part 1)", ACK_COLUMNS)
    for kind, title in KINDS.items():
        for concurrency in sizes.concurrency:
            for target in TARGETS:
                key = (target, kind, concurrency)
                ack.rows.append(
                    Row(
                        f"{title}, {LABELS[target]}, c={concurrency}",
                        _with_ratios(runs, key) if target in {*APPS, "bolt"} else [r.ack[key] for r in runs],
                        info={"target": target, "kind": kind, "concurrency": concurrency},
                    )
                )
        p50 = ack.row(f"{title}, {LABELS['app']}, c={low}").values["p50_x_bolt"]
        rps = ack.row(f"{title}, {LABELS['app']}, c={high}").values["rps_x_bolt"]
        ack.targets.append(Target(f"{title}: app p50 at c={low} vs Bolt floor", p50, 1.5, "×"))
        ack.targets.append(
            Target(f"{title}: app req/s at c={high} vs Bolt floor", rps, 0.7, "×", at_most=False)
        )
        # The web role against its floor: a submission must be stored before its ack, so its floor
        # is Bolt plus one durable insert; /peer stores nothing, so its floor is Bolt's.
        floor, floor_name = (
            ("insert", "Bolt + one insert floor") if kind == "submission" else ("bolt", "Bolt floor")
        )
        web_p50 = ack.row(f"{title}, {LABELS['web']}, c={low}").values[f"p50_x_{floor}"]
        web_rps = ack.row(f"{title}, {LABELS['web']}, c={high}").values[f"rps_x_{floor}"]
        ack.targets.append(Target(f"{title}: web role p50 at c={low} vs {floor_name}", web_p50, 1.5, "×"))
        ack.targets.append(
            Target(f"{title}: web role req/s at c={high} vs {floor_name}", web_rps, 0.7, "×", at_most=False)
        )
    ack.notes += [
        "Bolt floor: AsyncApp with process_before_response=True (as the app) whose listeners only ack,"
        " served by Bolt's aiohttp adapter; 'default polling' is the same with Bolt's default"
        " (process_before_response=False), which checks for the ack every 10 ms.",
        "Ratios are computed within each run, then the median is taken. 'after-ack work done in s':"
        " from the last ack until the stand-in had every modal (views.open) or offer DM.",
    ]
    e2e = Section(
        "e2e",
        "End to end: modal submission → offer DM at the stand-in (part 2)",
        [
            Column("requests", "n", "{:.0f}"),
            Column("p50_ms", "p50 ms"),
            Column("p99_ms", "p99 ms"),
            Column("rps", "requests/s", "{:.0f}"),
            Column("ack_p50_ms", "ack p50 ms"),
            Column("ack_p99_ms", "ack p99 ms"),
        ],
    )
    e2e_labels = {"app": "app (one process)", "web": "web + worker (two processes)"}
    for target in APPS:
        for concurrency in sizes.concurrency:
            e2e.rows.append(
                Row(
                    f"{e2e_labels[target]}, c={concurrency}",
                    [r.e2e[(target, concurrency)] for r in runs],
                    info={"target": target, "concurrency": concurrency},
                )
            )
        p99 = e2e.row(f"{e2e_labels[target]}, c={low}").values["p99_ms"]
        e2e.targets.append(Target(f"end to end p99 at c={low}, {e2e_labels[target]}", p99, 50, "ms"))
    e2e.notes.append(
        "Closed loop: each of c submitters sends its next request once the previous one's offer DM has"
        " landed. Each names its own supporter as 'ask first', so every DM is matched to its request."
        " The ack columns time the same submissions' acks: at c=1 nearly nothing else is in flight,"
        " which shows the ack's own cost apart from waiting on earlier requests' after-ack work.",
    )
    e2e.notes.append(
        "web + worker: the submission goes to python -m bot web, which stores it and acks; python -m bot"
        " worker, another process on the same SQLite file, finds it (PRAGMA data_version every"
        " PEER_WORKER_POLL, 25 ms by default) and routes it; the offer DM is the worker's."
    )
    memory = Section(
        "memory",
        "Memory: resident set size (part 6)",
        [Column("rss_mib", "RSS MiB", "{:.1f}"), Column("peak_rss_mib", "peak RSS MiB", "{:.1f}")],
    )
    for label in runs[0].memory:
        memory.rows.append(Row(label, [r.memory[label] for r in runs]))
    memory.notes.append(
        "Idle: after start, before any request. After the runs: every request above"
        f" ({_requests_per_run(sizes)} to the app), all after-ack work done."
    )
    return [ack, e2e, memory]


def _requests_per_run(sizes: Sizes) -> int:
    per_case = sizes.ack_requests + sizes.warmup
    return len(KINDS) * len(sizes.concurrency) * per_case + len(sizes.concurrency) * sizes.e2e_requests


async def run(bench: Bench) -> list[Section]:
    """Parts 1, 2 and 6, each figure the median of ``sizes.runs`` fresh runs."""
    runs = [await one_run(bench, r) for r in range(bench.sizes.runs)]
    return sections(bench, runs)
