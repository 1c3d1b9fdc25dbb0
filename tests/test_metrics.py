"""``GET /metrics``: off by default, behind its token, and never a person, a note or a small count."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from urllib.parse import urlencode

from prometheus_client.parser import text_string_to_metric_families

from bot.metrics import coarse
from slack_standin import Fault, SlackStandIn
from tests.conftest import StartApp
from tests.flows import ask
from tests.rig import Response, Rig, sign
from tests.test_checkins import AFFECTED, CHECKIN_SETTINGS, deliver_after, open_incident
from tests.test_confidentiality import NOTE, busy_day

TOKEN = "scrape-me-7f3a"
METRICS = {"peer_metrics": True, "peer_metrics_token": TOKEN}
USER_ID = re.compile(r"\b[UWD][A-Z0-9]{4,}\b")
INCIDENT_NAME = "Courthouse shooting, Dec 2"


async def scrape(rig: Rig, token: str | None = TOKEN) -> Response:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    async with rig.session.get(f"http://127.0.0.1:{rig.app.port}/metrics", headers=headers) as resp:
        return Response(status=resp.status, text=await resp.text())


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of the exposition, by name and labels (this also checks that it parses)."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def test_metrics_are_off_unless_asked_for(rig: Rig) -> None:
    assert (await scrape(rig)).status == 404
    assert (await scrape(rig, None)).status == 404


async def test_with_a_token_set_metrics_answer_only_that_bearer_token(start_app: StartApp) -> None:
    rig = await start_app(**METRICS)
    for token in (None, "", "wrong", TOKEN + "x", TOKEN.upper()):
        response = await scrape(rig, token)
        assert response.status == 401, token
        assert "peer_" not in response.text
    async with rig.session.get(
        f"http://127.0.0.1:{rig.app.port}/metrics", headers={"Authorization": TOKEN}
    ) as resp:
        assert resp.status == 401, "the scheme is required"
    ok = await scrape(rig)
    assert ok.status == 200 and "peer_requests" in ok.text


async def test_without_a_token_metrics_are_open_when_enabled(start_app: StartApp) -> None:
    rig = await start_app(peer_metrics=True)
    assert (await scrape(rig, None)).status == 200


async def test_the_whole_output_names_nobody_and_shows_no_count_below_the_minimum(
    start_app: StartApp,
) -> None:
    rig = await start_app(**METRICS, **CHECKIN_SETTINGS, peer_min_count=3)
    rig.slack.add_users(*AFFECTED)
    await busy_day(rig)
    await open_incident(rig, incident_name=INCIDENT_NAME)
    # Slack rate-limits the first check-in once: the client waits it out and counts it.
    rig.slack.inject("chat.postMessage", Fault(status=429, error="ratelimited", retry_after=0))
    await deliver_after(rig, timedelta(days=1))
    response = await scrape(rig)
    assert response.status == 200
    text = response.text
    assert response.status == 200

    values = samples(text)
    # The figures moved: the scan below reads a real output.
    assert values[("peer_deliveries_total", (("outcome", "sent"),))] >= len(AFFECTED)
    assert values[("peer_delivery_latency_seconds_count", ())] >= len(AFFECTED)
    assert values[("peer_slack_rate_limited_total", (("method", "chat.postMessage"),))] == 1
    assert values[("peer_slack_retries_total", (("reason", "rate_limited"),))] == 1
    assert ("peer_database_errors_total", ()) in values
    assert ("peer_scheduler_lag_seconds", ()) in values

    # Nobody, nothing anyone wrote, no incident.
    people = {c.params.get("channel") or c.params.get("user") for c in rig.slack.calls} - {None}
    assert people, "no one was written to; the scan would prove nothing"
    for person in people:
        assert str(person) not in text
    assert not USER_ID.search(text)
    assert NOTE not in text and "sleep" not in text
    assert INCIDENT_NAME not in text and "Courthouse" not in text

    # Counts of what is in the database now are 0 or a multiple of the minimum.
    gauges = ("peer_requests", "peer_offers_open", "peer_scheduled_messages_due")
    for (name, labels), value in values.items():
        if name in gauges:
            assert value % 3 == 0, (name, labels, value)
    # busy_day leaves one request waiting and one closed or cancelled: each shows as 0.
    async with rig.app.db.read() as tx:  # type: ignore[union-attr]
        exact = await tx.requests.count_by_state()
    for state, n in exact.items():
        assert values[("peer_requests", (("state", state.value),))] == coarse(n, 3)
    assert any(0 < n < 3 for n in exact.values()), "no small count to hide; the test would prove nothing"


async def test_a_waiting_count_appears_only_once_it_reaches_the_minimum(start_app: StartApp) -> None:
    # No supporters: every request is escalated, one by one.
    rig = await start_app(**METRICS, peer_min_count=3)

    async def escalated() -> float:
        return samples((await scrape(rig)).text)[("peer_requests", (("state", "escalated"),))]

    for n, requester in enumerate(("UREQA1", "UREQA2", "UREQA3", "UREQA4"), start=1):
        await ask(rig, requester, note=NOTE)
        assert await escalated() == (3 if n >= 3 else 0), n


async def test_scheduler_lag_is_how_late_the_oldest_due_message_is(start_app: StartApp) -> None:
    rig = await start_app(**METRICS, **CHECKIN_SETTINGS)
    rig.slack.add_users(*AFFECTED)
    await open_incident(rig)

    def lag(text: str) -> float:
        return samples(text)[("peer_scheduler_lag_seconds", ())]

    assert lag((await scrape(rig)).text) == 0
    rig.clock.advance(timedelta(days=1, minutes=5))  # due a day after; nobody delivered yet
    assert lag((await scrape(rig)).text) == 5 * 60
    await rig.app.deliver_due()
    assert lag((await scrape(rig)).text) == 0


async def test_in_socket_mode_the_port_serves_metrics_when_enabled_and_still_no_slack_requests(
    start_app: StartApp, slack: SlackStandIn
) -> None:
    rig = await start_app(slack_app_token=slack.app_token, slack_signing_secret=None, **METRICS)
    assert (await scrape(rig)).status == 200
    assert (await scrape(rig, "wrong")).status == 401
    body = urlencode({"command": "/peer", "text": "audit", "user_id": "UCOORD1", "team_id": "T111"}).encode()
    ts = str(int(time.time()))
    response = await rig.post(
        body, "application/x-www-form-urlencoded", timestamp=ts, signature=sign("", ts, body)
    )
    assert response.status == 404
