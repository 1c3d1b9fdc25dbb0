"""``python -m bench [--quick]``: run the benchmarks, print the tables, write ``bench/results.json``."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import sys
import tempfile
from pathlib import Path

from bench.guard import refusal_reasons
from bench.harness import FULL, QUICK, Bench, Sizes
from bench.report import Report
from bench.scenarios import SCENARIOS

RESULTS = Path(__file__).resolve().parent / "results.json"


async def run(sizes: Sizes, *, only: list[str], workdir: Path) -> Report:
    """Run the chosen scenarios in order and gather their sections."""
    bench = Bench(sizes=sizes, workdir=workdir)
    sections = []
    for name, scenario in SCENARIOS.items():
        if not only or name in only:
            bench.progress(f"scenario {name}")
            sections += await scenario(bench)
    return Report(sizes={**sizes.to_json(), "scenarios": only or list(SCENARIOS)}, sections=sections)


def main(argv: list[str] | None = None) -> int:
    """Refuse a misleading interpreter, run, print the tables, write the JSON."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (seconds; what CI runs)")
    parser.add_argument("--runs", type=int, help="runs per figure (the median is reported)")
    parser.add_argument("--only", action="append", choices=list(SCENARIOS), default=[], help="run only these")
    parser.add_argument(
        "--out", type=Path, default=RESULTS, help=f"where to write the JSON (default {RESULTS})"
    )
    args = parser.parse_args(argv)
    reasons = refusal_reasons()
    if reasons:
        print("bench: refusing to measure: " + "; ".join(reasons), file=sys.stderr)
        return 2
    sizes = QUICK if args.quick else FULL
    if args.runs:
        sizes = dataclasses.replace(sizes, runs=max(1, args.runs))
    with tempfile.TemporaryDirectory(prefix="peer-bench-") as tmp:
        report = asyncio.run(run(sizes, only=args.only, workdir=Path(tmp)))
    print(report.render())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report.to_json(), indent=2) + "\n", encoding="utf-8")
    missed = [t.name for t in report.targets if not t.met]
    print(f"\nwrote {args.out}; targets met: {len(report.targets) - len(missed)}/{len(report.targets)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
