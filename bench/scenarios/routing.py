"""Part 3: choosing the next supporter with a large roster and a long history.

The database is seeded in bulk (bench code may write SQL; the app never does this),
with a history shaped like the app's own: offers go round the rotation, supporters
who are away or untrained never take a turn and so sit at the head of it, most past
requests are closed, a few are held or still offered. Then new requests are routed
by the real :class:`RequestService` (its notifier does nothing), and the routing
query itself is timed on its own, at two history sizes to show how time grows.
"""

from __future__ import annotations

import random
import sqlite3
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bench.harness import Bench
from bench.report import Column, Row, Section, Target
from bench.stats import percentile
from bot.clock import ManualClock
from bot.peer_requests import RequestPolicy, RequestService, RouteResult
from bot.ports import EscalationCard, OfferCard
from bot.roles import Roles
from bot.service_hours import ServiceHours
from bot.training import TrainingPolicy
from storage.db import Database
from storage.models import ContactMode, MessageRef, Referral
from storage.roster_repository import EligibilityQuery
from storage.timefmt import to_db

# A Monday morning inside the default service hours (08:00-18:00, Monday to Friday).
NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
TRAINING = TrainingPolicy(valid_days=365)
HOURS = ServiceHours.parse("08:00-18:00", "UTC")
CAPACITY = 2
WARMUP = 10


class NullNotifier:
    """A :class:`~bot.ports.Notifier` that sends nothing: only the decision is timed."""

    def __init__(self) -> None:
        self._ts = 0

    async def send_offer(self, supporter_id: str, card: OfferCard) -> MessageRef:
        """Pretend the offer DM landed."""
        self._ts += 1
        return MessageRef(channel_id="D" + supporter_id[1:], ts=f"1.{self._ts:06d}")

    async def update_offer(self, ref: MessageRef, card: OfferCard) -> None:
        """Nothing to redraw."""

    async def find_offer_copies(self, supporter_id: str, offer_id: int) -> list[MessageRef]:
        """Every send landed and was recorded: nothing was lost."""
        return []

    def _ref(self, user_id: str) -> MessageRef:
        self._ts += 1
        return MessageRef(channel_id="D" + user_id[1:], ts=f"1.{self._ts:06d}")

    async def request_received(
        self, requester_id: str, *, request_id: int, next_opening: datetime | None, anonymous: bool = False
    ) -> MessageRef:
        """Pretend it landed."""
        return self._ref(requester_id)

    async def request_assigned(
        self, requester_id: str, *, supporter_id: str, contact: ContactMode, request_id: int | None = None
    ) -> MessageRef:
        """Pretend it landed."""
        return self._ref(requester_id)

    async def request_unmatched(self, requester_id: str, *, wanted: list[str]) -> MessageRef:
        """Pretend it landed."""
        return self._ref(requester_id)

    async def reach_out_reminder(
        self, supporter_id: str, *, request_id: int, release_at: datetime
    ) -> MessageRef:
        """Pretend it landed."""
        return self._ref(supporter_id)

    async def request_moved_on(self, supporter_id: str, *, request_id: int, lapsed: bool) -> MessageRef:
        """Pretend it landed."""
        return self._ref(supporter_id)

    async def hold_released(self, coordinator_id: str, card: EscalationCard) -> MessageRef:
        """Pretend it landed."""
        return self._ref(coordinator_id)

    async def talk_question(self, requester_id: str, *, message_id: int) -> MessageRef:
        """Pretend it landed."""
        return self._ref(requester_id)

    async def request_escalated(self, requester_id: str) -> MessageRef:
        """Pretend it landed."""
        return self._ref(requester_id)

    async def request_nobody_on_call(self, requester_id: str, *, next_opening: datetime) -> MessageRef:
        """Pretend it landed."""
        return self._ref(requester_id)

    async def alert_coordinator(self, coordinator_id: str, card: EscalationCard) -> MessageRef:
        """Pretend it landed."""
        return self._ref(coordinator_id)

    async def resolve_alerts(self, refs: list[MessageRef], card: EscalationCard) -> None:
        """Nothing to redraw."""

    async def request_closed(self, requester_id: str, *, referral: Referral) -> MessageRef:
        """Pretend it landed."""
        return self._ref(requester_id)

    async def request_withdrawn(self, supporter_id: str, *, request_id: int) -> MessageRef:
        """Pretend it landed."""
        return self._ref(supporter_id)

    async def supporter_set_away(self, supporter_id: str, *, expired_in_a_row: int) -> MessageRef:
        """Pretend it landed."""
        return self._ref(supporter_id)

    async def supporter_unreachable(
        self, coordinator_id: str, *, supporter_id: str, reason: str
    ) -> MessageRef:
        """Pretend it landed."""
        return self._ref(coordinator_id)


