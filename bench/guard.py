"""Refuse to measure a build or an interpreter whose figures would mislead."""

from __future__ import annotations

import os
import sys
import tracemalloc
from collections.abc import Mapping
from typing import Any

# Variables that slow every process started from here (the servers inherit the environment).
SLOWING_ENV = ("PYTHONDEVMODE", "PYTHONASYNCIODEBUG", "PYTHONTRACEMALLOC", "PYTHONMALLOC")


def refusal_reasons(
    *,
    flags: Any = sys.flags,
    interpreter: Any = sys,
    environ: Mapping[str, str] = os.environ,
    tracing_malloc: bool | None = None,
) -> list[str]:
    """Why figures measured here would not be honest; empty when they would be."""
    reasons = []
    if getattr(flags, "dev_mode", False):
        reasons.append("Python runs in development mode (-X dev)")
    if hasattr(interpreter, "gettotalrefcount"):
        reasons.append("this is a debug build of Python")
    if interpreter.gettrace() is not None:
        reasons.append("a tracer or debugger is attached (sys.gettrace)")
    if interpreter.getprofile() is not None:
        reasons.append("a profiler is attached (sys.getprofile)")
    monitoring = getattr(interpreter, "monitoring", None)
    if monitoring is not None and any(monitoring.get_tool(i) is not None for i in range(6)):
        reasons.append("a sys.monitoring tool (debugger, profiler or coverage) is registered")
    if tracemalloc.is_tracing() if tracing_malloc is None else tracing_malloc:
        reasons.append("tracemalloc is tracing allocations")
    reasons += [f"{name} is set in the environment" for name in SLOWING_ENV if environ.get(name)]
    return reasons
