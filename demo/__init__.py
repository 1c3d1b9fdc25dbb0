"""``python -m bot demo``: the real app, a local Slack stand-in, and two scripted days in an office."""

from demo.run import main, run_demo

__all__ = ["main", "run_demo"]
