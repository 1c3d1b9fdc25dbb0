"""Bulk writes pace themselves: each chunk after the first rests in proportion to the last one's work.

The clock and the sleep are injected, so the rests are checked exactly and nothing waits.
"""

from __future__ import annotations

import pytest

from bot.bulk import Breather, BulkPolicy


class FakeTime:
    """A monotonic clock the test moves, and a sleep that records its pauses and moves the clock."""

    def __init__(self) -> None:
        self.at = 100.0
        self.pauses: list[float] = []

    def now(self) -> float:
        return self.at

    async def sleep(self, seconds: float) -> None:
        self.pauses.append(seconds)
        self.at += seconds


async def test_each_chunk_rests_for_what_the_last_one_owed_and_the_run_ends_with_its_work() -> None:
    time = FakeTime()
    breather = Breather(0.5, now=time.now, sleep=time.sleep)
    for work in (0.020, 0.008, 0.030):
        async with breather.chunk():
            time.at += work
    # At a half share, each rest is as long as the chunk before it; the last chunk's is not taken.
    assert time.pauses == pytest.approx([0.020, 0.008])
    assert breather.rested == pytest.approx(0.028)


async def test_a_smaller_share_rests_longer_and_a_full_share_never_rests() -> None:
    quarter, full = FakeTime(), FakeTime()
    slow = Breather(0.25, now=quarter.now, sleep=quarter.sleep)
    fast = Breather(1.0, now=full.now, sleep=full.sleep)
    for breather, time in ((slow, quarter), (fast, full)):
        for _ in range(3):
            async with breather.chunk():
                time.at += 0.010
    assert quarter.pauses == pytest.approx([0.030, 0.030])  # three times the work: a quarter share
    assert full.pauses == [] and fast.rested == 0


async def test_a_chunk_that_fails_still_owes_its_rest() -> None:
    time = FakeTime()
    breather = Breather(0.5, now=time.now, sleep=time.sleep)
    with pytest.raises(RuntimeError):
        async with breather.chunk():
            time.at += 0.012
            raise RuntimeError("the database went away")
    async with breather.chunk():
        pass
    assert time.pauses == pytest.approx([0.012])


@pytest.mark.parametrize("rows, share", [(0, 0.5), (150, 0.0), (150, 1.5)])
def test_a_policy_that_could_not_pace_is_refused(rows: int, share: float) -> None:
    with pytest.raises(ValueError):
        BulkPolicy(rows_per_chunk=rows, share=share)
