"""Percentiles and medians: the only arithmetic the report needs."""

from __future__ import annotations

import statistics
from collections.abc import Sequence


def percentile(values: Sequence[float], pct: float) -> float:
    """The ``pct`` percentile (0-100) with linear interpolation between closest ranks."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * pct / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def median(values: Sequence[float]) -> float:
    """The median of several runs' figures."""
    if not values:
        raise ValueError("no values")
    return float(statistics.median(values))


def latency_summary(latencies_ms: Sequence[float], seconds: float) -> dict[str, float]:
    """p50, p99 (ms) and requests per second of one run."""
    return {
        "p50_ms": percentile(latencies_ms, 50),
        "p99_ms": percentile(latencies_ms, 99),
        "rps": len(latencies_ms) / seconds if seconds > 0 else 0.0,
    }
