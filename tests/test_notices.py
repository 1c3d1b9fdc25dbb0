"""What people are told: recorded with the decision, sent once, retried, never twice.

Every notice a decision owes is a scheduled message written in the transaction that decides it:
the requester's "request received", "a supporter will reach out", "nobody is free yet" and "your
request was closed"; the holder's "the request you held was withdrawn"; a supporter's "you were
set to away"; each coordinator's escalation alert and "a supporter can't get DMs". They go out at
once; if Slack refuses, the delivery engine tries again later; if the process dies between the
decision and the send, they go out at the next start; if it dies (or Slack goes silent) in the
middle of a send, they are marked unconfirmed rather than risk a second copy; and one that no
longer applies when its turn comes is skipped with the reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Awaitable, Callable, Iterable, Iterator
from datetime import timedelta

import pytest

from bot.app import configure_logging
from bot.checkins import IncidentForm
from bot.deliveries import Deliveries
from bot.peer_requests import RequestForm
from slack_standin import Fault
from storage.models import Referral
from tests.audit import audit
from tests.flows import COORDINATOR, accept, add_supporters, ask, pass_offer
from tests.rig import Rig, text_of

RECEIVED = "We got your request"
ASSIGNED = "will reach out to you"
ESCALATED = "No peer supporter is free"
ALERT = "A peer support request is waiting"
RESOLVED = "is no longer waiting: it has been offered to a supporter"
CLOSED = "has closed your request"
WITHDRAWN = "was withdrawn by the person who made it"
SET_AWAY = "set to *away*"
UNREACHABLE = "couldn't send a peer support offer to <@USUP1>"
REFUSED = Fault(502, "bad_gateway", None)


def told(rig: Rig, user: str, phrase: str) -> int:
    """How many DMs to ``user`` say ``phrase``."""
    return sum(1 for m in rig.slack.dms(user) if phrase in text_of(m.blocks))


def to(user_id: str):
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


# "Closed", "withdrawn", "set to away" and "a supporter can't get DMs", recorded like the rest.


class CrashAfterCommit:
    """The process dies after a decision commits, before its notices go out.

    Once :meth:`arm` is called, the first send right after a commit of a notice of that kind
    never returns (a process frozen there); the test then kills the app with ``stop(drain=False)``.
    """

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.kind: str | None = None
        self.reached = asyncio.Event()
        original = Deliveries.deliver_now
        crash = self

        async def deliver_now(deliveries: Deliveries, message_ids: Iterable[int]) -> None:
            ids = list(message_ids)
            if crash.kind is not None:
                async with deliveries._db.read() as tx:  # a test peeking into the engine
                    kinds = {m.kind for i in ids if (m := await tx.schedule.get(i)) is not None}
                if crash.kind in kinds:
                    crash.reached.set()
                    await asyncio.Event().wait()  # frozen until the process is killed
            await original(deliveries, ids)

        monkeypatch.setattr(Deliveries, "deliver_now", deliver_now)

    def arm(self, kind: str) -> None:
        """Freeze before the first send of a notice of ``kind``."""
        self.kind = kind

    async def kill_during(self, rig: Rig, work: Awaitable[object]) -> None:
        """Run ``work`` until it freezes after its commit, then kill the process."""
        task = asyncio.ensure_future(work)
        await asyncio.wait_for(self.reached.wait(), timeout=10)
        await rig.app.stop(drain=False)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
        self.kind = None


@pytest.fixture
def crash(monkeypatch: pytest.MonkeyPatch) -> CrashAfterCommit:
    return CrashAfterCommit(monkeypatch)


async def held_request(rig: Rig, requester: str = "UREQ1", supporter: str = "USUP1") -> None:
    """``supporter`` holds ``requester``'s request."""
    await add_supporters(rig, supporter)
    await ask(rig, requester)
    await accept(rig, supporter)


async def close(rig: Rig, supporter: str = "USUP1") -> None:
    """The holder closes the request with the modal."""
    [held] = [m for m in rig.slack.dms(supporter) if "request_close" in text_of(m.blocks)]
    await rig.click(supporter, held, "request_close")
    await rig.settle()
    closed = await rig.submit(
        supporter, rig.last_view("peer_request_close"), {"minutes": "40", "referral": "eap"}
    )
    assert closed.status == 200 and closed.text == ""
    await rig.settle()


async def cancel(rig: Rig, requester: str = "UREQ1") -> None:
    """The requester withdraws their request."""
    response = await rig.command(requester, "cancel")
    assert response.status == 200
    await rig.settle()


