"""What requesters and coordinators are told: recorded with the decision, sent once, retried, never twice.

"Request received", "a supporter will reach out", "nobody is free yet" and each coordinator's
escalation alert are scheduled messages written in the transaction that decides them. They go
out at once; if Slack refuses, the delivery engine tries again later; if the process dies
between the decision and the send, they go out at the next start; if it dies (or Slack goes
silent) in the middle of a send, they are marked unconfirmed rather than risk a second copy.
"""

from __future__ import annotations

from datetime import timedelta

from bot.checkins import IncidentForm
from bot.peer_requests import RequestForm
from slack_standin import Fault
from tests.flows import COORDINATOR, add_supporters, ask, pass_offer
from tests.rig import Rig, text_of

RECEIVED = "We got your request"
ASSIGNED = "will reach out to you"
ESCALATED = "No peer supporter is free"
ALERT = "A peer support request is waiting"
RESOLVED = "is no longer waiting: it has been offered to a supporter"
REFUSED = Fault(502, "bad_gateway", None)


def told(rig: Rig, user: str, phrase: str) -> int:
    """How many DMs to ``user`` say ``phrase``."""
    return sum(1 for m in rig.slack.dms(user) if phrase in text_of(m.blocks))


def to(user_id: str):  # noqa: ANN201
    return lambda params: params.get("channel") == user_id


async def deliver_after(rig: Rig, delta: timedelta) -> None:
    rig.clock.advance(delta)
    await rig.app.deliver_due()
    await rig.settle()


async def states(rig: Rig, kind: str) -> list[tuple[str, str, str | None]]:
    async with rig.app.db.read() as tx:  # type: ignore[union-attr]
        cur = await tx.conn.execute(
            "SELECT recipient_id, state, reason FROM scheduled_messages WHERE kind = ? ORDER BY id", (kind,)
        )
        return [tuple(row) for row in await cur.fetchall()]


async def test_the_requester_is_told_each_step_once(rig: Rig) -> None:
    await add_supporters(rig, "USUP1")
    await ask(rig, "UREQ1")
    [offer] = rig.open_offers_to("USUP1")
    await rig.click("USUP1", offer, "offer_accept")
    await rig.click("USUP1", offer, "offer_accept")
    await rig.settle()
    await deliver_after(rig, timedelta(hours=1))

    assert (told(rig, "UREQ1", RECEIVED), told(rig, "UREQ1", ASSIGNED)) == (1, 1)
    assert await states(rig, "request_received") == [("UREQ1", "sent", None)]
    assert await states(rig, "request_assigned") == [("UREQ1", "sent", None)]


async def test_a_notice_slack_refused_is_sent_later_by_the_engine_once(rig: Rig) -> None:
    await add_supporters(rig, "USUP1")
    rig.slack.inject("chat.postMessage", REFUSED, match=to("UREQ1"))

    await ask(rig, "UREQ1")
    assert told(rig, "UREQ1", RECEIVED) == 0
    assert len(rig.open_offers_to("USUP1")) == 1, "the failed notice held up the routing"
    await deliver_after(rig, timedelta(seconds=50))
    assert told(rig, "UREQ1", RECEIVED) == 0  # growing pauses: the first retry waits a minute
    await deliver_after(rig, timedelta(seconds=15))
    await deliver_after(rig, timedelta(hours=1))

    assert told(rig, "UREQ1", RECEIVED) == 1


async def test_a_request_stored_just_before_a_crash_is_acknowledged_and_routed_at_start(start_app) -> None:
    rig = await start_app()
    await add_supporters(rig, "USUP1")
    form = RequestForm(area="trauma", urgency="this_week", contact="slack")
    await rig.app.services.requests.submit(requester_id="UREQ1", form=form)  # type: ignore[union-attr]
    await rig.app.stop(drain=False)  # the process dies before the notice goes out or routing starts
    assert not rig.slack.dms("UREQ1")

    rig = await start_app()

    assert told(rig, "UREQ1", RECEIVED) == 1
    assert len(rig.open_offers_to("USUP1")) == 1


