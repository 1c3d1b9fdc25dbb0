"""Two offices on one deployment, each in a database of its own: nothing crosses between them.

Everything goes over HTTP, signed as each workspace's Slack would sign it, against the stand-in
that knows both workspaces' tokens; each office's database is then read whole.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.tenancy import Workspace
from slack_standin import SlackStandIn
from storage.db import Database, workspace_database_url, workspace_keys
from storage.migrations import DEPLOYMENT_MIGRATIONS, OFFICE_MIGRATIONS
from tests.conftest import ON_POSTGRES, sqlite_only
from tests.flows import ask, who_holds_offers
from tests.offices import (
    COORDINATOR_A,
    COORDINATOR_B,
    TEAM_A,
    A,
    B,
    Offices,
    drop_workspaces,
    start_offices,
    team_rig,
)
from tests.rig import TOKEN, Rig, has_button, text_of
from tests.test_entrypoint import bare_env, migrate
from tests.world import snapshot

# Each office's people (Slack's user ids are the workspace's own).
PEOPLE_A = {"coordinator": COORDINATOR_A, "supporter": "USUPA", "requesters": ["UREQA1", "UREQA2", "UREQA3"]}
PEOPLE_B = {"coordinator": COORDINATOR_B, "supporter": "USUPB", "requesters": ["UREQB1", "UREQB2"]}
AFFECTED_A = ["UAFFA1", "UAFFA2"]
AFFECTED_B = ["UAFFB1"]
INCIDENT_A = "Courthouse fire, Dec 1"
INCIDENT_B = "Grid office flood, Dec 1"
NOTE_A = "note-of-office-a-71c"
NOTE_B = "note-of-office-b-93d"
PUBLISHED = datetime(2027, 1, 1, 9, 0, tzinfo=UTC)
START_OF_TEST = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


def everyone(people: dict[str, Any], affected: list[str]) -> list[str]:
    return [people["coordinator"], people["supporter"], *people["requesters"], *affected]


async def roster_add(rig: Rig, coordinator: str, *user_ids: str) -> dict[str, Any]:
    mentions = " ".join(f"<@{u}|{u.lower()}>" for u in user_ids)
    response = await rig.command(coordinator, f"roster add {mentions} trained 2026-01-15")
    assert response.status == 200, response.text
    await rig.settle()
    return response.json or {}


async def incident(rig: Rig, coordinator: str, name: str, people: list[str]) -> None:
    response = await rig.command(coordinator, "incident")
    assert response.status == 200
    await rig.settle()
    form = {
        "incident_kind": "critical_incident",
        "incident_name": name,
        "incident_date": "2026-11-29",
        "incident_people": people,
    }
    submitted = await rig.submit(coordinator, rig.last_view("peer_incident"), form)
    assert submitted.status == 200 and submitted.text == "", submitted.text
    await rig.settle()


async def requests_accepted_and_closed(rig: Rig, people: dict[str, Any], note: str) -> None:
    supporter = people["supporter"]
    for requester in people["requesters"]:
        submitted = await ask(rig, requester, note=note)
        assert submitted.status == 200 and submitted.text == "", submitted.text
        [offer] = rig.open_offers_to(supporter)
        held = await accept_offer(rig, supporter, offer)
        await rig.click(supporter, held, "request_close")
        await rig.settle()
        closed = await rig.submit(
            supporter, rig.last_view("peer_request_close"), {"minutes": "30", "referral": "none"}
        )
        assert closed.text == ""
        await rig.settle()


async def accept_offer(rig: Rig, supporter: str, offer: Any) -> Any:
    response = await rig.click(supporter, offer, "offer_accept")
    assert response.status == 200
    await rig.settle()
    return rig.slack.message(offer.channel, offer.ts)


async def stats(rig: Rig, coordinator: str) -> str:
    posts = len(rig.slack.response_url_posts)
    ack = await rig.command(coordinator, "stats")
    assert ack.status == 200 and "Gathering" in ack.json["text"], ack.text
    await rig.settle()
    assert len(rig.slack.response_url_posts) == posts + 1
    return text_of(rig.slack.response_url_posts[-1]["blocks"])


def flat(rows: dict[str, list[tuple]]) -> str:
    return repr(rows)


async def test_two_offices_side_by_side_request_incident_and_statistics_nothing_crossing(
    slack: SlackStandIn, database_url: str
) -> None:
    async with aiohttp.ClientSession() as session:
        app, offices = await start_offices(slack, database_url, session)
        try:
            await two_offices_at_work(slack, offices)
        finally:
            await app.stop()
            await drop_workspaces(database_url)


async def two_offices_at_work(slack: SlackStandIn, offices: Offices) -> None:
    a, b = offices.a, offices.b
    slack.add_users(*everyone(PEOPLE_A, AFFECTED_A), *everyone(PEOPLE_B, AFFECTED_B))

    # Each office's coordinator builds its roster; neither has any say in the other office.
    assert "isn't a coordinator" not in str(await roster_add(a, COORDINATOR_A, PEOPLE_A["supporter"]))
    await roster_add(b, COORDINATOR_B, PEOPLE_B["supporter"])
    refused = await b.command(COORDINATOR_A, f"roster add <@{PEOPLE_A['supporter']}|x>")
    assert refused.status == 200 and "coordinator" in refused.json["text"].lower()

    # Requests, offered to each office's own supporter only, accepted and closed.
    await requests_accepted_and_closed(a, PEOPLE_A, NOTE_A)
    await requests_accepted_and_closed(b, PEOPLE_B, NOTE_B)
    assert len(a.offers_to(PEOPLE_A["supporter"])) == 3
    assert len(b.offers_to(PEOPLE_B["supporter"])) == 2
    assert who_holds_offers(a, [PEOPLE_B["supporter"]]) == []

    # An incident in each office: check-ins go to its own people, a day later.
    await incident(a, COORDINATOR_A, INCIDENT_A, AFFECTED_A)
    await incident(b, COORDINATOR_B, INCIDENT_B, AFFECTED_B)
    a.clock.advance(timedelta(days=1))
    assert await offices.app.deliver_due() == 3
    await offices.settle()
    for people, name in ((AFFECTED_A, INCIDENT_A), (AFFECTED_B, INCIDENT_B)):
        for person in people:
            [checkin] = [m for m in slack.dms(person) if has_button(m.blocks, "checkin_ok")]
            assert name in text_of(checkin.blocks)

    # The statistics of each office count its own requests only.
    a.clock.set(PUBLISHED)
    assert "*Requests:* 3 made · 3 accepted" in await stats(a, COORDINATOR_A)
    assert "*Requests:* 2 made · 2 accepted" in await stats(b, COORDINATOR_B)

    # Every call to Slack about a person went with their own workspace's token.
    for team, people in (("T111", everyone(PEOPLE_A, AFFECTED_A)), ("T222", everyone(PEOPLE_B, AFFECTED_B))):
        for person in people:
            calls = slack.calls_for(person)
            assert calls, person
            assert {c.team for c in calls} == {team}, person
            assert {m.team for m in slack.dms(person)} <= {team}, person

    # Each database holds its own office's rows and nothing of the other's.
    office_a, office_b = await offices.office(A), await offices.office(B)
    rows_a, rows_b = flat(await snapshot(office_a.db)), flat(await snapshot(office_b.db))
    for mine, theirs, rows in (
        (everyone(PEOPLE_A, AFFECTED_A), everyone(PEOPLE_B, AFFECTED_B), rows_a),
        (everyone(PEOPLE_B, AFFECTED_B), everyone(PEOPLE_A, AFFECTED_A), rows_b),
    ):
        assert all(person in rows for person in mine)
        assert not [person for person in theirs if person in rows]
    assert INCIDENT_A in rows_a and INCIDENT_B not in rows_a
    assert INCIDENT_B in rows_b and INCIDENT_A not in rows_b
    assert office_a.pacer is not office_b.pacer  # Slack's limits are per workspace

    # The metrics count both offices' requests (summed, then floored as ever): 5 closed, floored to 4.
    figures = (await offices.app.metrics.render()).decode()
    assert 'peer_requests{state="closed"} 4.0' in figures


async def test_a_workspace_that_has_not_installed_the_app_gets_a_polite_answer(offices: Offices) -> None:
    stranger = team_rig(offices.a, {"id": "T333", "domain": "elsewhere"})
    posts = len(offices.a.slack.response_url_posts)
    response = await stranger.command("USTRANGER")
    assert response.status == 200
    await offices.settle()
    [said] = offices.a.slack.response_url_posts[posts:]
    assert "isn't set up in this workspace" in said["text"] and "988" in said["text"]
    event = await stranger.event(
        {"type": "app_home_opened", "user": "USTRANGER", "channel": "DSTRANGER", "tab": "home"}
    )
    assert event.status == 200
    assert offices.app.workspaces is not None and len(offices.app.workspaces.opened()) == 2


async def test_a_workspace_leaving_reaches_the_install_flows_listeners_even_without_a_token(
    offices: Offices, caplog: pytest.LogCaptureFixture
) -> None:
    # tokens_revoked came first and removed the token, and the app restarted since (so the office
    # is not open): app_uninstalled must still reach the leaving listener (handlers/oauth.py).
    caplog.set_level("WARNING", logger="handlers.oauth")
    leaving = team_rig(offices.a, {"id": "T555", "domain": "leaving"})
    response = await leaving.event({"type": "app_uninstalled"})
    assert response.status == 200
    assert [r for r in caplog.records if r.name == "handlers.oauth" and "uninstalled" in r.getMessage()]


@sqlite_only
async def test_an_office_whose_database_cannot_open_gets_a_polite_answer_not_a_500(
    offices: Offices, tmp_path: Path
) -> None:
    broken = Workspace(team_id="T444")
    offices.tokens.tokens[broken.key] = TOKEN
    where = tmp_path / f"peer-support.{broken.key}.db"
    where.mkdir()  # a directory where the file should be
    rig = team_rig(offices.a, {"id": "T444", "domain": "broken"})
    try:
        response = await rig.command("USOMEONE")
        assert response.status == 200
        assert "can't be reached right now" in response.json["text"] and "988" in response.json["text"]
        clicked = await rig.interact(
            {
                "type": "block_actions",
                "team": {"id": "T444"},
                "user": {"id": "U1"},
                "actions": [{"action_id": "offer_accept", "block_id": "b", "type": "button", "value": "1"}],
                "response_url": rig.slack.response_url("x"),
            }
        )
        assert clicked.status == 200
        await offices.settle()
        assert "can't be reached right now" in rig.slack.response_url_posts[-1]["text"]
    finally:
        where.rmdir()


async def test_forget_closes_the_office_and_leaves_no_file_or_schema_behind(
    offices: Offices, tmp_path: Path
) -> None:
    slack = offices.a.slack
    slack.add_users(*everyone(PEOPLE_A, []), *everyone(PEOPLE_B, []))
    for rig, people, note in ((offices.a, PEOPLE_A, NOTE_A), (offices.b, PEOPLE_B, NOTE_B)):
        await roster_add(rig, people["coordinator"], people["supporter"])
        await ask(rig, people["requesters"][0], note=note)
    assert await workspace_keys(offices.database_url) == sorted([A.key, B.key])

    # Uninstalled (the token is gone), then forgotten after the grace period.
    offices.tokens.tokens.pop(B.key)
    await offices.app.forget(B)

    assert await workspace_keys(offices.database_url) == [A.key]
    if not ON_POSTGRES:
        left = sorted(p.name for p in tmp_path.iterdir() if B.key in p.name)
        assert left == [], left
        for path in tmp_path.iterdir():
            assert NOTE_B.encode() not in path.read_bytes(), path.name
    # Office B's people reach nobody now; office A carries on.
    posts = len(slack.response_url_posts)
    refused = await offices.b.command(PEOPLE_B["requesters"][1])
    assert refused.status == 200
    await offices.settle()
    assert "isn't set up" in slack.response_url_posts[posts]["text"]
    submitted = await ask(offices.a, PEOPLE_A["requesters"][1], note=NOTE_A)
    assert submitted.status == 200
    assert len(offices.a.open_offers_to(PEOPLE_A["supporter"])) == 2


async def test_one_office_failing_never_stops_another_offices_check_ins(offices: Offices) -> None:
    slack = offices.a.slack
    slack.add_users(COORDINATOR_A, COORDINATOR_B, *AFFECTED_A, *AFFECTED_B)
    await incident(offices.a, COORDINATOR_A, INCIDENT_A, AFFECTED_A)
    await incident(offices.b, COORDINATOR_B, INCIDENT_B, AFFECTED_B)
    # Office B's database goes away under it (a broken disk, a dropped schema).
    await (await offices.office(B)).db.close()

    offices.a.clock.advance(timedelta(days=1))
    await offices.app.sweep()
    assert await offices.app.deliver_due() == len(AFFECTED_A)
    await offices.settle()
    for person in AFFECTED_A:
        assert [m for m in slack.dms(person) if has_button(m.blocks, "checkin_ok")]
    assert not [m for m in slack.dms(AFFECTED_B[0]) if has_button(m.blocks, "checkin_ok")]


async def test_after_a_restart_every_office_sends_what_is_due_without_waiting_for_a_request(
    slack: SlackStandIn, database_url: str
) -> None:
    slack.add_users(COORDINATOR_A, COORDINATOR_B, *AFFECTED_A, *AFFECTED_B)
    async with aiohttp.ClientSession() as session:
        app, offices = await start_offices(slack, database_url, session)
        try:
            await incident(offices.a, COORDINATOR_A, INCIDENT_A, AFFECTED_A)
            await incident(offices.b, COORDINATOR_B, INCIDENT_B, AFFECTED_B)
        finally:
            await app.stop()
        again, offices = await start_offices(slack, database_url, session)
        try:
            assert again.workspaces is not None and len(again.workspaces.opened()) == 2
            offices.a.clock.advance(timedelta(days=1))
            assert await again.deliver_due() == len(AFFECTED_A) + len(AFFECTED_B)
        finally:
            await again.stop()
            await drop_workspaces(database_url)


def test_a_workspace_key_names_one_workspace_and_comes_back() -> None:
    for workspace in (A, B, Workspace(team_id="T0ABC")):
        assert Workspace.from_key(workspace.key) == workspace
    assert TEAM_A["id"] == A.team_id


@sqlite_only
async def test_migrate_in_distribution_mode_migrates_every_workspace_and_keeps_the_deployment_apart(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'peer.db'}"
    # A workspace database from before the latest migrations (here: none of them).
    old = await Database.open(workspace_database_url(url, A.key), migrations=[])
    await old.close()
    out = await migrate(tmp_path, bare_env(DATABASE_URL=url, SLACK_CLIENT_ID="111.222"))
    assert "and 1 workspace database(s)" in out
    deployment = len(DEPLOYMENT_MIGRATIONS)
    for where, expected in ((workspace_database_url(url, A.key), len(OFFICE_MIGRATIONS)), (url, deployment)):
        db = await Database.open(where, migrations=[])
        try:
            async with db.read() as tx:
                applied = await (
                    await tx.conn.execute("SELECT COUNT(*) AS n FROM schema_migrations")
                ).fetchone()
                tables = await (
                    await tx.conn.execute("SELECT name FROM sqlite_master WHERE name = 'peer_requests'")
                ).fetchall()
        finally:
            await db.close()
        assert applied is not None and applied["n"] == expected
        assert bool(tables) == (where != url)  # the deployment's database holds no office's tables


async def test_an_offices_own_settings_apply_to_it_alone_with_the_environment_as_the_default(
    slack: SlackStandIn, database_url: str
) -> None:
    async with aiohttp.ClientSession() as session:
        app, offices = await start_offices(slack, database_url, session, peer_service_hours="08:00-18:00")
        try:
            async with (await offices.office(B)).db.transaction() as tx:
                for name, value in (
                    ("PEER_TIMEZONE", "America/Chicago"),
                    ("PEER_SERVICE_HOURS", "Mon-Sat 07:00-19:00"),
                    ("PEER_MIN_COUNT", "1"),  # no longer valid (at least 2): the environment's stays
                    ("PEER_COORDINATORS", "UNOBODY"),  # not an office's to set: roles are in the database
                ):
                    await tx.office_settings.put(name, value, changed_by=COORDINATOR_B, now=START_OF_TEST)
        finally:
            await app.stop()
        # Settings are read when an office's services are built: at the next start.
        again, offices = await start_offices(slack, database_url, session, peer_service_hours="08:00-18:00")
        try:
            a, b = (await offices.office(A)).services, (await offices.office(B)).services
            assert a.hours.describe() == "Mon-Fri 08:00-18:00 (UTC)"
            assert b.hours.describe() == "Mon,Tue,Wed,Thu,Fri,Sat 07:00-19:00 (America/Chicago)"
            assert a.min_count == b.min_count == 2
            assert not await b.roles.has_coordinator_role("UNOBODY")
        finally:
            await again.stop()
            await drop_workspaces(database_url)


async def test_through_the_install_flow_an_office_opens_with_its_installer_as_coordinator_and_leaves_no_trace(
    start_app: Any, slack: SlackStandIn, tmp_path: Path
) -> None:
    from tests.test_distribution import distribution, install

    rig = await start_app(**distribution(slack))
    database_url = rig.app.settings.database_url
    try:
        assert (await install(rig, "T222")).status == 200
        # The installer (the stand-in's UINSTALLER) is the new office's first coordinator.
        slack.add_users("UINSTALLER", "USUPT")
        added = await rig.command("UINSTALLER", "roster add <@USUPT|s> trained 2026-01-15", team_id="T222")
        assert "Added" in added.json["text"], added.text
        assert await workspace_keys(database_url) == ["t222"]

        # It leaves: tokens at once, its database after the grace period (the sweep, once).
        slack.uninstall("T222")
        assert (await rig.event({"type": "app_uninstalled"}, team_id="T222")).status == 200
        await rig.settle()
        # The process that heard it keeps no open office for it (a cached one would outlive its
        # database, and a reinstall after the grace would write to a deleted file or schema).
        assert rig.app.workspaces is not None
        assert [o for o in rig.app.workspaces.opened() if o.workspace and o.workspace.team_id == "T222"] == []
        rig.clock.advance(timedelta(days=30))
        await rig.app.sweep()
        assert await workspace_keys(database_url) == []
        if not ON_POSTGRES:
            assert not [p.name for p in tmp_path.iterdir() if "t222" in p.name]
    finally:
        await drop_workspaces(database_url)