async def expire(rig: Rig, requester: str) -> None:
    """``requester`` asks as soon as possible; the one supporter lets the offer expire (only urgent
    offers count towards away)."""
    await ask(rig, requester, urgency="asap")
    rig.clock.advance(timedelta(seconds=901))
    await rig.app.sweep()
    await rig.settle()


async def two_expiries(rig: Rig) -> None:
    """USUP1 has let two offers expire in a row: the next expiry sets them away."""
    await add_supporters(rig, "USUP1")
    await expire(rig, "UREQ0")
    await expire(rig, "UREQ1")
    await ask(rig, "UREQ2", urgency="asap")
    assert len(rig.open_offers_to("USUP1")) == 1


async def third_expiry(rig: Rig) -> None:
    rig.clock.advance(timedelta(seconds=901))
    await rig.app.sweep()
    await rig.settle()


async def unreachable_supporter(rig: Rig) -> None:
    """Slack will not DM USUP1, who is offered UREQ1's request first."""
    await add_supporters(rig, "USUP1", "USUP2")
    rig.slack.undeliverable["USUP1"] = "account_inactive"
    await ask(rig, "UREQ1", preferred="USUP1", note="words only the holder may read")


async def assert_audit_clean(rig: Rig, *requesters: str) -> None:
    """What the soak and the fault plans check: nothing lost, nothing told twice."""
    result = await audit(rig.app.db, rig.slack, acknowledged=set(requesters))  # type: ignore[arg-type]
    assert not result.lost, result.lost
    assert not result.duplicated, result.duplicated


USER_ID = re.compile(r"\b[UW][A-Z0-9]{4,}\b")


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> Iterator[Callable[[], list[str]]]:
    """The app's own log lines (bot, handlers, storage), captured at DEBUG.

    Library loggers are capped by ``configure_logging``; ``tests/test_confidentiality.py`` checks them.
    """
    configure_logging("DEBUG")
    caplog.set_level(logging.DEBUG)
    ours = ("bot", "handlers", "storage")
    yield lambda: [r.getMessage() for r in caplog.records if r.name.split(".")[0] in ours]
    logging.getLogger().setLevel(logging.WARNING)


def assert_ids_only(lines: list[str], *, showing: str) -> None:
    """Logs name request, offer and message ids; never a person."""
    assert any(showing in line for line in lines), f"no {showing!r} logged: the check would prove nothing"
    for line in lines:
        assert not USER_ID.search(line), line


# (a) Slack refuses once: the engine sends it later, once.


async def test_a_closed_notice_slack_refused_is_sent_later_once(rig: Rig, logs) -> None:
    await held_request(rig)
    rig.slack.inject("chat.postMessage", REFUSED, match=to("UREQ1"))

    await close(rig)
    assert told(rig, "UREQ1", CLOSED) == 0
    await deliver_after(rig, timedelta(seconds=50))
    assert told(rig, "UREQ1", CLOSED) == 0  # the first retry waits a minute
    await deliver_after(rig, timedelta(seconds=15))
    await deliver_after(rig, timedelta(hours=1))

    assert told(rig, "UREQ1", CLOSED) == 1
    assert await states(rig, "request_closed") == [("UREQ1", "sent", None)]
    await assert_audit_clean(rig, "UREQ1")
    assert_ids_only(logs(), showing="not delivered (SlackApiError at ")


async def test_a_withdrawn_notice_slack_refused_is_sent_later_once(rig: Rig, logs) -> None:
    await held_request(rig)
    rig.slack.inject("chat.postMessage", REFUSED, match=to("USUP1"))

    await cancel(rig)
    assert told(rig, "USUP1", WITHDRAWN) == 0
    await deliver_after(rig, timedelta(minutes=2))
    await deliver_after(rig, timedelta(hours=1))

    assert told(rig, "USUP1", WITHDRAWN) == 1
    assert "Request #1" in text_of(rig.slack.dms("USUP1")[-1].blocks)
    assert await states(rig, "request_withdrawn") == [("USUP1", "sent", None)]
    await assert_audit_clean(rig, "UREQ1")
    assert_ids_only(logs(), showing="not delivered (SlackApiError at ")


async def test_a_set_away_notice_slack_refused_is_sent_later_once(start_app, logs) -> None:
    rig = await start_app(peer_supporter_capacity=10)
    await two_expiries(rig)
    rig.slack.inject("chat.postMessage", REFUSED, match=to("USUP1"))

    await third_expiry(rig)
    assert told(rig, "USUP1", SET_AWAY) == 0
    await deliver_after(rig, timedelta(minutes=2))
    await deliver_after(rig, timedelta(hours=1))

    assert told(rig, "USUP1", SET_AWAY) == 1
    assert await states(rig, "supporter_set_away") == [("USUP1", "sent", None)]
    await assert_audit_clean(rig, "UREQ0", "UREQ1", "UREQ2")
    assert_ids_only(logs(), showing="set to away")


