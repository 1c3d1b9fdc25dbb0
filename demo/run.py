"""``python -m bot demo [--step] [--json DIR]``: play the script and print what everyone sees."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TextIO

from demo.office import DemoError, running_office
from demo.script import CAST, COORDINATORS, SCRIPT, START, TIMEZONE, Step
from demo.transcript import StepRecord, heading, save_json, step_lines, summary_lines, wrap, write

Pause = Callable[[], Awaitable[None]]


def intro_lines() -> list[str]:
    """What the reader is looking at, and who is who."""
    cast = " · ".join(f"{p.name} ({p.user_id}), {p.role}" for p in CAST)
    return [
        *heading("Peer support: two scripted days in an office"),
        "The real app runs on 127.0.0.1 with a temporary SQLite file, against a local stand-in for",
        "Slack's Web API: no tokens, no network, and a clock the script moves by hand. Each step says",
        "what people did, then what each person saw in Slack (messages and thread replies, modals,",
        "Home tabs, files, replies only they can see).",
        wrap(f"The cast: {cast}."),
        f"It starts on {START:%A %-d %B %Y}; program hours Monday to Friday 08:00-18:00 ({TIMEZONE}).",
    ]


async def run_demo(
    out: TextIO,
    *,
    script: Sequence[Step] = SCRIPT,
    json_dir: Path | None = None,
    pause: Pause | None = None,
) -> list[StepRecord]:
    """Play ``script`` against the real app and print the transcript to ``out``."""
    write(out, intro_lines())
    records: list[StepRecord] = []
    async with running_office(CAST, coordinators=COORDINATORS, start=START, timezone=TIMEZONE) as office:
        for number, step in enumerate(script, 1):
            await step.run(office)
            narration, seen = office.collect()
            record = StepRecord(number, step.title, narration, seen)
            records.append(record)
            write(out, step_lines(record, CAST))
            if json_dir is not None:
                save_json(json_dir, record)
            if pause is not None and number < len(script):
                await pause()
        write(out, summary_lines(records, office.asks, CAST))
    if json_dir is not None:
        write(out, ["", f"The Block Kit JSON of every message and view is in {json_dir}/."])
    return records


async def press_enter() -> None:
    """Wait for Enter (end of input counts as Enter)."""
    with contextlib.suppress(EOFError):
        await asyncio.to_thread(input, "\n[Enter: next step] ")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo from the command line; 1 if the story went off script."""
    parser = argparse.ArgumentParser(
        prog="python -m bot demo",
        description="Play two scripted days in an office against the real app and a local Slack stand-in.",
    )
    parser.add_argument("--step", action="store_true", help="pause after each step (when run in a terminal)")
    parser.add_argument(
        "--json", metavar="DIR", type=Path, help="write the Block Kit of every message and view to DIR"
    )
    args = parser.parse_args(argv)
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="replace")
    pause = press_enter if args.step and sys.stdin.isatty() else None
    try:
        asyncio.run(run_demo(sys.stdout, json_dir=args.json, pause=pause))
    except DemoError as error:
        print(f"demo: {error}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # The reader stopped reading (``| head``): the app and the stand-in were stopped on the
        # way out; point stdout at nothing so the final flush does not complain either.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0
