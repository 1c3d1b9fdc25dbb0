"""Adaptive pacing: a check-in wave goes out as fast as Slack's (modelled) limits allow.

The stand-in models ``chat.postMessage``'s limits as Slack documents them (about one a second
per channel, with a workspace cap), answering 429 with ``Retry-After`` over either. The app's
ceiling (``PEER_CHECKIN_RATE``) is set above the cap, so it must find the cap by slowing on 429s.
"""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

from bot.pacing import DECREASE, Pacer, PacingPolicy
from slack_standin.limits import PostLimits
from storage.models import ScheduledState
from tests.flows import SUPPORTER, add_supporters, ask
from tests.rig import Rig, has_button
from tests.test_checkins import open_incident

PEOPLE = [f"UWAVE{n:04d}" for n in range(200)]
CAP = 20.0  # the stand-in's workspace cap, posts a second (below what the app does on either database)
CEILING = 100  # the app's PEER_CHECKIN_RATE: above the cap
WAVE = {"peer_checkin_offsets": "1d", "peer_checkin_hours": "any", "peer_checkin_rate": CEILING}
REQUESTER = "UASKS01"


def checkins(rig: Rig, user: str) -> int:
    return sum(1 for m in rig.slack.dms(user) if has_button(m.blocks, "checkin_ok"))


async def test_a_200_person_wave_goes_out_once_each_near_the_cap_and_an_offer_overtakes_it(
    start_app,
) -> None:
    rig = await start_app(**WAVE)
    rig.slack.add_users(*PEOPLE, REQUESTER, SUPPORTER)
    rig.slack.add_channel("CUNIT", *PEOPLE)
    await add_supporters(rig, SUPPORTER)
    await open_incident(rig, incident_people=[], incident_channel="CUNIT")
    limits = rig.slack.post_limits = PostLimits(per_channel=(1, 3), workspace=(CAP, CAP / 2))
    pacer = rig.app.pacer
    rig.clock.advance(timedelta(days=1))

    started = time.monotonic()
    wave = asyncio.get_running_loop().create_task(rig.app.deliver_due())
    lowest = pacer.rate
    while sum(checkins(rig, u) for u in PEOPLE) < 40:
        lowest = min(lowest, pacer.rate)
        await asyncio.sleep(0.02)
    # A request made in the middle of the wave: its offer goes out within seconds, not after it.
    asked = time.monotonic()
    submitted = await ask(rig, REQUESTER)
    assert submitted.status == 200 and submitted.text == "", submitted.text
    while not rig.offers_to(SUPPORTER):
        assert time.monotonic() - asked < 5, "the offer waited behind the check-ins"
        lowest = min(lowest, pacer.rate)
        await asyncio.sleep(0.01)
    offered_after = time.monotonic() - asked
    left_then = len(PEOPLE) - sum(checkins(rig, u) for u in PEOPLE)
    while not wave.done():
        lowest = min(lowest, pacer.rate)
        await asyncio.sleep(0.02)
    sent = await wave
    elapsed = time.monotonic() - started
    await asyncio.sleep(0.3)  # give a duplicate every chance to appear

    assert left_then > 0, "the wave was over before the offer: it overtook nothing"
    assert offered_after < 5
    assert sent == len(PEOPLE)
    assert [checkins(rig, u) for u in PEOPLE] == [1] * len(PEOPLE), "lost or duplicated"
    async with rig.app.db.read() as tx:  # type: ignore[union-attr]
        assert await tx.schedule.progress(1) == {ScheduledState.SENT: len(PEOPLE)}
    # It met the cap, slowed down on the 429s, and stayed well ahead of a fixed pace.
    assert sum(limits.counts.values()) > 0 and pacer.rate_limits > 0
    assert lowest <= CEILING * DECREASE
    ideal = len(PEOPLE) / CAP
    assert elapsed < 4 * ideal, f"{elapsed:.1f} s against an ideal of {ideal:.1f} s"
    # No send gave up on its retries (none rescheduled), and every 429 was answered by slowing.
    assert sum(limits.counts.values()) < len(PEOPLE) / 4, limits.counts


def test_the_workspace_rate_drops_on_a_429_once_per_hold_and_climbs_back_by_steps() -> None:
    now = [100.0]
    pacer = Pacer(PacingPolicy(ceiling=20), now=lambda: now[0])
    assert pacer.rate == 20
    pacer.rate_limited(1)
    pacer.rate_limited(1)  # another send of the same burst: one cut, not two
    assert pacer.rate == 20 * DECREASE
    now[0] += 1  # the hold: no increase yet
    assert pacer.rate == 20 * DECREASE
    now[0] += 2  # two calm seconds: two steps of ceiling/20
    assert pacer.rate == 20 * DECREASE + 2
    now[0] += 60
    assert pacer.rate == 20


async def test_urgent_sends_skip_both_budgets_but_not_a_hold() -> None:
    now = [100.0]
    pacer = Pacer(PacingPolicy(ceiling=1), now=lambda: now[0])
    await pacer.acquire("D1")  # the one token
    # A paced send would now wait a second; an urgent one goes at once.
    await asyncio.wait_for(pacer.acquire("D2", urgent=True), timeout=0.1)
    paced = asyncio.get_running_loop().create_task(pacer.acquire("D3"))
    await asyncio.sleep(0.05)
    assert not paced.done(), "a paced send went over the workspace budget"
    paced.cancel()
    # One channel: urgent sends burst; a paced one after them waits for the channel's second.
    fast = Pacer(PacingPolicy(ceiling=100), now=lambda: now[0])
    for _ in range(3):
        await asyncio.wait_for(fast.acquire("D5", urgent=True), timeout=0.1)
    now[0] += 0.1  # the workspace bucket refills; D5's channel bucket is still in debt
    same_channel = asyncio.get_running_loop().create_task(fast.acquire("D5"))
    await asyncio.sleep(0.05)
    assert not same_channel.done(), "a paced send to a channel over its one a second"
    same_channel.cancel()
    await asyncio.wait_for(fast.acquire("D6"), timeout=0.1)  # another channel goes
    # A hold Slack asked for stops urgent sends too.
    pacer.rate_limited(5)
    held = asyncio.get_running_loop().create_task(pacer.acquire("D9", urgent=True))
    await asyncio.sleep(0.05)
    assert not held.done(), "an urgent send went out during Retry-After"
    held.cancel()
