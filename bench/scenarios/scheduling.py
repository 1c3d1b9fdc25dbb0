"""Part 4: an incident with thousands affected, six check-ins each, against the real app.

Every run starts fresh processes: the Slack stand-in (its directory loaded with the
affected people and a channel holding all of them, ``chat.postMessage`` limited as Slack
documents it) and the real app (``python -m bot`` on a new SQLite file). A coordinator
submits the incident modal naming that channel, as they would for a whole unit; the app
looks people up in bulk (``conversations.members``, ``users.list``), stores each person's
first check-in (each later step is stored shortly before it comes due) and DMs the
coordinator a summary. While it does, ``/peer`` is sent at a steady rate from
distinct people and each ack is timed. The first check-ins fall due 1 s after the incident
is stored, so the run then times their delivery, paced by the app against the stand-in's
limits, and counts what arrived. Last, the app is stopped and started again on the same
database with the second step due (as after an outage: the incident moved a day back), and the
run times how long it takes to serve, and to store and deliver the first of the second check-ins.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import sqlite3
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.client import HOST, Connection, fetch, http_get
from bench.harness import Bench, Sizes
from bench.procs import Server, start_app, start_bench_server
from bench.report import Column, Row, Section, Target
from bench.slack import COORDINATOR, RequestBuilder, is_empty_ack
from bench.stats import median, percentile
from handlers.incidents.blocks import incident_modal
from slack_standin.driver import SIGNING_SECRET, TOKEN
from storage.models import IncidentKind
from storage.timefmt import to_db

CHANNEL = "CALLSTAFF"
# Six check-ins each; the first falls due 1 s after the incident is stored, the rest days later.
OFFSETS = "1s,1d,3d,7d,14d,30d"
CHECKINS_EACH = len(OFFSETS.split(","))
SWEEP_SECONDS = 1.0
POLL_SECONDS = 0.01
STORED_POLL_SECONDS = 0.002
IDLE_LOAD_SECONDS = 2.0
DELIVERY_LOAD_SECONDS = 5.0
SCHEDULE_TIMEOUT = 120.0
RESTART_TIMEOUT = 60.0


def person(i: int) -> str:
    """The user id of the ``i``-th affected person."""
    return f"UP{i:05d}"


def app_env(api_url: str, db_url: str, rate: float) -> dict[str, str]:
    """The app's settings: the stand-in, short first offset, any hour, a 1 s sweep, the given pace."""
    return {
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": api_url,
        "DATABASE_URL": db_url,
        "PEER_COORDINATORS": COORDINATOR,
        "PEER_SERVICE_HOURS": "any",
        "PEER_CHECKIN_OFFSETS": OFFSETS,
        "PEER_CHECKIN_HOURS": "any",
        "PEER_CHECKIN_RATE": f"{rate:g}",
        "PEER_SWEEP_SECONDS": f"{SWEEP_SECONDS:g}",
        "LOG_LEVEL": "INFO",
    }


@dataclass
class RunFigures:
    """What one run measured."""

    timings: dict[str, dict[str, float]] = field(default_factory=dict)
    acks: dict[str, dict[str, float]] = field(default_factory=dict)
    delivery: dict[str, float] = field(default_factory=dict)
    lost: int = 0
    duplicates: int = 0
    ratelimited: int = 0
    rescheduled: int = 0


