"""What a benchmark run reports: sections of rows (medians of runs), targets, the machine."""

from __future__ import annotations

import os
import platform
import sqlite3
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from bench.stats import median


@dataclass
class Column:
    """One column of a section's table: a value key, its header and its format."""

    key: str
    header: str
    fmt: str = "{:.2f}"


@dataclass
class Row:
    """One measured configuration: per-run figures and their medians."""

    label: str
    runs: list[dict[str, float]]
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def values(self) -> dict[str, float]:
        """The median over runs of every figure present in all of them."""
        keys = [k for k in self.runs[0] if all(k in run for run in self.runs)] if self.runs else []
        return {k: median([run[k] for run in self.runs]) for k in keys}


@dataclass
class Target:
    """A goal from the issue and whether the median figure meets it."""

    name: str
    value: float
    limit: float
    unit: str
    at_most: bool = True

    @property
    def met(self) -> bool:
        """Whether ``value`` is on the right side of ``limit``."""
        return self.value <= self.limit if self.at_most else self.value >= self.limit


@dataclass
class Section:
    """One table of the report."""

    key: str
    title: str
    columns: list[Column]
    rows: list[Row] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def row(self, label: str) -> Row:
        """The row with this label."""
        for row in self.rows:
            if row.label == label:
                return row
        raise KeyError(label)


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    versions = {}
    for name in ("slack_bolt", "slack_sdk", "aiohttp", "aiosqlite"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "missing"
    versions["sqlite"] = sqlite3.sqlite_version
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": _memory_gib(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "platform": platform.platform(),
        "packages": versions,
    }


def _cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def _memory_gib() -> float | None:
    meminfo = Path("/proc/meminfo")
    if not meminfo.exists():
        return None
    for line in meminfo.read_text(encoding="utf-8").splitlines():
        if line.startswith("MemTotal:"):
            return round(int(line.split()[1]) / 1024 / 1024, 1)
    return None


@dataclass
class Report:
    """A whole run: sizes, machine, sections."""

    sizes: dict[str, Any]
    sections: list[Section]
    machine: dict[str, Any] = field(default_factory=machine)
    date: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    @property
    def targets(self) -> list[Target]:
        """Every target of every section."""
        return [t for s in self.sections for t in s.targets]

    def to_json(self) -> dict[str, Any]:
        """The report as plain JSON data (medians and the per-run figures)."""
        return {
            "date": self.date,
            "machine": self.machine,
            "sizes": self.sizes,
            "sections": [
                {
                    "key": s.key,
                    "title": s.title,
                    "rows": [
                        {"label": r.label, **r.info, "median": r.values, "runs": r.runs} for r in s.rows
                    ],
                    "notes": s.notes,
                }
                for s in self.sections
            ],
            "targets": [{**asdict(t), "met": t.met} for t in self.targets],
        }

    def render(self) -> str:
        """The tables, as Markdown (readable in a terminal, pasteable into the README)."""
        m = self.machine
        lines = [
            f"Benchmark {self.date} on {m['cpu']} ({m['cores']} cores, {m['memory_gib']} GiB),"
            f" {m['python']}, {m['platform']}; SQLite {m['packages']['sqlite']}."
            f" Medians of {self.sizes['runs']} runs.",
        ]
        for section in self.sections:
            lines += ["", f"### {section.title}", "", *_table(section)]
            lines += [f"- {note}" for note in section.notes]
        if self.targets:
            lines += [
                "",
                "### Targets",
                "",
                "| target | value | limit | met |",
                "| --- | ---: | ---: | --- |",
            ]
            for t in self.targets:
                sign = "≤" if t.at_most else "≥"
                lines.append(
                    f"| {t.name} | {t.value:.2f} {t.unit} | {sign} {t.limit:g} {t.unit} |"
                    f" {'yes' if t.met else '**no**'} |"
                )
        return "\n".join(lines)


def _table(section: Section) -> list[str]:
    header = ["", *(c.header for c in section.columns)]
    body = []
    for row in section.rows:
        values = row.values
        cells = [row.label]
        for column in section.columns:
            value = values.get(column.key, row.info.get(column.key))
            cells.append("" if value is None else column.fmt.format(value))
        body.append(cells)
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
    lines = ["| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |"]
    lines.append(
        "| " + " | ".join("-" * w if i == 0 else "-" * (w - 1) + ":" for i, w in enumerate(widths)) + " |"
    )
    for cells in body:
        padded = [
            c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        lines.append("| " + " | ".join(padded) + " |")
    return lines
