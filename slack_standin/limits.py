"""Slack's documented limits on ``chat.postMessage``, modelled as token buckets.

Set ``SlackStandIn.post_limits`` to a :class:`PostLimits` and a post over either limit is
answered 429 ``ratelimited`` with ``Retry-After`` (whole seconds), before the stand-in sees it:
it is neither stored nor recorded as a call, only counted in ``PostLimits.counts``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass
class Bucket:
    """A token bucket: ``rate`` tokens a second, holding at most ``burst``."""

    rate: float
    burst: float
    tokens: float = field(init=False)
    at: float | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.tokens = self.burst  # full at the start

    def wait(self, now: float) -> float:
        """Seconds until a token is there (0: one is there now)."""
        if self.at is not None:
            self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def take(self) -> None:
        """Spend a token (after :meth:`wait` said there is one)."""
        self.tokens -= 1


def parse_limit(text: str) -> tuple[float, float]:
    """``RATE/BURST`` (per second, tokens), e.g. ``1/3``."""
    rate, _, burst = text.partition("/")
    return float(rate), float(burst or rate)


@dataclass
class PostLimits:
    """Slack's documented limits on ``chat.postMessage``, as token buckets.

    About one message a second to any one channel (short bursts allowed), and a
    workspace-wide cap ("several hundred a minute"). A post over either is answered
    429 ``ratelimited`` with ``Retry-After`` in whole seconds, as Slack does, and is
    neither stored nor recorded as a call.
    """

    per_channel: tuple[float, float]  # (rate, burst)
    workspace: tuple[float, float]
    channels: dict[str, Bucket] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=lambda: {"per_channel": 0, "workspace": 0})
    workspace_bucket: Bucket = field(init=False)

    def __post_init__(self) -> None:
        self.workspace_bucket = Bucket(*self.workspace)

    def admit(self, channel: str, now: float) -> int | None:
        """None if the post may go through (its tokens are spent); else the Retry-After seconds."""
        bucket = self.channels.get(channel)
        if bucket is None:
            bucket = self.channels[channel] = Bucket(*self.per_channel)
        channel_wait, workspace_wait = bucket.wait(now), self.workspace_bucket.wait(now)
        if channel_wait or workspace_wait:
            self.counts["per_channel" if channel_wait >= workspace_wait else "workspace"] += 1
            return max(1, math.ceil(max(channel_wait, workspace_wait)))
        bucket.take()
        self.workspace_bucket.take()
        return None