async def test_a_notice_in_flight_when_the_process_died_is_marked_unconfirmed_not_sent_again(
    start_app, slack
) -> None:
    rig = await start_app()
    await add_supporters(rig, "USUP1")
    slack.hold("chat.postMessage", to("UREQ1"))
    await rig.command("UREQ1")
    await rig.settle()
    view = rig.last_view("peer_request")
    await rig.submit("UREQ1", view, {"area": "trauma", "urgency": "this_week", "contact": "slack"})
    await slack.wait_for(lambda: [c for c in slack.calls_of("chat.postMessage") if c.channel == "UREQ1"])
    await rig.app.stop(drain=False)
    slack.release("chat.postMessage", drop=True)

    rig = await start_app()
    # Within its lease the claim may be another instance's: it is left alone, and the request
    # itself is routed. Once the lease has passed, the next delivery run settles it.
    assert len(rig.open_offers_to("USUP1")) == 1
    assert await states(rig, "request_received") == [("UREQ1", "sending", None)]
    await deliver_after(rig, timedelta(minutes=3))

    assert await states(rig, "request_received") == [
        ("UREQ1", "unconfirmed", "process stopped while sending")
    ]
    assert told(rig, "UREQ1", RECEIVED) == 0


async def test_a_notice_slack_answered_too_late_is_unconfirmed_never_sent_twice(start_app) -> None:
    rig = await start_app(slack_api_timeout=0.3)
    await add_supporters(rig, "USUP1")
    rig.slack.inject("chat.postMessage", Fault.slow(0.6), match=to("UREQ1"))

    await ask(rig, "UREQ1")
    await rig.slack.wait_for(lambda: told(rig, "UREQ1", RECEIVED))  # it landed; the app never heard
    await deliver_after(rig, timedelta(hours=1))

    assert told(rig, "UREQ1", RECEIVED) == 1
    assert await states(rig, "request_received") == [("UREQ1", "unconfirmed", "no answer from Slack in time")]


async def test_each_coordinator_is_alerted_even_when_slack_refuses_one_at_first(rig: Rig) -> None:
    rig.slack.inject("chat.postMessage", REFUSED, match=to(COORDINATOR))

    await ask(rig, "UREQ1")  # nobody on the roster: escalated
    assert (told(rig, COORDINATOR, ALERT), told(rig, "UCOORD2", ALERT)) == (0, 1)
    await deliver_after(rig, timedelta(minutes=2))

    assert (told(rig, COORDINATOR, ALERT), told(rig, "UCOORD2", ALERT)) == (1, 1)
    assert told(rig, "UREQ1", ESCALATED) == 1
    assert "UREQ1" not in "".join(text_of(m.blocks) for m in rig.slack.dms(COORDINATOR))


async def test_the_requester_is_told_of_escalation_once_however_often_it_comes_back(rig: Rig) -> None:
    await ask(rig, "UREQ1")
    await add_supporters(rig, "USUP1")  # now someone can take it
    await pass_offer(rig, "USUP1")  # and it comes back to the coordinators

    assert told(rig, "UREQ1", ESCALATED) == 1
    # Alerted each time: the first alert was redrawn once the request was offered, the second waits.
    assert told(rig, COORDINATOR, ALERT) + told(rig, COORDINATOR, RESOLVED) == 2
    assert (told(rig, COORDINATOR, ALERT), told(rig, COORDINATOR, RESOLVED)) == (1, 1)


async def test_a_checkin_slack_answered_too_late_is_unconfirmed_never_sent_twice(start_app) -> None:
    rig = await start_app(
        slack_api_timeout=0.3, peer_checkin_offsets="1d", peer_checkin_hours="any", peer_checkin_rate=1000
    )
    rig.slack.add_users("UAFF1", COORDINATOR)
    services = rig.app.services
    assert services is not None
    form = IncidentForm(
        kind="critical_incident", name="Flood", occurred_on="2026-11-29", user_ids=frozenset({"UAFF1"})
    )
    incident = await services.checkins.register_incident(coordinator_id=COORDINATOR, form=form)
    await services.checkins.prepare(incident_id=incident)
    rig.slack.inject("chat.postMessage", Fault.slow(0.6), match=to("UAFF1"))

    await deliver_after(rig, timedelta(days=1))
    await rig.slack.wait_for(lambda: rig.slack.dms("UAFF1"))
    await deliver_after(rig, timedelta(hours=2))

    assert len(rig.slack.dms("UAFF1")) == 1
    assert await states(rig, "checkin") == [("UAFF1", "unconfirmed", "no answer from Slack in time")]
