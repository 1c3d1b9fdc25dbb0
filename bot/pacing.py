"""How fast messages go to Slack: a workspace budget that adapts, and one per channel.

Slack limits ``chat.postMessage`` to about one message a second in any one channel (short
bursts allowed) and, across the workspace, to "several hundred a minute" without a published
number. So the :class:`Pacer` keeps

- a **per-channel** token bucket (one a second, a burst of two): distinct DMs never wait for
  each other, two messages to one person are a second apart;
- a **workspace** budget, a token bucket whose rate adapts (AIMD): it starts at the ceiling
  (``PEER_CHECKIN_RATE``); a 429 holds every paced send for Slack's ``Retry-After`` and cuts the
  rate (to ``DECREASE`` of itself, not below the floor); every calm second after that adds
  ``ceiling / 20`` back, up to the ceiling.

**Priorities.** An urgent send (an offer, a decided notice) waits for neither budget, only for a
``Retry-After`` hold, and takes its tokens anyway (the buckets may go below zero), so the check-ins
and reminders around it slow down to make room. (A burst of notices to one coordinator is not held
to one a second in advance: if Slack answers 429, the hold applies to everyone.)
A check-in wave therefore never delays an offer by more than a hold Slack asked for.

The pacer measures real (monotonic) time: it paces calls to Slack, not the app's schedule.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass

# On a 429 the workspace rate becomes this share of itself.
DECREASE = 0.7
# Channel buckets kept at most before full ones are forgotten.
CHANNELS_KEPT = 2000


@dataclass(frozen=True)
class PacingPolicy:
    """The budgets: the workspace's ceiling and floor, and one channel's."""

    ceiling: float  # messages a second across the workspace, at most
    floor: float = 0.5
    per_channel: float = 1.0  # Slack: about one message a second per channel
    channel_burst: float = 2.0
    concurrency: int = 8  # paced sends in flight at once

    @property
    def step(self) -> float:
        """What each calm second adds back to the workspace rate."""
        return max(self.ceiling / 20, 0.25)


class Pacer:
    """Decides when the next message may go to Slack; told of every 429 by the Web API client."""

    def __init__(self, policy: PacingPolicy, *, now: Callable[[], float] = time.monotonic) -> None:
        self._policy = policy
        self._now = now
        self._rate = policy.ceiling
        self._tokens = 1.0
        self._at = now()
        self._hold_until = 0.0
        self._calm_since = self._at
        self._cut_at = float("-inf")
        self._channels: dict[str, tuple[float, float]] = {}  # channel -> (tokens, at)
        self.rate_limits = 0  # 429s heard of

    @property
    def rate(self) -> float:
        """The workspace rate now, messages a second (after any increase due)."""
        self._grow(self._now())
        return self._rate

    @property
    def policy(self) -> PacingPolicy:
        """The budgets this pacer keeps."""
        return self._policy

    def rate_limited(self, retry_after: float) -> None:
        """Slack answered 429: hold paced sends for ``retry_after`` seconds and slow down."""
        now = self._now()
        self.rate_limits += 1
        self._refill(now)
        self._hold_until = max(self._hold_until, now + max(retry_after, 0.0))
        # The 429s of sends already in flight answer for the same excess: cut once per hold.
        if now >= self._cut_at + max(retry_after, 1.0):
            self._rate = max(self._policy.floor, self._rate * DECREASE)
            self._cut_at = now
        self._tokens = min(self._tokens, 0.0)
        self._calm_since = self._hold_until

    async def acquire(self, channel: str, *, urgent: bool = False, stop: asyncio.Event | None = None) -> None:
        """Wait until a message to ``channel`` may go (returns at once when ``stop`` is set)."""
        while True:
            now = self._now()
            self._refill(now)
            wait = self._hold_until - now
            if not urgent:
                wait = max(wait, self._channel_wait(channel, now))
                if self._tokens < 1:
                    wait = max(wait, (1 - self._tokens) / self._rate)
            if wait <= 0:
                self._take(channel, now)
                return
            if stop is None:
                await asyncio.sleep(wait)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=wait)
            if stop.is_set():
                return

    def _grow(self, now: float) -> None:
        """Additive increase: each calm second since the last hold adds a step, up to the ceiling."""
        if self._rate >= self._policy.ceiling:
            self._calm_since = max(self._calm_since, now)
            return
        calm = now - self._calm_since
        if calm >= 1:
            steps = int(calm)
            self._rate = min(self._policy.ceiling, self._rate + steps * self._policy.step)
            self._calm_since += steps

    def _refill(self, now: float) -> None:
        self._grow(now)
        if now > self._at:
            self._tokens = min(1.0, self._tokens + (now - self._at) * self._rate)
            self._at = now

    def _channel_wait(self, channel: str, now: float) -> float:
        tokens = self._channel_tokens(channel, now)
        return 0.0 if tokens >= 1 else (1 - tokens) / self._policy.per_channel

    def _channel_tokens(self, channel: str, now: float) -> float:
        tokens, at = self._channels.get(channel, (self._policy.channel_burst, now))
        return min(self._policy.channel_burst, tokens + (now - at) * self._policy.per_channel)

    def _take(self, channel: str, now: float) -> None:
        self._tokens -= 1
        if len(self._channels) >= CHANNELS_KEPT:
            burst = self._policy.channel_burst
            self._channels = {c: v for c, v in self._channels.items() if self._channel_tokens(c, now) < burst}
        self._channels[channel] = (self._channel_tokens(channel, now) - 1, now)
