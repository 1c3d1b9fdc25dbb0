"""The benchmark's scenarios: each one an async function of the shared :class:`~bench.harness.Bench`.

A scenario returns report sections (tables, with the issue's targets). Add a scenario by
writing ``async def run(bench) -> list[Section]`` in a module here and naming it below;
the command runs them in this order (``--only NAME`` picks some).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bench.harness import Bench
from bench.report import Section
from bench.scenarios import http, instances, offices, routing, scheduling, stats

Scenario = Callable[[Bench], Awaitable[list[Section]]]

SCENARIOS: dict[str, Scenario] = {
    "routing": routing.run,
    "http": http.run,
    "stats": stats.run,
    "scheduling": scheduling.run,
    "offices": offices.run,
    "instances": instances.run,
}
