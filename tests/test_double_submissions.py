"""Slack's retries and people's double clicks: each acts once.

An Events API delivery Slack retries (``X-Slack-Retry-Num``) is acknowledged and not acted on
again; a modal submitted twice makes one request; two ``/peer`` in the same second open at most
one request, and the second is told which one is open.
"""

from __future__ import annotations

import asyncio

from tests.flows import add_supporters
from tests.rig import Rig

HOME = {"type": "app_home_opened", "user": "UANYONE", "channel": "DANYONE", "tab": "home", "event_ts": "1.2"}
FORM = {"area": "trauma", "urgency": "asap", "contact": "slack", "note": "double"}


async def requests_of(rig: Rig, requester: str) -> list[tuple]:
    async with rig.app.db.read() as tx:  # type: ignore[union-attr]
        cur = await tx.conn.execute(
            "SELECT id, state FROM peer_requests WHERE requester_id = ?", (requester,)
        )
        return [tuple(row) for row in await cur.fetchall()]


async def test_an_event_slack_redelivers_is_acted_on_once(rig: Rig) -> None:
    first = await rig.event(HOME, event_id="Ev0001")
    await rig.settle()
    retries = [await rig.event(HOME, event_id="Ev0001", retry=n) for n in (1, 2, 3)]
    await rig.settle()

    assert first.status == 200 and all(r.status == 200 for r in retries)
    assert len(rig.slack.calls_of("views.publish")) == 1
    await rig.event(HOME, event_id="Ev0002")  # a new event is acted on
    await rig.settle()
    assert len(rig.slack.calls_of("views.publish")) == 2


async def test_a_retry_of_an_event_never_seen_is_acted_on(rig: Rig) -> None:
    await rig.event(HOME, event_id="Ev0003", retry=1)  # the first delivery never reached us
    await rig.settle()
    assert len(rig.slack.calls_of("views.publish")) == 1


async def test_the_same_modal_submitted_twice_at_once_makes_one_request(rig: Rig) -> None:
    await add_supporters(rig, "USUP1", "USUP2", "USUP3")
    await rig.command("UREQ1")
    await rig.settle()
    view = rig.last_view("peer_request")

    answers = await asyncio.gather(rig.submit("UREQ1", view, FORM), rig.submit("UREQ1", view, FORM))
    await rig.settle()

    [request] = await requests_of(rig, "UREQ1")
    accepted = [a for a in answers if a.text == ""]
    refused = [a for a in answers if a.text]
    assert len(accepted) == 1 and len(refused) == 1
    assert f"open request (#{request[0]})" in refused[0].json["errors"]["area"]
    # Routed once: three supporters, one offer each (asap fans out to three), none twice.
    assert sorted(len(rig.offers_to(s)) for s in ("USUP1", "USUP2", "USUP3")) == [1, 1, 1]


async def test_two_peer_commands_in_the_same_second_open_at_most_one_request(rig: Rig) -> None:
    await rig.command("UREQ1")
    await rig.command("UREQ1")
    await rig.settle()
    first, second = [v for v in rig.slack.views.values() if v["callback_id"] == "peer_request"]

    answers = await asyncio.gather(rig.submit("UREQ1", first, FORM), rig.submit("UREQ1", second, FORM))
    await rig.settle()

    [(request_id, _)] = await requests_of(rig, "UREQ1")
    assert sorted(bool(a.text) for a in answers) == [False, True]
    # A third /peer says so, and names the open request, instead of opening the modal.
    opened = len(rig.slack.calls_of("views.open"))
    third = await rig.command("UREQ1")
    await rig.settle()
    assert f"open request (#{request_id})" in third.json["text"]
    assert len(rig.slack.calls_of("views.open")) == opened