class PeerLoad:
    """``/peer`` from distinct people at a steady rate (open loop), each ack timed.

    A request goes out every ``1/rate`` s on an idle keep-alive connection (a new one if all
    are busy), whether or not earlier ones have been answered, as people type independently.
    """

    def __init__(self, port: int, make: Callable[[int], Awaitable[bytes]], rate: float) -> None:
        self.port = port
        self.make = make
        self.rate = rate
        self.idle: list[Connection] = []
        self.open: list[Connection] = []
        self.failures = 0
        self.first_failure = ""

    async def run(self, stop: asyncio.Event, latencies: list[float], *, count: int | None = None) -> None:
        """Send until ``stop`` is set (or ``count`` are sent); the ack times land in ``latencies``."""
        tasks: set[asyncio.Task[None]] = set()
        interval = 1 / self.rate
        next_at = time.perf_counter()
        for n in itertools.count():
            if stop.is_set() or n == count:
                break
            raw = await self.make(n)  # signed just before it is sent: a few µs
            task = asyncio.get_running_loop().create_task(self._one(raw, latencies))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            next_at += interval
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), max(0.0, next_at - time.perf_counter()))
        if tasks:
            await asyncio.wait(tasks, timeout=30)

    async def _one(self, raw: bytes, latencies: list[float]) -> None:
        conn = self.idle.pop() if self.idle else None
        if conn is None:
            conn = await Connection.open(self.port)
            self.open.append(conn)
        start = time.perf_counter()
        status, body = await conn.request(raw)
        latencies.append((time.perf_counter() - start) * 1000)
        self.idle.append(conn)
        if not is_empty_ack(status, body):
            self.failures += 1
            self.first_failure = self.first_failure or f"{status} {body[:200]!r}"

    async def close(self) -> None:
        """Close every connection."""
        for conn in self.open:
            await conn.close()