@dataclass(frozen=True)
class Seeded:
    """What a seeded database holds."""

    supporters: int
    past_requests: int
    offers: int
    head_of_rotation_ineligible: int  # untrained or away: every decision walks past them


async def seed(path: Path, *, supporters: int, past_requests: int, rng: random.Random) -> Seeded:
    """Create the schema through the storage layer, then bulk-load a roster and a history."""
    db = await Database.open(f"sqlite:///{path}")
    await db.close()
    start = NOW - timedelta(days=3 * 365)
    step = (NOW - timedelta(days=1) - start) / max(past_requests, 1)
    roster = []
    rotation: list[str] = []
    for i in range(supporters):
        user_id = f"US{i:05d}"
        trained = i % 20 != 7  # 5% not yet trained
        away = i % 12 == 1  # 8% away with no end date
        added = start + timedelta(days=30 * (i % 12))  # added in monthly batches
        roster.append([user_id, "2026-03-01" if trained else None, int(away), int(i % 5 == 0), to_db(added)])
        if trained and not away:
            rotation.append(user_id)
    rng.shuffle(rotation)
    seq = 0
    last_turn: dict[str, int] = {}
    requests, offers, exclusions = [], [], []
    open_from = past_requests - max(1, past_requests // 1000)  # the newest 0.1% are still open
    for n in range(past_requests):
        request_id = n + 1
        created = start + step * n
        is_open = n >= open_from
        requester = f"UO{n:06d}" if is_open else f"UR{rng.randrange(max(1000, supporters)):05d}"
        chain = []
        for _ in range(2 if rng.random() < 0.25 else 1):  # a quarter were passed or expired first
            seq += 1
            supporter = rotation[seq % len(rotation)]
            last_turn[supporter] = seq
            chain.append(supporter)
        holder = chain[-1]
        state = "closed" if rng.random() < 0.97 else "cancelled"
        if is_open:
            state = "assigned" if n % 2 else "offered"
        answered = to_db(created + timedelta(minutes=20))
        for supporter in chain[:-1]:
            offers.append(
                [request_id, supporter, rng.choice(["passed", "expired"]), to_db(created), answered]
            )
        last_offer = {"closed": "closed", "cancelled": "withdrawn", "assigned": "accepted", "offered": "open"}
        offers.append([request_id, holder, last_offer[state], to_db(created), None if is_open else answered])
        assignee = holder if state in {"closed", "assigned"} else None
        requests.append(
            [
                request_id,
                requester,
                rng.choice(["work_stress", "trauma", "grief", "personal"]),
                rng.choice(["asap", "this_week", "no_rush"]),
                "slack",
                state,
                assignee,
                to_db(created),
                answered,
                answered if assignee else None,
                answered if state == "closed" else None,
            ]
        )
        if rng.random() < 0.05:
            exclusions.append([request_id, f"US{rng.randrange(supporters):05d}"])
    with sqlite3.connect(path) as conn:
        conn.executemany(
            "INSERT INTO supporters (user_id, trained_on, away, after_hours, added_at)"
            " VALUES (?, ?, ?, ?, ?)",
            roster,
        )
        conn.executemany(
            "UPDATE supporters SET rotation_seq = ? WHERE user_id = ?", [(s, u) for u, s in last_turn.items()]
        )
        conn.execute("UPDATE rotation SET seq = ?", (seq,))
        conn.executemany(
            "INSERT INTO peer_requests (id, requester_id, area, urgency, contact, state, assignee_id,"
            " created_at, updated_at, assigned_at, closed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            requests,
        )
        conn.executemany(
            "INSERT INTO offers (request_id, supporter_id, state, offered_at, expires_at, answered_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [[r, s, st, at, at, ans] for r, s, st, at, ans in offers],
        )
        conn.executemany(
            "INSERT OR IGNORE INTO request_exclusions (request_id, user_id) VALUES (?, ?)", exclusions
        )
        conn.execute("ANALYZE")
    return Seeded(supporters, past_requests, len(offers), supporters - len(rotation))


def service(db: Database) -> RequestService:
    """The real request service, as the app builds it, with a notifier that sends nothing."""
    return RequestService(
        db=db,
        notifier=NullNotifier(),
        clock=ManualClock(NOW),
        hours=HOURS,
        roles=Roles(["UCOORD1"], db=db, clock=ManualClock(NOW)),
        policy=RequestPolicy(
            offer_timeout=timedelta(seconds=900), capacity=CAPACITY, note_max_length=500, training=TRAINING
        ),
    )


# Decisions timed apart: one offer, or "as soon as possible" (three offers at once).
FANOUT = {"one": "this_week", "asap": "asap"}


async def decide(path: Path, *, decisions: int, run: int, rng: random.Random) -> dict[str, dict[str, float]]:
    """Route ``decisions`` new requests of each kind; time the routing query and the whole decision."""
    db = await Database.open(f"sqlite:///{path}")
    requests = service(db)
    today: date = HOURS.today(NOW)
    times: dict[str, dict[str, list[float]]] = {kind: {"query": [], "route": []} for kind in FANOUT}
    try:
        made = []
        async with db.transaction() as tx:
            for k in range(2 * (WARMUP + decisions)):
                kind = list(FANOUT)[k % 2]
                excluded = {f"US{rng.randrange(10**5):05d}"} if rng.random() < 0.1 else set()
                created = await tx.requests.create(
                    requester_id=f"UN{run:02d}{k:05d}",
                    area="work_stress",
                    urgency=FANOUT[kind],
                    contact="slack",
                    preferred_supporter_id=None,
                    note=None,
                    excluded_ids=excluded,
                    now=NOW,
                )
                made.append((k >= 2 * WARMUP, kind, created))
        for timed, kind, request in made:
            start = time.perf_counter()
            async with db.read() as tx:
                query = EligibilityQuery(
                    request_id=request.id,
                    excluded_ids=frozenset({*request.excluded_ids, *filter(None, [request.requester_id])}),
                    today=today,
                    trained_after=TRAINING.trained_after(today),
                    capacity=CAPACITY,
                    after_hours_only=False,
                )
                picks = await tx.roster.eligible(query, limit=1)
            middle = time.perf_counter()
            result = await requests.route(request_id=request.id)
            end = time.perf_counter()
            if result != RouteResult.OFFERED or not picks:
                raise RuntimeError(f"request {request.id} was not offered: {result}")
            if timed:
                times[kind]["query"].append((middle - start) * 1000)
                times[kind]["route"].append((end - middle) * 1000)
    finally:
        await db.close()
    return {
        kind: {
            f"{what}_{pct}_ms": percentile(values, p)
            for what, values in measured.items()
            for pct, p in (("p50", 50), ("p99", 99))
        }
        for kind, measured in times.items()
    }


async def run(bench: Bench) -> list[Section]:
    """Seed each history size once, then time decisions in several runs."""
    sizes = bench.sizes
    section = Section(
        "routing",
        f"Routing at scale: {sizes.routing_supporters:,} supporters (part 3)",
        [
            Column("past_requests", "past requests", "{:,.0f}"),
            Column("offers", "past offers", "{:,.0f}"),
            Column("query_p50_ms", "query p50 ms", "{:.3f}"),
            Column("query_p99_ms", "query p99 ms", "{:.3f}"),
            Column("route_p50_ms", "decision p50 ms", "{:.3f}"),
            Column("route_p99_ms", "decision p99 ms", "{:.3f}"),
        ],
    )
    for past in sizes.routing_past:
        rng = random.Random(past)
        path = bench.workdir / f"routing-{past}.db"
        bench.progress(f"routing: seeding {sizes.routing_supporters:,} supporters and {past:,} past requests")
        seeded = await seed(path, supporters=sizes.routing_supporters, past_requests=past, rng=rng)
        runs = []
        for r in range(sizes.runs):
            bench.progress(f"routing: {past:,} past requests, run {r + 1}/{sizes.runs}")
            runs.append(await decide(path, decisions=sizes.routing_decisions, run=r, rng=rng))
        for kind, label in (("one", "one offer"), ("asap", "as soon as possible: 3 offers")):
            info = {
                "past_requests": past,
                "offers": seeded.offers,
                "supporters": seeded.supporters,
                "ineligible_at_head": seeded.head_of_rotation_ineligible,
                "fanout": kind,
            }
            section.rows.append(Row(f"{past:,} past requests, {label}", [r[kind] for r in runs], info=info))
    small, large = section.rows[:2], section.rows[-2:]
    past_small, past_large = small[0].info["past_requests"], large[0].info["past_requests"]
    for row in large:
        section.targets.append(Target(f"decision p99, {row.label}", row.values["route_p99_ms"], 5, "ms"))
    growth = large[0].values["query_p50_ms"] / small[0].values["query_p50_ms"]
    section.targets.append(
        Target(
            f"query p50 at {past_large // past_small}× the history (linear: {past_large // past_small}×)",
            growth,
            2,
            "×",
        )
    )
    section.notes += [
        f"{small[0].info['ineligible_at_head']:,} supporters are untrained or away: they never take a turn,"
        " so they sit at the head of the rotation and every decision walks past them.",
        "query: RosterRepository.eligible (the next supporter) on its own. decision: RequestService.route"
        " (read the request, choose, record the offer and the turn, commit, record the DM as sent),"
        f" capacity {CAPACITY}; {sizes.routing_decisions} decisions of each kind per run.",
    ]
    return [section]