async def test_an_unreachable_note_slack_refused_is_sent_later_once_naming_no_request(rig: Rig, logs) -> None:
    rig.slack.inject("chat.postMessage", REFUSED, match=to(COORDINATOR))

    await unreachable_supporter(rig)
    assert (told(rig, COORDINATOR, UNREACHABLE), told(rig, "UCOORD2", UNREACHABLE)) == (0, 1)
    await deliver_after(rig, timedelta(minutes=2))
    await deliver_after(rig, timedelta(hours=1))

    assert (told(rig, COORDINATOR, UNREACHABLE), told(rig, "UCOORD2", UNREACHABLE)) == (1, 1)
    for coordinator in (COORDINATOR, "UCOORD2"):
        [note] = [text_of(m.blocks) for m in rig.slack.dms(coordinator) if UNREACHABLE in text_of(m.blocks)]
        assert "account_inactive" in note
        for secret in ("UREQ1", "words only", "#1", "Trauma"):
            assert secret not in note, secret
    assert await states(rig, "supporter_unreachable") == [
        (COORDINATOR, "sent", None),
        ("UCOORD2", "sent", None),
    ]
    assert len(rig.open_offers_to("USUP2")) == 1
    await assert_audit_clean(rig, "UREQ1")
    assert_ids_only(logs(), showing="undeliverable (account_inactive)")


# (b) Decided just before a crash: sent at the next start.


async def test_a_close_decided_just_before_a_crash_is_told_at_start(start_app, crash) -> None:
    rig = await start_app()
    await held_request(rig)
    services = rig.app.services
    assert services is not None

    crash.arm("request_closed")
    await crash.kill_during(
        rig, services.requests.close(request_id=1, user_id="USUP1", minutes=40, referral=Referral.EAP)
    )
    assert told(rig, "UREQ1", CLOSED) == 0
    rig = await start_app()

    assert told(rig, "UREQ1", CLOSED) == 1
    assert await states(rig, "request_closed") == [("UREQ1", "sent", None)]
    await assert_audit_clean(rig, "UREQ1")


async def test_a_withdrawal_decided_just_before_a_crash_is_told_at_start(start_app, crash) -> None:
    rig = await start_app()
    await held_request(rig)
    services = rig.app.services
    assert services is not None

    crash.arm("request_withdrawn")
    await crash.kill_during(rig, services.requests.cancel(requester_id="UREQ1"))
    assert told(rig, "USUP1", WITHDRAWN) == 0
    rig = await start_app()

    assert told(rig, "USUP1", WITHDRAWN) == 1
    assert await states(rig, "request_withdrawn") == [("USUP1", "sent", None)]
    await assert_audit_clean(rig, "UREQ1")


async def test_a_set_away_decided_just_before_a_crash_is_told_at_start(start_app, crash) -> None:
    rig = await start_app(peer_supporter_capacity=10)
    await two_expiries(rig)

    crash.arm("supporter_set_away")
    rig.clock.advance(timedelta(seconds=901))
    await crash.kill_during(rig, rig.app.sweep())
    assert told(rig, "USUP1", SET_AWAY) == 0
    rig = await start_app(peer_supporter_capacity=10)

    assert told(rig, "USUP1", SET_AWAY) == 1
    assert await states(rig, "supporter_set_away") == [("USUP1", "sent", None)]
    supporter = await rig.app.services.roster.get("USUP1")  # type: ignore[union-attr]
    assert supporter is not None and supporter.away
    await assert_audit_clean(rig, "UREQ0", "UREQ1", "UREQ2")


async def test_an_unreachable_supporter_found_just_before_a_crash_is_reported_at_start(
    start_app, crash
) -> None:
    rig = await start_app()
    await add_supporters(rig, "USUP1", "USUP2")
    rig.slack.undeliverable["USUP1"] = "account_inactive"
    services = rig.app.services
    assert services is not None
    form = RequestForm(area="trauma", urgency="this_week", contact="slack", preferred_supporter_id="USUP1")

    crash.arm("supporter_unreachable")
    await crash.kill_during(rig, services.requests.ask_for_peer(requester_id="UREQ1", form=form))
    assert told(rig, COORDINATOR, UNREACHABLE) == 0
    rig = await start_app()

    assert (told(rig, COORDINATOR, UNREACHABLE), told(rig, "UCOORD2", UNREACHABLE)) == (1, 1)
    assert [state for _, state, _ in await states(rig, "supporter_unreachable")] == ["sent", "sent"]
    assert len(rig.open_offers_to("USUP2")) == 1, "the request was not routed on after the restart"
    await assert_audit_clean(rig, "UREQ1")


