"""Issue 18, part 3: a coordinator sees how an incident's follow-up reaches people, step by step,
suppressed as the statistics are; a plan too small for statistics shows its plan only."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.flows import COORDINATOR
from tests.rig import Rig, text_of
from tests.test_checkins import CHECKIN_SETTINGS, checkins_to, deliver_after, open_incident

NINE = [f"UFOL{n}" for n in range(1, 10)]


async def follow_up_view(rig: Rig, text: str = "incident 1") -> str:
    """``/peer incident N``: the view it opened, as text."""
    opened = len(rig.slack.calls_of("views.open"))
    response = await rig.command(COORDINATOR, text)
    await rig.settle()
    calls = rig.slack.calls_of("views.open")
    assert len(calls) == opened + 1, response.text
    view: dict[str, Any] = calls[-1].params["view"]
    if isinstance(view, str):
        import json

        view = json.loads(view)
    blocks = view["blocks"]
    counts = next((n for n, b in enumerate(blocks) if b["type"] == "divider"), len(blocks))
    return text_of(blocks[:counts])  # what it shows, not the inputs below


def step_line(shown: str, seq: int) -> str:
    start = shown.index(f"*Check-in {seq}*")
    end = shown.find("*Check-in", start + 1)
    return shown[start : end if end > 0 else start + 400]


async def answer(rig: Rig, people: list[str], action: str) -> None:
    for person in people:
        await rig.click(person, checkins_to(rig, person)[-1], action)
    await rig.settle()


async def test_the_follow_up_view_counts_each_step_and_suppresses_small_numbers(start_app) -> None:
    rig = await start_app(**CHECKIN_SETTINGS, peer_min_count=3)
    rig.slack.add_users(*NINE)
    await open_incident(rig, incident_people=NINE)

    before = await follow_up_view(rig)
    assert "9 people, a plan of 2 check-ins (1d,3d)" in before
    assert "still due 9" in step_line(before, 1) and "sent 0" in step_line(before, 1)

    await deliver_after(rig, timedelta(days=1))
    await answer(rig, NINE[:4], "checkin_ok")
    await answer(rig, NINE[4:7], "checkin_stop")  # their second check-in is cancelled
    first = step_line(await follow_up_view(rig), 1)
    # Two did not answer: fewer than 3; stop (3) is hidden too, or 9 - 4 - 0 - 3 would give it away.
    assert "sent 9 · okay 4, talk to a peer 0, stop suppressed, not answered fewer than 3" in first
    assert "still due" not in first

    await deliver_after(rig, timedelta(days=2))
    await answer(rig, NINE[:3], "checkin_ok")
    shown = await follow_up_view(rig)
    assert "sent 9 · okay 4" in step_line(shown, 1), "a later answer moved an earlier step"
    assert "sent 6 · okay 3, talk to a peer 0, stop 0, not answered 3" in step_line(shown, 2)
    assert not any(user in shown for user in NINE), "the view names someone"

    async with rig.app.db.read() as tx:  # type: ignore[union-attr]
        cur = await tx.conn.execute(
            "SELECT seq, answer, count FROM checkin_step_answers ORDER BY seq, answer"
        )
        assert [tuple(r) for r in await cur.fetchall()] == [(1, "ok", 4), (1, "stop", 3), (2, "ok", 3)]


async def test_a_small_plan_shows_its_plan_only(start_app) -> None:
    rig = await start_app(**CHECKIN_SETTINGS, peer_min_count=3)
    rig.slack.add_users("USOLO", "UDUO")
    await open_incident(
        rig,
        incident_kind="bereavement",
        incident_name="Loss in the family",
        incident_people=["USOLO", "UDUO"],
        incident_plan="1d,3d",
    )
    await deliver_after(rig, timedelta(days=1))
    await answer(rig, ["USOLO"], "checkin_talk")
    shown = await follow_up_view(rig)
    assert "2 people" in shown and "*Check-in 1* (1d, " in shown and "*Check-in 2* (3d, " in shown
    assert "Counts are hidden for a plan with fewer than 3 people" in shown
    for word in ("sent", "okay", "talk to a peer", "not answered", "due", "USOLO", "UDUO"):
        assert word not in shown, word


async def test_an_unknown_incident_or_a_closed_one(start_app) -> None:
    rig = await start_app(**CHECKIN_SETTINGS, peer_min_count=3)
    rig.slack.add_users(*NINE)
    response = await rig.command(COORDINATOR, "incident 7")
    assert "no open incident with that number" in response.json["text"]
    await open_incident(rig, incident_people=NINE)
    await deliver_after(rig, timedelta(days=1))
    await rig.command(COORDINATOR, "incident close 1")
    shown = await follow_up_view(rig, "incident #1")
    assert ": closed, 9 people" in shown and "sent 9" in step_line(shown, 1)
    assert "still due" not in step_line(shown, 2)