class Control:
    """The stand-in's control port: the directory, check-ins received, other posts."""

    def __init__(self, port: int) -> None:
        self.port = port

    async def get(self, path: str) -> Any:
        """GET a control endpoint's JSON."""
        status, body = await fetch(self.port, http_get(self.port, path))
        if status != 200:
            raise RuntimeError(f"stand-in control {path}: {status}")
        return json.loads(body)

    async def load_directory(self, people: list[str]) -> None:
        """The workspace: the affected people and the coordinator; a channel with all the affected."""
        body = json.dumps({"users": [*people, COORDINATOR], "channels": {CHANNEL: people}}).encode()
        raw = (
            f"POST /directory HTTP/1.1\r\nHost: {HOST}:{self.port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode() + body
        status, answer = await fetch(self.port, raw)
        if status != 200:
            raise RuntimeError(f"stand-in directory: {status} {answer[:200]!r}")


def count_rows(path: Path) -> dict[tuple[int, str], int]:
    """The incident's check-ins by (seq, state), read from the app's database file, read-only."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    try:
        rows = conn.execute(
            "SELECT seq, state, COUNT(*) FROM scheduled_messages WHERE kind = 'checkin' GROUP BY seq, state"
        ).fetchall()
    except sqlite3.OperationalError:  # the app has not created the schema yet
        return {}
    finally:
        conn.close()
    return {(seq, state): n for seq, state, n in rows}


def count_retried(path: Path) -> int:
    """First check-ins that needed more than one claim: 429s beyond the Web API client's retries."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    try:
        row = conn.execute(
            "SELECT COUNT(*) FROM scheduled_messages WHERE kind = 'checkin' AND seq = 1 AND attempts > 1"
        ).fetchone()
    finally:
        conn.close()
    return int(row[0])


def watch_stored(path: Path, stop: threading.Event) -> float | None:
    """In a thread: when the first check-in row is visible (all are stored in one transaction)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    try:
        while not stop.is_set():
            if conn.execute(
                "SELECT EXISTS (SELECT 1 FROM scheduled_messages WHERE kind = 'checkin')"
            ).fetchone()[0]:
                return time.monotonic()
            time.sleep(STORED_POLL_SECONDS)
    finally:
        conn.close()
    return None


def make_due(path: Path, seq: int, at: datetime) -> int:
    """With the app stopped: the incident's ``seq``-th step falls due at ``at`` (as after an
    outage: the incident moved back in time; the app stores that step's check-ins when it starts).
    Returns how many people it goes to."""
    conn = sqlite3.connect(path)
    try:
        offsets = json.loads(conn.execute("SELECT offsets FROM incidents").fetchone()[0])
        conn.execute(
            "UPDATE incidents SET created_at = ?", (to_db(at - timedelta(seconds=offsets[seq - 1])),)
        )
        conn.commit()
        [(people,)] = conn.execute(
            "SELECT COUNT(*) FROM incident_members WHERE stopped = 0 AND skipped = 0"
        ).fetchall()
        return int(people)
    finally:
        conn.close()


class Run:
    """One run's processes and measurements."""

    def __init__(self, bench: Bench, run: int) -> None:
        self.bench = bench
        self.sizes: Sizes = bench.sizes
        self.run = run
        self.workdir = bench.workdir / f"scheduling-run{run}"
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.db_path = self.workdir / "bench.db"
        self.people = [person(i) for i in range(self.sizes.incident_people)]
        self.standin: Server | None = None
        self.app: Server | None = None
        self.figures = RunFigures()

    def progress(self, message: str) -> None:
        """A progress line naming the run."""
        self.bench.progress(f"scheduling run {self.run + 1}/{self.sizes.runs}: {message}")

    async def start(self) -> Control:
        """The stand-in (limits on, directory loaded), then the app on a fresh database."""
        self.standin = await start_bench_server(
            "standin",
            self.workdir,
            max_seconds=self.sizes.max_seconds,
            extra=["--post-limits", self.sizes.post_limits],
        )
        control = Control(self.standin.info["control_port"])
        await control.load_directory(self.people)
        started = time.monotonic()
        self.app = await self._start_app("app.log")
        self.figures.timings["start, empty database: serving"] = {"seconds": time.monotonic() - started}
        return control

    async def _start_app(self, log_name: str) -> Server:
        assert self.standin is not None
        env = app_env(self.standin.info["url"], f"sqlite:///{self.db_path}", self.sizes.checkin_rate)
        return await start_app(self.workdir, env, log_name=log_name)

    async def stop(self) -> None:
        """Stop every process."""
        for server in (self.app, self.standin):
            if server is not None:
                await server.stop()

    def peer_load(self, tag: str) -> PeerLoad:
        """``/peer`` at the configured rate, the n-th from person ``UQ{tag}{n}``."""
        assert self.app is not None and self.standin is not None
        builder = RequestBuilder(self.standin.info["url"], self.app.port)
        return PeerLoad(
            self.app.port, lambda n: builder.command_bytes(f"UQ{tag}{n:05d}"), self.sizes.peer_load_rate
        )

    async def incident_submission(self) -> bytes:
        """The coordinator's incident modal, submitted with the channel of everyone affected."""
        assert self.app is not None and self.standin is not None
        builder = RequestBuilder(self.standin.info["url"], self.app.port)
        today = datetime.now(UTC).date()
        plans = dict.fromkeys(IncidentKind, OFFSETS)
        view = {**incident_modal(plans=plans, today=today.isoformat()), "id": "V00000009", "hash": "1.h"}
        values = {
            "incident_kind": "critical_incident",
            "incident_name": "Courthouse shooting",
            "incident_date": (today - timedelta(days=1)).isoformat(),
            "incident_people": [],
            "incident_channel": CHANNEL,
        }
        return await builder.view_submission_bytes(COORDINATOR, view, values)

    async def idle_acks(self) -> None:
        """``/peer`` at the load's rate against the idle app: the baseline."""
        assert self.app is not None
        seconds = min(IDLE_LOAD_SECONDS, self.sizes.incident_people / 200)
        load = self.peer_load(f"I{self.run}")
        latencies: list[float] = []
        try:
            await load.run(asyncio.Event(), latencies, count=int(self.sizes.peer_load_rate * seconds))
        finally:
            await load.close()
        self._record_acks("app idle", load, latencies, seconds)

    def _record_acks(self, label: str, load: PeerLoad, latencies: list[float], seconds: float) -> None:
        if load.failures:
            raise RuntimeError(f"/peer {label}: {load.failures} bad acks: {load.first_failure}")
        if not latencies:
            raise RuntimeError(f"/peer {label}: no ack in the window")
        self.figures.acks[label] = {
            "requests": float(len(latencies)),
            "p50_ms": percentile(latencies, 50),
            "p99_ms": percentile(latencies, 99),
            "max_ms": max(latencies),
            "window_s": seconds,
        }

    async def schedule(self, control: Control) -> float:
        """Submit the incident with ``/peer`` load running; time the rows and the summary DM.

        Returns the monotonic time the submission was sent.
        """
        assert self.app is not None
        people, rows_wanted = len(self.people), len(self.people)  # the first step; later ones as they come
        budget = SCHEDULE_TIMEOUT
        load = self.peer_load(f"S{self.run}")
        submission = await self.incident_submission()
        stop, stop_watch = asyncio.Event(), threading.Event()
        latencies: list[float] = []
        watcher = asyncio.get_running_loop().create_task(
            asyncio.to_thread(watch_stored, self.db_path, stop_watch)
        )
        loader = asyncio.get_running_loop().create_task(load.run(stop, latencies))
        sent = time.monotonic()
        try:
            status, body = await fetch(self.app.port, submission)
            acked = time.monotonic()
            if not is_empty_ack(status, body):
                raise RuntimeError(f"incident submission failed: {status} {body[:300]!r}")
            while not (summary := await control.get(f"/posts?channel={COORDINATOR}")):
                if time.monotonic() - sent > budget:
                    raise TimeoutError(f"the incident was not scheduled in {budget:.0f} s")
                await asyncio.sleep(POLL_SECONDS)
            summary_at = summary[0]
        finally:
            stop.set()
            await loader
            await load.close()
            stop_watch.set()
            stored_at = await watcher
        counts = await asyncio.to_thread(count_rows, self.db_path)
        stored = sum(n for (seq, _), n in counts.items() if seq > 0)
        if stored_at is None or stored != rows_wanted:
            raise RuntimeError(f"{stored} check-ins stored, not {rows_wanted}")
        self._record_acks("while scheduling", load, latencies, summary_at - sent)
        self.figures.timings["incident submission acked"] = {"seconds": acked - sent}
        self.figures.timings["schedule: submission → first check-ins stored"] = {
            "seconds": stored_at - sent,
            "rows": float(rows_wanted),
        }
        self.figures.timings["schedule: submission → coordinator's summary DM"] = {
            "seconds": summary_at - sent,
            "people": float(people),
        }
        return sent

    async def deliver(self, control: Control, sent: float) -> None:
        """Wait for every first check-in at the stand-in; count them, and the rows' final states."""
        assert self.app is not None
        people = len(self.people)
        cap = float(self.sizes.post_limits.split(",")[1].split("/")[0])
        timeout = 60 + 4 * people / min(cap, self.sizes.checkin_rate)
        loader: asyncio.Task[None] | None = None
        load = self.peer_load(f"D{self.run}")
        latencies: list[float] = []
        seconds = min(DELIVERY_LOAD_SECONDS, people / 400)
        try:
            while (seen := await control.get("/checkins"))["delivered"] < people:
                if time.monotonic() - sent > timeout:
                    raise TimeoutError(f"{seen['delivered']} of {people} first check-ins in {timeout:.0f} s")
                if loader is None and seen["delivered"]:
                    count = int(self.sizes.peer_load_rate * seconds)
                    loader = asyncio.get_running_loop().create_task(
                        load.run(asyncio.Event(), latencies, count=count)
                    )
                await asyncio.sleep(0.1)
        finally:
            if loader is not None:
                await loader
            await load.close()
        self._record_acks("while the first check-ins go out", load, latencies, seconds)
        # The app records each as sent once Slack has answered: wait for the last to be recorded.
        deadline = time.monotonic() + 10
        while (counts := await asyncio.to_thread(count_rows, self.db_path)).get((1, "sent"), 0) < people:
            if time.monotonic() > deadline:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(min(1.0, people / 200))  # give a duplicate every chance to appear
        seen = await control.get("/checkins")
        counts = await asyncio.to_thread(count_rows, self.db_path)
        first_sent = counts.get((1, "sent"), 0)
        self.figures.lost = people - min(seen["messages"], first_sent)
        self.figures.duplicates = seen["duplicates"]
        self.figures.ratelimited = sum(seen["ratelimited"].values())
        self.figures.rescheduled = await asyncio.to_thread(count_retried, self.db_path)
        # Seq 0 is the one skipped member: the bot itself is in the channel, and is no one to check in on.
        not_first = {k: n for k, n in counts.items() if k[0] > 1 and k[1] != "due"}
        if not_first or seen["recipients"] != people:
            raise RuntimeError(f"unexpected deliveries: {not_first}, {seen['recipients']} recipients")
        per_s = (seen["delivered"] - 1) / (seen["last_at"] - seen["first_at"])
        self.figures.delivery = {
            "delivered": float(seen["messages"]),
            "from_submission_s": seen["last_at"] - sent,
            "first_to_last_s": seen["last_at"] - seen["first_at"],
            "per_s": per_s,
            "share_of_cap": per_s / cap,
        }
        self.figures.timings["app after scheduling and the first check-ins"] = self.app.memory_mib()

    async def restart(self, control: Control) -> None:
        """Stop the app; with the second check-ins due meanwhile, start it again on the same database."""
        assert self.app is not None
        await self.app.stop()
        self.app = None
        due = await asyncio.to_thread(make_due, self.db_path, 2, datetime.now(UTC) - timedelta(minutes=1))
        before = (await control.get("/checkins"))["delivered"]
        started = time.monotonic()
        self.app = await self._start_app("app-restart.log")
        serving = time.monotonic()
        while not (seen := await control.get(f"/checkins?since={before}"))["arrivals"]:
            if time.monotonic() - started > RESTART_TIMEOUT:
                raise TimeoutError(f"no check-in delivered {RESTART_TIMEOUT:.0f} s after the restart")
            await asyncio.sleep(POLL_SECONDS)
        # Storing the step's check-ins (paced chunks) comes first, then the first of them goes out.
        self.figures.timings[f"restart with the second step due ({due:,} people): serving"] = {
            "seconds": serving - started,
            "rows": float(due),
        }
        self.figures.timings[
            f"restart with the second step due ({due:,} people): stored, first delivered"
        ] = {
            "seconds": seen["arrivals"][0] - started,
            "rows": float(due),
        }
        self.figures.timings["app after the restart"] = self.app.memory_mib()


async def one_run(bench: Bench, run: int) -> RunFigures:
    """Fresh processes, then: idle baseline, schedule under /peer load, deliver, restart."""
    r = Run(bench, run)
    try:
        control = await r.start()
        await asyncio.sleep(0.5)
        assert r.app is not None
        r.figures.timings["app idle, before the incident"] = r.app.memory_mib()
        r.progress("/peer against the idle app")
        await r.idle_acks()
        r.progress(f"scheduling {len(r.people):,} people × {CHECKINS_EACH} check-ins under /peer load")
        sent = await r.schedule(control)
        r.progress("delivering the first check-ins")
        await r.deliver(control, sent)
        r.progress("restarting on the same database")
        await r.restart(control)
    finally:
        await r.stop()
    return r.figures


def sections(bench: Bench, runs: list[RunFigures]) -> list[Section]:
    """Three tables: schedule, restart and memory; /peer acks; delivery pace."""
    sizes = bench.sizes
    people = sizes.incident_people
    timing = Section(
        "scheduling",
        f"Scheduling at scale: an incident with {people:,} affected, {CHECKINS_EACH} check-ins each (part 4)",
        [
            Column("rows", "rows", "{:,.0f}"),
            Column("seconds", "s", "{:.3f}"),
            Column("rss_mib", "RSS MiB", "{:.1f}"),
            Column("peak_rss_mib", "peak RSS MiB", "{:.1f}"),
        ],
    )
    for label in runs[0].timings:
        timing.rows.append(Row(label, [r.timings[label] for r in runs]))
    timing.notes += [
        "The coordinator names a channel holding all the affected (the modal's other way to pick people);"
        f" the app pages through conversations.members and users.list ({people + 1:,} people in the"
        " workspace), stores the check-ins in chunks of short transactions, then DMs the coordinator"
        " a summary."
        " 'Stored': the bench polls the database file read-only every 2 ms for the first check-in row.",
        "Restart: the app is stopped (SIGTERM) after the first check-ins went out; with it down, every"
        " second check-in is moved to fall due a minute earlier, as after an outage; then the app is"
        " started on the same database. 'Serving': /healthz answers. 'First due check-in delivered':"
        " it landed at the stand-in, so start-up recovery and the first delivery run are done.",
    ]
    acks = Section(
        "scheduling_ack",
        "/peer ack latency while an incident is scheduled (part 4)",
        [
            Column("requests", "n", "{:.0f}"),
            Column("window_s", "window s", "{:.2f}"),
            Column("p50_ms", "p50 ms"),
            Column("p99_ms", "p99 ms"),
            Column("max_ms", "max ms"),
        ],
    )
    for label in runs[0].acks:
        acks.rows.append(Row(f"/peer, {label}", [r.acks[label] for r in runs]))
    acks.targets.append(
        Target(
            "/peer ack p99 while scheduling", acks.row("/peer, while scheduling").values["p99_ms"], 100, "ms"
        )
    )
    acks.notes.append(
        f"Open loop: a /peer from a new person every {1000 / sizes.peer_load_rate:.0f} ms"
        f" ({sizes.peer_load_rate:g}/s) on a free keep-alive connection, answered or not; each opens the"
        " request modal. 'While scheduling': from the submission until the coordinator's summary DM."
        " 'App idle': the same load for a while before the incident. 'While the first check-ins go"
        " out': the same load, from the first check-in's arrival, while the app delivers the rest."
    )
    channel, workspace = sizes.post_limits.split(",")
    delivery = Section(
        "delivery",
        "Delivery pace against Slack's rate limits (part 4)",
        [
            Column("delivered", "first check-ins delivered", "{:,.0f}"),
            Column("from_submission_s", "s from submission"),
            Column("first_to_last_s", "s first → last"),
            Column("per_s", "delivered/s"),
            Column("share_of_cap", "÷ workspace cap", "{:.0%}"),
            Column("ratelimited", "429s a run", "{:.0f}"),
            Column("rescheduled", "retried later a run", "{:.0f}"),
            Column("duplicates", "duplicates, all runs", "{:.0f}"),
            Column("lost", "lost, all runs", "{:.0f}"),
        ],
    )
    lost = sum(r.lost for r in runs)
    duplicates = sum(r.duplicates for r in runs)
    delivery.rows.append(
        Row(
            f"{people:,} people, PEER_CHECKIN_RATE={sizes.checkin_rate:g}",
            [r.delivery for r in runs],
            info={
                "lost": lost,
                "duplicates": duplicates,
                "ratelimited": median([r.ratelimited for r in runs]),
                "rescheduled": median([r.rescheduled for r in runs]),
                "checkin_rate": sizes.checkin_rate,
                "post_limits": sizes.post_limits,
            },
        )
    )
    delivery.targets += [
        Target("first check-ins lost, all runs", lost, 0, ""),
        Target("first check-ins delivered twice, all runs", duplicates, 0, ""),
    ]
    delivery.notes += [
        f"The app's pace adapts (bot/pacing.py) below a ceiling of PEER_CHECKIN_RATE={sizes.checkin_rate:g}"
        " messages/s: a 429 holds it for Retry-After and cuts it to 70%, calm seconds add it back."
        " The stand-in limits"
        f" chat.postMessage as token buckets: {_limit(channel)} per channel, and {_limit(workspace)} for the"
        " workspace; a post over either gets 429 ratelimited with Retry-After (whole seconds) and is not"
        " delivered. Every check-in goes to a different person's DM, so only the workspace cap binds.",
        "Slack documents about one message a second per channel and a workspace-wide limit of 'several"
        " hundred a minute'; at that, 2,000 DMs take 200-400 s whatever the app does, too long to repeat."
        " The cap here is scaled up (the ratio to it is what carries over), and the app's pace is set"
        " above it, as PEER_CHECKIN_RATE set above a real workspace's cap would be.",
        "'Retried later': first check-ins whose 429s outlasted the Web API client's retries (2, each"
        " after Retry-After plus up to 1 s), so the app put them back for 60 s. 'Lost': first check-ins"
        " not at the stand-in or not recorded as sent. 'From submission' includes the 1 s offset.",
    ]
    return [timing, acks, delivery]


def _limit(spec: str) -> str:
    rate, _, burst = spec.partition("/")
    return f"{rate}/s (bursts of {burst or rate})"


async def run(bench: Bench) -> list[Section]:
    """Several runs, each on fresh processes."""
    runs = [await one_run(bench, r) for r in range(bench.sizes.runs)]
    return sections(bench, runs)