async def test_a_notice_decided_before_an_outage_longer_than_the_grace_still_goes_out(
    start_app, crash
) -> None:
    rig = await start_app(peer_checkin_grace="1d")
    await held_request(rig)
    services = rig.app.services
    assert services is not None
    crash.arm("request_closed")
    await crash.kill_during(
        rig, services.requests.close(request_id=1, user_id="USUP1", minutes=40, referral=Referral.EAP)
    )

    rig.clock.advance(timedelta(days=3))  # down for three days: check-ins would be missed by now
    rig = await start_app(peer_checkin_grace="1d")

    assert told(rig, "UREQ1", CLOSED) == 1
    assert await states(rig, "request_closed") == [("UREQ1", "sent", None)]


# (c) No longer applies when its turn comes: skipped with the reason, or gone with the request.


@pytest.mark.parametrize("ending", ["closed", "withdrawn"])
async def test_a_notice_of_a_request_purged_before_it_went_out_goes_with_it(start_app, ending: str) -> None:
    rig = await start_app(peer_retention_days=0)
    await held_request(rig)
    recipient, kind = ("UREQ1", "request_closed") if ending == "closed" else ("USUP1", "request_withdrawn")
    rig.slack.inject("chat.postMessage", REFUSED, match=to(recipient))
    await (close(rig) if ending == "closed" else cancel(rig))
    assert await states(rig, kind) == [(recipient, "due", None)]

    await rig.app.sweep()  # retention 0: the ended request is purged at once
    await deliver_after(rig, timedelta(hours=1))

    assert told(rig, "UREQ1", CLOSED) + told(rig, "USUP1", WITHDRAWN) == 0
    assert await states(rig, kind) == []
    async with rig.app.db.read() as tx:  # type: ignore[union-attr]
        cur = await tx.conn.execute(
            "SELECT COUNT(*) AS n FROM scheduled_messages WHERE request_id = 1 OR recipient_id = 'UREQ1'"
            " OR dedupe_key LIKE '%UREQ1%'"
        )
        row = await cur.fetchone()
    assert row is not None and row["n"] == 0, "a notice still links the requester to the request"


async def test_a_closed_notice_to_someone_slack_will_not_dm_is_skipped_with_slacks_reason(rig: Rig) -> None:
    await held_request(rig)
    rig.slack.undeliverable["UREQ1"] = "account_inactive"

    await close(rig)
    await deliver_after(rig, timedelta(hours=1))

    assert await states(rig, "request_closed") == [("UREQ1", "skipped", "account_inactive")]
    await assert_audit_clean(rig, "UREQ1")


async def test_a_set_away_notice_is_skipped_once_the_supporter_is_back(start_app) -> None:
    rig = await start_app(peer_supporter_capacity=10)
    await two_expiries(rig)
    rig.slack.inject("chat.postMessage", REFUSED, match=to("USUP1"))
    await third_expiry(rig)

    assert (await rig.command("USUP1", "available")).status == 200
    await rig.settle()
    await deliver_after(rig, timedelta(hours=1))

    assert told(rig, "USUP1", SET_AWAY) == 0
    assert await states(rig, "supporter_set_away") == [("USUP1", "skipped", "supporter is no longer away")]
    await assert_audit_clean(rig, "UREQ0", "UREQ1", "UREQ2")


async def test_an_unreachable_note_is_skipped_once_the_supporter_is_reachable_again(rig: Rig) -> None:
    rig.slack.inject("chat.postMessage", REFUSED, match=to(COORDINATOR))
    await unreachable_supporter(rig)
    assert told(rig, "UCOORD2", UNREACHABLE) == 1

    del rig.slack.undeliverable["USUP1"]
    assert (await rig.command("USUP1", "available")).status == 200
    await rig.settle()
    await deliver_after(rig, timedelta(hours=1))

    assert told(rig, COORDINATOR, UNREACHABLE) == 0
    assert await states(rig, "supporter_unreachable") == [
        (COORDINATOR, "skipped", "supporter is reachable again"),
        ("UCOORD2", "sent", None),
    ]


