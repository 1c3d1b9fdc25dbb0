"""The benchmark at small sizes, so its code cannot rot: structure only, never speed."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from bench.guard import refusal_reasons
from bench.stats import percentile
from tests.conftest import ON_POSTGRES

ROOT = Path(__file__).resolve().parents[1]


def positive(value: object) -> bool:
    return isinstance(value, int | float) and math.isfinite(value) and value > 0


@pytest.mark.skipif(ON_POSTGRES, reason="the benchmark makes its own SQLite files: once, in the SQLite pass")
def test_quick_benchmark_runs_and_reports_every_part(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    done = subprocess.run(
        # One run of each figure: this checks the benchmark works, not what it measures.
        [sys.executable, "-m", "bench", "--quick", "--runs", "1", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "### Ack latency and throughput" in done.stdout and "### Targets" in done.stdout

    results = json.loads(out.read_text(encoding="utf-8"))
    assert results["machine"]["cores"] >= 1 and results["machine"]["python"].startswith("CPython")
    sections = {s["key"]: s for s in results["sections"]}
    assert set(sections) == {
        "routing",
        "ack",
        "e2e",
        "memory",
        "stats",
        "scheduling",
        "scheduling_ack",
        "delivery",
        "offices",
        "instances",
    }
    runs = results["sizes"]["runs"]
    for section in sections.values():
        for row in section["rows"]:
            assert len(row["runs"]) == runs
            assert row["median"] and all(positive(v) for v in row["median"].values()), row

    ack = sections["ack"]["rows"]
    apps = [r for r in ack if r["target"] == "app"]
    assert len(apps) == 4  # /peer and submission, at concurrency 1 and 50
    for row in apps:
        assert {"p50_x_bolt", "p99_x_bolt", "rps_x_bolt", "p50_x_http", "rps_x_http"} <= set(row["median"])
        assert row["median"]["requests"] == results["sizes"]["ack_requests"]

    # Every end-to-end submission's offer DM arrived (each worker waited for its own).
    for row in sections["e2e"]["rows"]:
        per_worker = max(1, results["sizes"]["e2e_requests"] // row["concurrency"])
        assert row["median"]["requests"] == per_worker * row["concurrency"]

    assert {r["label"] for r in sections["memory"]["rows"]} >= {"app idle", "app after the runs"}
    # The statistics report was computed over the seeded contacts (some fall in each period).
    assert all(row["median"]["contacts"] > 0 for row in sections["stats"]["rows"])
    # The incident: each first check-in stored (later steps come as they are due); every first one
    # delivered once, none lost, through the rate limit.
    people = results["sizes"]["incident_people"]
    timings = {r["label"]: r["median"] for r in sections["scheduling"]["rows"]}
    assert timings["schedule: submission → first check-ins stored"]["rows"] == people
    assert any(label.startswith("restart with") for label in timings)
    assert {"rss_mib", "peak_rss_mib"} <= set(timings["app after scheduling and the first check-ins"])
    acks = {r["label"] for r in sections["scheduling_ack"]["rows"]}
    assert acks == {"/peer, app idle", "/peer, while scheduling", "/peer, while the first check-ins go out"}
    [delivery] = sections["delivery"]["rows"]
    assert delivery["median"]["delivered"] == people
    assert delivery["lost"] == 0 and delivery["duplicates"] == 0
    # Office B's /peer timed beside office A's incident, in one process and as web + worker.
    offices = {r["label"] for r in sections["offices"]["rows"]}
    for topology in ("one process", "web + worker"):
        assert f"SQLite, {topology}: office B's /peer, A delivering its check-ins" in offices
        # Measured twice with A idle: the noise the ratios are read against.
        assert f"SQLite, {topology}: office B's /peer, A idle, again" in offices
    # Every requester's every submission reached its offer DM, in each shape of offices and instances.
    instances = sections["instances"]["rows"]
    assert len(instances) == 3
    each = max(1, results["sizes"]["e2e_requests"] // 24)
    assert all(r["median"]["requests"] == each * 24 for r in instances)
    assert len(results["targets"]) >= 12 and all(isinstance(t["met"], bool) for t in results["targets"])


def test_refuses_debug_builds_dev_mode_and_profilers() -> None:
    clean = SimpleNamespace(gettrace=lambda: None, getprofile=lambda: None)
    quiet = {"flags": SimpleNamespace(dev_mode=False), "environ": {}, "tracing_malloc": False}
    assert refusal_reasons(interpreter=clean, **quiet) == []

    assert refusal_reasons(
        flags=SimpleNamespace(dev_mode=True), interpreter=clean, environ={}, tracing_malloc=False
    )
    debug = SimpleNamespace(gettrace=lambda: None, getprofile=lambda: None, gettotalrefcount=lambda: 0)
    assert "debug build" in refusal_reasons(interpreter=debug, **quiet)[0]
    traced = SimpleNamespace(gettrace=lambda: print, getprofile=lambda: None)
    assert "tracer" in refusal_reasons(interpreter=traced, **quiet)[0]
    profiled = SimpleNamespace(gettrace=lambda: None, getprofile=lambda: print)
    assert "profiler" in refusal_reasons(interpreter=profiled, **quiet)[0]
    assert refusal_reasons(
        interpreter=clean, flags=quiet["flags"], environ={"PYTHONASYNCIODEBUG": "1"}, tracing_malloc=False
    )


def test_the_command_refuses_under_dev_mode(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-X", "dev", "-m", "bench", "--quick", "--out", str(tmp_path / "r.json")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2 and "development mode" in done.stderr
    assert not (tmp_path / "r.json").exists()


def test_percentiles_interpolate_between_ranks() -> None:
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([5], 99) == 5
    assert percentile(list(range(101)), 99) == 99
