"""What every scenario is handed: the sizes to run at, a scratch folder, a progress line."""

from __future__ import annotations

import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Sizes:
    """How much to run. ``FULL`` is the issue's; ``QUICK`` keeps CI's smoke run to seconds."""

    runs: int
    concurrency: tuple[int, ...]
    ack_requests: int
    polling_requests: int  # Bolt's polling floor takes >= 10 ms a request at concurrency 1
    warmup: int
    e2e_requests: int
    roster: int
    routing_supporters: int
    routing_past: tuple[int, ...]
    routing_decisions: int
    stats_contacts: int
    max_seconds: float  # a bound on any one server process's life

    def to_json(self) -> dict[str, Any]:
        """The sizes as JSON data."""
        return asdict(self)


FULL = Sizes(
    runs=5,
    concurrency=(1, 50),
    ack_requests=2000,
    polling_requests=500,
    warmup=100,
    e2e_requests=1000,
    roster=100,
    routing_supporters=5000,
    routing_past=(10_000, 100_000),
    routing_decisions=200,
    stats_contacts=1_000_000,
    max_seconds=1800,
)
QUICK = Sizes(
    runs=2,
    concurrency=(1, 50),
    ack_requests=100,
    polling_requests=20,
    warmup=10,
    e2e_requests=50,
    roster=10,
    routing_supporters=200,
    routing_past=(1_000, 5_000),
    routing_decisions=20,
    stats_contacts=20_000,
    max_seconds=300,
)


@dataclass
class Bench:
    """The shared context of one benchmark command."""

    sizes: Sizes
    workdir: Path
    started: float = field(default_factory=time.monotonic)

    def progress(self, message: str) -> None:
        """One progress line on stderr (the table goes to stdout)."""
        print(f"[{time.monotonic() - self.started:6.1f}s] {message}", file=sys.stderr, flush=True)