async def test_an_unreachable_note_is_skipped_for_someone_no_longer_a_coordinator(rig: Rig) -> None:
    assert (await rig.command(COORDINATOR, "coordinators add <@UCOORD3|c>")).status == 200
    rig.slack.inject("chat.postMessage", REFUSED, match=to("UCOORD3"))
    await unreachable_supporter(rig)

    assert (await rig.command(COORDINATOR, "coordinators remove <@UCOORD3|c>")).status == 200
    await deliver_after(rig, timedelta(hours=1))

    assert told(rig, "UCOORD3", UNREACHABLE) == 0
    assert ("UCOORD3", "skipped", "recipient is no longer a coordinator") in await states(
        rig, "supporter_unreachable"
    )


async def test_an_escalation_alert_is_skipped_for_someone_no_longer_a_coordinator(rig: Rig) -> None:
    assert (await rig.command(COORDINATOR, "coordinators add <@UCOORD3|c>")).status == 200
    rig.slack.inject("chat.postMessage", REFUSED, match=to("UCOORD3"))
    await ask(rig, "UREQ1")  # nobody on the roster: escalated

    assert (await rig.command(COORDINATOR, "coordinators remove <@UCOORD3|c>")).status == 200
    await deliver_after(rig, timedelta(hours=1))

    assert told(rig, "UCOORD3", ALERT) == 0 and told(rig, COORDINATOR, ALERT) == 1
    assert ("UCOORD3", "skipped", "recipient is no longer a coordinator") in await states(
        rig, "escalation_alert"
    )


# Being set away or found unreachable again later is told again, once each time.


async def test_a_supporter_set_away_twice_is_told_twice(start_app) -> None:
    rig = await start_app(peer_supporter_capacity=10)
    await two_expiries(rig)
    await third_expiry(rig)
    assert told(rig, "USUP1", SET_AWAY) == 1

    await rig.command("USUP1", "available")
    await rig.settle()
    for n in range(3, 6):
        await expire(rig, f"UREQ{n}")
    await deliver_after(rig, timedelta(hours=1))

    assert told(rig, "USUP1", SET_AWAY) == 2
    assert [state for _, state, _ in await states(rig, "supporter_set_away")] == ["sent", "sent"]
    await assert_audit_clean(rig, *(f"UREQ{n}" for n in range(6)))


async def test_a_supporter_unreachable_twice_is_reported_twice(rig: Rig) -> None:
    await unreachable_supporter(rig)
    rig.slack.undeliverable.pop("USUP1")
    await rig.command("USUP1", "available")
    await rig.settle()
    rig.slack.undeliverable["USUP1"] = "account_inactive"

    await ask(rig, "UREQ2", preferred="USUP1")

    assert (told(rig, COORDINATOR, UNREACHABLE), told(rig, "UCOORD2", UNREACHABLE)) == (2, 2)
    assert len(await states(rig, "supporter_unreachable")) == 4
    await assert_audit_clean(rig, "UREQ1", "UREQ2")


# The audit the soak and the fault plans rely on counts these notices.


async def test_the_audit_counts_an_ending_notice_never_sent_as_lost_and_one_told_twice_as_duplicated(
    rig: Rig,
) -> None:
    await held_request(rig)
    rig.slack.inject("chat.postMessage", REFUSED, match=to("UREQ1"))
    await close(rig)  # refused: due, waiting for its retry

    result = await audit(rig.app.db, rig.slack, acknowledged={"UREQ1"})  # type: ignore[arg-type]
    assert any("request_closed" in lost for lost in result.lost), result.lost

    await deliver_after(rig, timedelta(minutes=2))
    result = await audit(rig.app.db, rig.slack, acknowledged={"UREQ1"})  # type: ignore[arg-type]
    assert not result.lost and not result.duplicated, (result.lost, result.duplicated)

    # An engine that sent it again would tell the requester twice what was decided once.
    async with rig.app.db.transaction() as tx:  # type: ignore[union-attr]
        await tx.conn.execute("UPDATE scheduled_messages SET state = 'due' WHERE kind = 'request_closed'")
    await deliver_after(rig, timedelta(minutes=1))
    assert told(rig, "UREQ1", CLOSED) == 2
    result = await audit(rig.app.db, rig.slack, acknowledged={"UREQ1"})  # type: ignore[arg-type]
    assert any("request_closed" in dup for dup in result.duplicated), result.duplicated


async def test_the_audit_counts_a_decision_with_no_notice_recorded_as_lost(rig: Rig) -> None:
    await held_request(rig)
    await close(rig)
    async with rig.app.db.transaction() as tx:  # type: ignore[union-attr]
        await tx.conn.execute("DELETE FROM scheduled_messages WHERE kind = 'request_closed'")

    result = await audit(rig.app.db, rig.slack, acknowledged={"UREQ1"})  # type: ignore[arg-type]

    assert any("no request_closed was recorded" in lost for lost in result.lost), result.lost
