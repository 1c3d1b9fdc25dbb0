"""Statistics at scale (part 5): ``/peer stats`` over many contact records.

The contacts are bulk-loaded into a SQLite file made by the app's own migrations, then the
real ``TrackingService.stats`` (aggregate queries plus small-count suppression) is timed
for the default period (the last closed quarter) and for a year (its closed quarters, each
queried and suppressed, then combined).
"""

from __future__ import annotations

import random
import sqlite3
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bench.harness import Bench
from bench.report import Column, Row, Section, Target
from bench.stats import percentile
from bot.clock import ManualClock
from bot.roles import Roles
from bot.service_hours import ServiceHours
from bot.tracking import TrackingService
from storage.db import Database
from storage.models import Area, ContactChannel, MessageRef, Referral

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
COORDINATOR = "UCOORD1"


async def seed(path: Path, contacts: int, rng: random.Random) -> None:
    """Create the schema through the storage layer, then bulk-load contacts over three years."""
    db = await Database.open(f"sqlite:///{path}")
    await db.close()
    areas, channels, referrals = list(Area), list(ContactChannel), list(Referral)
    first = date(2023, 12, 1)
    span = (NOW.date() - first).days
    conn = sqlite3.connect(path)
    try:
        rows, area_rows = [], []
        for n in range(1, contacts + 1):
            day = first + timedelta(days=rng.randrange(span))
            rows.append(
                (
                    n,
                    day.isoformat(),
                    rng.choice((15, 30, 45, 60, 90)),
                    rng.choice(channels).value,
                    rng.choice(referrals).value,
                    f"US{rng.randrange(400):04d}",
                    f"{day.isoformat()}T12:00:00.000000+00:00",
                )
            )
            recorded = f"{day.isoformat()}T12:00:00.000000+00:00"
            area_rows.append((n, rng.choice(areas).value, day.isoformat(), recorded))
            if n % 7 == 0:  # some contacts are about two areas
                area_rows.append((n, rng.choice(areas).value, day.isoformat(), recorded))
        conn.executemany(
            "INSERT INTO contacts (id, occurred_on, minutes, channel, referral, supporter_id, recorded_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        conn.executemany(
            "INSERT OR IGNORE INTO contact_areas (contact_id, area, occurred_on, recorded_at)"
            " VALUES (?, ?, ?, ?)",
            area_rows,
        )
        conn.execute("ANALYZE")
        conn.commit()
    finally:
        conn.close()


class _NoRetentionMessages:
    """The statistics never purge: nothing to redraw."""

    async def forget_concern_alert(self, ref: MessageRef) -> None:
        raise AssertionError("the statistics benchmark does not purge")


async def time_stats(path: Path, period: str, repeats: int) -> dict[str, float]:
    """Milliseconds for ``TrackingService.stats`` on a period, ``repeats`` times."""
    db = await Database.open(f"sqlite:///{path}")
    try:
        clock = ManualClock(NOW)
        service = TrackingService(
            db=db,
            clock=clock,
            roles=Roles([COORDINATOR], db=db, clock=clock),
            hours=ServiceHours.parse("any", "UTC"),
            min_count=3,
            retention=timedelta(days=30),
            notifier=_NoRetentionMessages(),
        )
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            report = await service.stats(coordinator_id=COORDINATOR, publication=service.publication(period))
            times.append((time.perf_counter() - started) * 1000)
        assert report.contacts.value is not None and report.contacts.value > 0
        return {
            "p50_ms": percentile(times, 50),
            "max_ms": max(times),
            "contacts": float(report.contacts.value),
        }
    finally:
        await db.close()


async def run(bench: Bench) -> list[Section]:
    """Seed once, then time the report for two periods in several runs."""
    contacts = bench.sizes.stats_contacts
    section = Section(
        "stats",
        f"Statistics at scale: /peer stats over {contacts:,} contact records (part 5)",
        [
            Column("contacts", "contacts in period", "{:,.0f}"),
            Column("p50_ms", "answer p50 ms", "{:.1f}"),
            Column("max_ms", "answer max ms", "{:.1f}"),
        ],
    )
    path = bench.workdir / "stats.db"
    bench.progress(f"stats: seeding {contacts:,} contacts")
    await seed(path, contacts, random.Random(5))
    for period, label in (("", "the last closed quarter (default)"), ("2026", "the year 2026 (Q1-Q3)")):
        runs = []
        for r in range(bench.sizes.runs):
            bench.progress(f"stats: {label}, run {r + 1}/{bench.sizes.runs}")
            runs.append(await time_stats(path, period, repeats=5))
        section.rows.append(Row(label, runs))
    slowest = max(row.values["p50_ms"] for row in section.rows)
    section.targets.append(Target("stats answer p50, largest period", slowest, 1000, "ms"))
    section.notes.append(
        'The command acks at once ("Gathering the numbers…") and posts the report through the'
        " command's response_url when it is ready, so the ack never waits for these queries."
    )
    return [section]
