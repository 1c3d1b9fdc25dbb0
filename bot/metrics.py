"""What the operator's monitoring may read (``GET /metrics``, Prometheus text format), and nothing more.

No metric names a person, a note, an incident or a request, and no label holds anything but a
fixed state, outcome, Slack method or reason. Two kinds of figure:

- **Counts of things in the database now** (requests by state, open offers, messages due): each
  is floored to a multiple of ``PEER_MIN_COUNT`` (``0`` means "fewer than that"), the rule the
  statistics follow, so a gauge never shows that one or two people are waiting, and it moves only
  when a whole group of ``PEER_MIN_COUNT`` has come or gone, not the moment one person asks. An
  exact "requests waiting" gauge would tell whoever reads the dashboard that somebody asked at
  10:03; a coarse one still shows a backlog building up, which is what an operator alerts on.
- **Totals since the process started** (deliveries by outcome, the delivery latency histogram,
  Slack's 429s and the client's retries, database errors): they count messages and calls, never
  people, and only grow. Whoever can scrape can still see *that* a message went out in a given
  quarter of a minute, never to whom or about what; keep ``PEER_METRICS_TOKEN`` set and the
  endpoint off the public internet (``PEER_METRICS`` is off by default).

The scheduler's lag is how late the oldest due message is (``0`` when nothing is overdue): a
duration, not a count.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector

from bot.ports import Clock
from storage.db import Database
from storage.models import RequestState

# From a notice sent at once to a check-in paced behind a wave of thousands, or waiting out a retry.
LATENCY_BUCKETS = (0.1, 0.5, 1, 2.5, 5, 15, 30, 60, 120, 300, 900, 1800, 3600, 4 * 3600, 24 * 3600)


class DeliveryObserver(Protocol):
    """What the delivery engine reports (implemented by :class:`Metrics`)."""

    def delivered(self, outcome: str, latency: timedelta | None = None) -> None:
        """One scheduled message settled with ``outcome``; ``latency`` from its due time, if sent."""


def coarse(count: int, min_count: int) -> int:
    """``count`` floored to a multiple of ``min_count``: 0 for anything from 0 to ``min_count - 1``."""
    return count // min_count * min_count


class Metrics:
    """The app's metrics registry (its own, so several apps in one process never share figures)."""

    def __init__(self, *, min_count: int, clock: Clock, databases: Callable[[], Sequence[Database]]) -> None:
        self._min_count = min_count
        self._clock = clock
        # The office's database; with many offices, each one's (the figures are their sums).
        self._databases = databases
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Gauge(
            "peer_requests",
            f"Stored requests by state, floored to a multiple of {min_count} (0: fewer than {min_count})",
            ["state"],
            registry=r,
        )
        self.offers_open = Gauge(
            "peer_offers_open",
            f"Offers waiting for an answer, floored to a multiple of {min_count}",
            registry=r,
        )
        self.scheduled_due = Gauge(
            "peer_scheduled_messages_due",
            f"Scheduled messages due and not yet sent, floored to a multiple of {min_count}",
            registry=r,
        )
        self.scheduler_lag = Gauge(
            "peer_scheduler_lag_seconds",
            "How late the oldest due scheduled message is (0 when none is overdue)",
            registry=r,
        )
        self.deliveries = Counter(
            "peer_deliveries",
            "Scheduled messages settled, by outcome, since the process started",
            ["outcome"],
            registry=r,
        )
        self.delivery_latency = Histogram(
            "peer_delivery_latency_seconds",
            "From a scheduled message's due time to Slack accepting it",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.slack_rate_limited = Counter(
            "peer_slack_rate_limited",
            "HTTP 429 answers from Slack's Web API, by method",
            ["method"],
            registry=r,
        )
        self.slack_retries = Counter(
            "peer_slack_retries",
            "Web API calls the client tried again, by reason",
            ["reason"],
            registry=r,
        )
        r.register(_DatabaseErrors(databases))
        for state in RequestState:
            self.requests.labels(state=state.value)
        for outcome in ("sent", "skipped", "retry", "failed", "unconfirmed"):
            self.deliveries.labels(outcome=outcome)
        for reason in ("rate_limited", "server_error", "connection_error"):
            self.slack_retries.labels(reason=reason)

    def delivered(self, outcome: str, latency: timedelta | None = None) -> None:
        """One scheduled message settled with ``outcome``; ``latency`` from its due time, if sent."""
        self.deliveries.labels(outcome=outcome).inc()
        if latency is not None:
            self.delivery_latency.observe(max(latency.total_seconds(), 0.0))

    def rate_limited(self, method: str) -> None:
        """Slack answered a call with 429."""
        self.slack_rate_limited.labels(method=_method_label(method)).inc()

    def retried(self, reason: str) -> None:
        """The Web API client is about to try a call again."""
        self.slack_retries.labels(reason=reason).inc()

    async def render(self) -> bytes:
        """Read the current figures from the database(s), then the whole registry in text format.

        With many offices the counts are summed over them before flooring, and the lag is the
        oldest due message's in any office.
        """
        databases = [db for db in self._databases() if db.is_open]
        if databases:
            now = self._clock.now()
            by_state: dict[RequestState, int] = {}
            offers = due = 0
            oldest: datetime | None = None
            for db in databases:
                async with db.read() as tx:
                    for state, n in (await tx.requests.count_by_state()).items():
                        by_state[state] = by_state.get(state, 0) + n
                    offers += await tx.requests.count_open_offers()
                    due += await tx.schedule.count_due(now)
                    first = await tx.schedule.next_due_at()
                oldest = first if oldest is None or (first is not None and first < oldest) else oldest
            k = self._min_count
            for state, n in by_state.items():
                self.requests.labels(state=state.value).set(coarse(n, k))
            self.offers_open.set(coarse(offers, k))
            self.scheduled_due.set(coarse(due, k))
            lag = 0.0 if oldest is None or oldest > now else (now - oldest).total_seconds()
            self.scheduler_lag.set(lag)
        return generate_latest(self.registry)


class _DatabaseErrors(Collector):
    """Errors the database raised in units of work since the process started."""

    def __init__(self, databases: Callable[[], Sequence[Database]]) -> None:
        self._databases = databases

    def collect(self) -> Iterable[Metric]:
        """The current count."""
        yield CounterMetricFamily(
            "peer_database_errors",
            "Errors the database raised in units of work since the process started",
            value=sum(db.error_count for db in self._databases()),
        )

    def describe(self) -> Iterable[Metric]:
        """The metric's name, without reading the database."""
        yield CounterMetricFamily("peer_database_errors", "Errors the database raised in units of work")


# Labels come from a fixed vocabulary: a method name is letters and dots, nothing else.
def _method_label(method: str) -> str:
    name = method.rsplit("/", 1)[-1]
    return name if name.replace(".", "").isalpha() and len(name) <= 64 else "other"
