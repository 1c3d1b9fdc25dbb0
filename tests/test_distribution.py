"""Distribution mode: Slack OAuth installs, tokens sealed at rest, rotation, and leaving.

Everything over real HTTP: the installer's browser GETs /slack/install and comes back to
/slack/oauth_redirect, the app exchanges the code at the stand-in's oauth.v2.access, and
requests signed like Slack's reach the app from each workspace.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography.fernet import Fernet
from pydantic import ValidationError

from bot.config import Settings, describe_error
from bot.log_format import QuietLibraries
from bot.tenancy import Workspace
from handlers.oauth import BOT_SCOPES
from slack_standin import SlackStandIn
from tests.conftest import StartApp, sqlite_only
from tests.rig import Response, Rig

KEY = Fernet.generate_key().decode()
STATE_SECRET = "state-secret-for-tests"
COOKIE = "slack-app-oauth-state"


def distribution(slack: SlackStandIn, **more: Any) -> dict[str, Any]:
    """The settings of a deployment serving OAuth installs (no bot token of its own)."""
    return {
        "slack_bot_token": None,
        "slack_client_id": slack.client_id,
        "slack_client_secret": slack.client_secret,
        "slack_state_secret": STATE_SECRET,
        "peer_encryption_key": KEY,
        **more,
    }


@dataclass
class Consent:
    """Where /slack/install sent the installer: Slack's consent screen, with the state cookie."""

    status: int
    location: str
    state: str
    cookie: str | None

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.location).query, keep_blank_values=True)


async def start_install(rig: Rig) -> Consent:
    """GET /slack/install, as an installer's browser does."""
    url = f"http://127.0.0.1:{rig.app.port}/slack/install"
    async with rig.session.get(url, allow_redirects=False) as resp:
        location = resp.headers.get("Location", "")
        cookie = resp.cookies.get(COOKIE)
        state = parse_qs(urlsplit(location).query).get("state", [""])[0]
        return Consent(resp.status, location, state, None if cookie is None else cookie.value)


async def come_back(rig: Rig, *, code: str, state: str, cookie: str | None) -> Response:
    """GET /slack/oauth_redirect?code&state from the installer's browser (with its state cookie)."""
    url = f"http://127.0.0.1:{rig.app.port}/slack/oauth_redirect"
    headers = {"Cookie": f"{COOKIE}={cookie}"} if cookie is not None else {}
    async with rig.session.get(url, params={"code": code, "state": state}, headers=headers) as resp:
        return Response(status=resp.status, text=await resp.text())


async def install(rig: Rig, team_id: str, *, team_name: str = "An office") -> Response:
    """The whole install: /slack/install, Slack's consent (the stand-in), and the redirect back."""
    consent = await start_install(rig)
    code = rig.slack.authorize(team_id, scope=consent.query["scope"][0], team_name=team_name)
    return await come_back(rig, code=code, state=consent.state, cookie=consent.cookie)


async def peer_from(rig: Rig, team_id: str, user_id: str = "UASKER") -> str:
    """``/peer`` from a person of ``team_id``; returns the token the app opened the form with."""
    before = len(rig.slack.calls_of("views.open"))
    response = await rig.command(user_id, team_id=team_id)
    assert response.status == 200
    await rig.settle()
    calls = rig.slack.calls_of("views.open")
    assert len(calls) == before + 1, response.text
    assert calls[-1].fault is None
    return calls[-1].headers["Authorization"].removeprefix("Bearer ")


@dataclass
class Forgetting:
    """A :class:`bot.tenancy.WorkspaceData` that records what it is asked to forget."""

    forgotten: list[Workspace] = field(default_factory=list)
    failures: int = 0

    async def forget(self, workspace: Workspace) -> None:
        await asyncio.sleep(0)  # let a second instance's sweep interleave
        if self.failures:
            self.failures -= 1
            raise OSError("disk unavailable")
        self.forgotten.append(workspace)


@pytest.fixture
async def dist(start_app: StartApp, slack: SlackStandIn) -> Rig:
    return await start_app(**distribution(slack))


# --- The install flow


async def test_an_install_stores_the_workspace_and_its_requests_use_its_own_token(
    dist: Rig, slack: SlackStandIn
) -> None:
    consent = await start_install(dist)
    # Straight on to Slack's consent screen, asking for the manifest's scopes, with a state that
    # the installer's browser also holds in a cookie.
    assert consent.status == 302
    assert consent.location.startswith("https://slack.com/oauth/v2/authorize?")
    assert consent.query["client_id"] == [slack.client_id]
    assert consent.query["scope"] == [",".join(BOT_SCOPES)]
    assert consent.state and consent.cookie == consent.state

    code = slack.authorize("T222", scope=consent.query["scope"][0], team_name="Adams County")
    done = await come_back(dist, code=code, state=consent.state, cookie=consent.cookie)
    assert done.status == 200
    [exchange] = slack.calls_of("oauth.v2.access")
    assert exchange.params["code"] == code
    [token] = slack.tokens_of("T222")

    assert dist.app.installations is not None
    bot = await dist.app.installations.find_bot(None, "T222")
    assert bot is not None and bot.bot_token == token and bot.team_name == "Adams County"
    assert bot.bot_user_id == "UBOTT222" and bot.bot_id == "BT222"
    assert set(bot.bot_scopes) == set(BOT_SCOPES)

    # A /peer signed by Slack from that workspace is answered with that workspace's token.
    assert await peer_from(dist, "T222") == token
    # And a workspace that never installed gets nothing opened with anyone's token.
    before = len(slack.calls_of("views.open"))
    refused = await dist.command("UOTHER", team_id="T999")
    await dist.settle()
    assert refused.status == 200 and len(slack.calls_of("views.open")) == before


async def test_two_workspaces_each_get_their_own_token(dist: Rig, slack: SlackStandIn) -> None:
    await install(dist, "T222")
    await install(dist, "T333")
    [t2], [t3] = slack.tokens_of("T222"), slack.tokens_of("T333")
    assert t2 != t3
    assert await peer_from(dist, "T333") == t3
    assert await peer_from(dist, "T222") == t2
    # Slack is asked who a token is once (at install, then once per token), not at every request.
    checks = len(slack.calls_of("auth.test"))
    assert await peer_from(dist, "T222") == t2
    assert await peer_from(dist, "T333") == t3
    assert len(slack.calls_of("auth.test")) == checks


@sqlite_only
async def test_tokens_are_never_stored_or_logged_in_clear(
    start_app: StartApp, slack: SlackStandIn, db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    slack.token_rotation = True
    caplog.set_level("DEBUG")
    rig = await start_app(**distribution(slack))
    slack.clock = lambda: rig.clock.now().timestamp()
    await install(rig, "T222")
    first = [*slack.tokens_of("T222"), *slack.refresh_tokens]
    rig.clock.advance(timedelta(hours=11))
    await peer_from(rig, "T222")  # refreshed: the stored tokens are the second pair
    secrets = [*first, *slack.tokens_of("T222"), *slack.refresh_tokens]
    assert len(set(secrets)) == 4
    assert rig.app.db is not None
    async with rig.app.db.read() as tx:
        assert await tx.installations.count_tokens() == 2  # the bot's row and the installer's
    files = [p for p in db_path.parent.iterdir() if p.name.startswith(db_path.name)]
    assert files  # the database file and its write-ahead log
    for path in files:
        content = path.read_bytes()
        for secret in secrets:
            assert secret.encode() not in content, path.name
    # What the app's log handler writes (library loggers are capped there: bot/log_format.py).
    written = [r for r in caplog.records if QuietLibraries().filter(r)]
    assert any(r.name == "handlers.oauth" for r in written)  # the refresh was logged, by team id
    logged = "\n".join(r.getMessage() for r in written)
    assert not any(secret in logged for secret in secrets)
    assert slack.client_secret not in logged


# --- The state: one use, only from the browser it was given to, only before it expires


async def test_a_forged_state_is_refused(dist: Rig, slack: SlackStandIn) -> None:
    code = slack.authorize("T222", scope=",".join(BOT_SCOPES))
    # An attacker who sets the cookie too, with a state this deployment never signed.
    forged = "bm90LWlzc3VlZA.c2lnbmVkLWJ5LW5vYm9keQ"
    refused = await come_back(dist, code=code, state=forged, cookie=forged)
    assert refused.status == 401
    # A state taken from another browser (no cookie): refused before anything else.
    consent = await start_install(dist)
    other_browser = await come_back(dist, code=code, state=consent.state, cookie=None)
    assert other_browser.status == 400
    assert slack.calls_of("oauth.v2.access") == [] and slack.tokens_of("T222") == []


async def test_a_replayed_state_is_refused(dist: Rig, slack: SlackStandIn) -> None:
    consent = await start_install(dist)
    first = slack.authorize("T222", scope=consent.query["scope"][0])
    assert (await come_back(dist, code=first, state=consent.state, cookie=consent.cookie)).status == 200
    # The same state again (a captured redirect replayed with a code of the attacker's workspace).
    second = slack.authorize("T666", scope=consent.query["scope"][0])
    replay = await come_back(dist, code=second, state=consent.state, cookie=consent.cookie)
    assert replay.status == 401
    assert len(slack.calls_of("oauth.v2.access")) == 1 and slack.tokens_of("T666") == []
    assert dist.app.installations is not None
    assert await dist.app.installations.find_bot(None, "T666") is None


async def test_an_expired_state_is_refused(dist: Rig, slack: SlackStandIn) -> None:
    consent = await start_install(dist)
    dist.clock.advance(timedelta(minutes=10, seconds=1))
    code = slack.authorize("T222", scope=consent.query["scope"][0])
    late = await come_back(dist, code=code, state=consent.state, cookie=consent.cookie)
    assert late.status == 401 and slack.calls_of("oauth.v2.access") == []
    # Just in time works.
    consent = await start_install(dist)
    dist.clock.advance(timedelta(minutes=9))
    ok = await come_back(dist, code=code, state=consent.state, cookie=consent.cookie)
    assert ok.status == 200 and slack.tokens_of("T222")


# --- Token rotation


async def test_rotating_tokens_are_refreshed_when_the_clock_says_they_expire(
    start_app: StartApp, slack: SlackStandIn
) -> None:
    slack.token_rotation = True
    rig = await start_app(**distribution(slack))
    slack.clock = lambda: rig.clock.now().timestamp()
    await install(rig, "T222")
    [first] = slack.tokens_of("T222")
    assert first.startswith("xoxe.xoxb-")
    assert await peer_from(rig, "T222") == first
    # Nine hours in: more than two hours left, nothing is refreshed.
    rig.clock.advance(timedelta(hours=9))
    assert await peer_from(rig, "T222") == first
    assert not [c for c in slack.calls_of("oauth.v2.access") if c.params.get("grant_type")]

    # Past twelve hours the first token is dead at Slack: a request refreshes it first.
    rig.clock.advance(timedelta(hours=3, seconds=1))
    second = await peer_from(rig, "T222")
    [refresh] = [c for c in slack.calls_of("oauth.v2.access") if c.params.get("grant_type")]
    assert refresh.params["grant_type"] == "refresh_token"
    assert slack.tokens_of("T222") == [second] and second != first
    # Stored (sealed), so the next request and background work use it without refreshing again.
    assert await peer_from(rig, "T222") == second
    assert rig.app.tokens is not None
    assert await rig.app.tokens.bot_token(Workspace("T222")) == second

    # Background work (no request to carry a token) refreshes by itself too, and stores it.
    rig.clock.advance(timedelta(hours=12))
    third = await rig.app.tokens.bot_token(Workspace("T222"))
    assert third is not None and third not in (first, second)
    assert slack.tokens_of("T222") == [third]
    assert await peer_from(rig, "T222") == third
    assert len([c for c in slack.calls_of("oauth.v2.access") if c.params.get("grant_type")]) == 2
    assert await rig.app.tokens.bot_token(Workspace("T999")) is None


async def test_requests_meeting_an_expiring_token_on_two_instances_refresh_it_once(
    start_app: StartApp, slack: SlackStandIn
) -> None:
    slack.token_rotation = True
    one = await start_app(**distribution(slack))
    two = await start_app(**distribution(slack))
    slack.clock = lambda: one.clock.now().timestamp()
    await install(one, "T222")
    one.clock.advance(timedelta(hours=12, seconds=1))
    # The first request's refresh is held at Slack while the second, on the other instance, finds
    # the same expired token: a refresh token is good once, so it must not spend it again.
    assert two.app.installations is not None
    claim = two.app.installations.claim_refresh
    lost = asyncio.Event()

    async def watched(bot: Any) -> bool:
        won = await claim(bot)
        if not won:
            lost.set()
        return won

    two.app.installations.claim_refresh = watched  # type: ignore[method-assign]
    slack.hold("oauth.v2.access")
    first = asyncio.create_task(one.command("UASKER", team_id="T222"))
    await slack.wait_for(lambda: slack.calls_of("oauth.v2.access")[1:])
    second = asyncio.create_task(two.command("UOTHER", team_id="T222"))
    await asyncio.wait_for(lost.wait(), 5)
    slack.release("oauth.v2.access")
    assert [r.status for r in await asyncio.gather(first, second)] == [200, 200]
    await one.settle()
    await two.settle()
    assert len([c for c in slack.calls_of("oauth.v2.access") if c.params.get("grant_type")]) == 1
    [fresh] = slack.tokens_of("T222")
    opened = slack.calls_of("views.open")
    assert [c.headers["Authorization"] for c in opened] == [f"Bearer {fresh}"] * 2
    assert all(c.fault is None for c in opened)


# --- Leaving


def uninstalled() -> dict[str, Any]:
    return {"type": "app_uninstalled"}


async def test_an_uninstall_deletes_the_tokens_at_once_and_the_data_after_the_grace(
    dist: Rig, slack: SlackStandIn
) -> None:
    data = Forgetting()
    dist.app.workspace_data = data
    await install(dist, "T222")
    await install(dist, "T333")
    assert dist.app.installations is not None and dist.app.db is not None
    slack.uninstall("T222")
    assert (await dist.event(uninstalled(), team_id="T222")).status == 200
    await dist.settle()

    # The tokens are gone from storage at once (background work finds none either); the other
    # workspace keeps its own.
    assert dist.app.tokens is not None
    assert await dist.app.tokens.bot_token(Workspace("T222")) is None
    assert await dist.app.tokens.bot_token(Workspace("T333")) == slack.tokens_of("T333")[0]
    assert await dist.app.installations.find_bot(None, "T222") is None
    assert await dist.app.installations.find_installation(None, "T222") is None
    assert await dist.app.installations.find_bot(None, "T333") is not None
    [departure] = await dist.app.installations.departures()
    assert departure.team_id == "T222"
    assert departure.forget_at == dist.clock.now() + timedelta(days=30)
    before = len(slack.calls_of("views.open"))
    await dist.command("UASKER", team_id="T222")
    await dist.settle()
    assert len(slack.calls_of("views.open")) == before

    # Not before the grace period is over...
    dist.clock.advance(timedelta(days=30) - timedelta(seconds=1))
    await dist.app.sweep()
    assert data.forgotten == []
    # ...then once, and never again.
    dist.clock.advance(timedelta(seconds=1))
    await dist.app.sweep()
    await dist.app.sweep()
    assert data.forgotten == [Workspace("T222")]
    assert await dist.app.installations.departures() == []


async def test_a_reinstall_within_the_grace_keeps_the_data(dist: Rig, slack: SlackStandIn) -> None:
    data = Forgetting()
    dist.app.workspace_data = data
    await install(dist, "T222")
    slack.uninstall("T222")
    await dist.event(uninstalled(), team_id="T222")
    await dist.settle()
    dist.clock.advance(timedelta(days=29))
    assert (await install(dist, "T222")).status == 200
    assert dist.app.installations is not None
    assert await dist.app.installations.departures() == []
    dist.clock.advance(timedelta(days=2))
    await dist.app.sweep()
    assert data.forgotten == []
    [token] = slack.tokens_of("T222")
    assert await peer_from(dist, "T222") == token


async def test_revoked_bot_tokens_count_as_leaving_and_revoked_user_tokens_do_not(
    dist: Rig, slack: SlackStandIn
) -> None:
    await install(dist, "T222")
    assert dist.app.installations is not None
    revoked_user = {"type": "tokens_revoked", "tokens": {"oauth": ["UINSTALLER"]}}
    await dist.event(revoked_user, team_id="T222")
    await dist.settle()
    assert await dist.app.installations.find_installation(None, "T222", "UINSTALLER") is None
    assert await dist.app.installations.find_bot(None, "T222") is not None
    assert await dist.app.installations.departures() == []
    # The bot still answers the workspace (Bolt finds the bot without an installer's row).
    assert await peer_from(dist, "T222") == slack.tokens_of("T222")[0]

    revoked_bot = {"type": "tokens_revoked", "tokens": {"bot": ["UBOTT222"]}}
    await dist.event(revoked_bot, team_id="T222")
    await dist.settle()
    assert await dist.app.installations.find_bot(None, "T222") is None
    [departure] = await dist.app.installations.departures()
    assert departure.team_id == "T222"


async def test_two_instances_forget_a_departed_workspace_once(
    start_app: StartApp, slack: SlackStandIn
) -> None:
    one = await start_app(**distribution(slack))
    two = await start_app(**distribution(slack))
    data = Forgetting()
    one.app.workspace_data = two.app.workspace_data = data
    await install(one, "T222")
    await one.event(uninstalled(), team_id="T222")
    await one.settle()
    one.clock.advance(timedelta(days=31))
    await asyncio.gather(one.app.sweep(), two.app.sweep(), one.app.sweep())
    assert data.forgotten == [Workspace("T222")]


async def test_a_failed_forget_is_tried_again_at_the_next_sweep(dist: Rig, slack: SlackStandIn) -> None:
    data = Forgetting(failures=1)
    dist.app.workspace_data = data
    await install(dist, "T222")
    await dist.event(uninstalled(), team_id="T222")
    await dist.settle()
    dist.clock.advance(timedelta(days=31))
    await dist.app.sweep()
    assert data.forgotten == []
    await dist.app.sweep()
    assert data.forgotten == [Workspace("T222")]


# --- Settings


def settings(**values: Any) -> Settings:
    base: dict[str, Any] = {"slack_signing_secret": "s"}
    return Settings(_env_file=None, **(base | values))  # type: ignore[call-arg]


def error_of(**values: Any) -> str:
    with pytest.raises(ValidationError) as caught:
        settings(**values)
    return describe_error(caught.value)


def test_distribution_mode_needs_all_three_oauth_settings_and_a_key_but_no_bot_token() -> None:
    full = {
        "slack_client_id": "1.2",
        "slack_client_secret": "x",
        "slack_state_secret": "y",
        "peer_encryption_key": KEY,
    }
    ready = settings(**full)
    assert ready.distribution and ready.slack_bot_token is None
    assert ready.peer_uninstall_grace == timedelta(days=30)
    assert settings(**full, peer_uninstall_grace="7d").peer_uninstall_grace == timedelta(days=7)
    assert "SLACK_STATE_SECRET" in error_of(**(full | {"slack_state_secret": ""}))
    assert "SLACK_CLIENT_SECRET" in error_of(slack_client_id="1.2", peer_encryption_key=KEY)
    assert "PEER_ENCRYPTION_KEY" in error_of(**(full | {"peer_encryption_key": None}))
    assert error_of(**(full | {"peer_encryption_key": "not-a-key"})).startswith(
        "invalid setting PEER_ENCRYPTION_KEY"
    )
    assert "PEER_UNINSTALL_GRACE" in error_of(**full, peer_uninstall_grace="soon")
    assert "SLACK_APP_TOKEN" in error_of(**full, slack_app_token="xapp-1")
    # Without them: today's single-workspace mode, which needs its bot token.
    assert "SLACK_BOT_TOKEN" in error_of()
    assert not settings(slack_bot_token="xoxb-1").distribution
    # Two keys: the first seals, both open (a key can be rotated).
    assert settings(
        **(full | {"peer_encryption_key": f"{Fernet.generate_key().decode()},{KEY}"})
    ).distribution


# --- Bad input, and single-workspace mode


async def test_bad_returns_from_slack_get_a_page_and_install_nothing(dist: Rig, slack: SlackStandIn) -> None:
    base = f"http://127.0.0.1:{dist.app.port}/slack/oauth_redirect"
    consent = await start_install(dist)
    cookie = {"Cookie": f"{COOKIE}={consent.state}"}
    answers = []
    for params, headers in (
        ({"error": "access_denied", "state": consent.state}, cookie),  # the admin clicked Cancel
        ({}, {}),
        ({"state": "x" * 5000, "code": "c"}, {"Cookie": f"{COOKIE}={'x' * 5000}"}),
        ({"state": "a.b.c", "code": "\u00e9\u0000"}, {"Cookie": f"{COOKIE}=a.b.c"}),
        ({"state": consent.state, "code": "not-a-code-slack-issued"}, cookie),  # Slack says invalid_code
    ):
        async with dist.session.get(base, params=params, headers=headers) as resp:
            answers.append((resp.status, await resp.text()))
    assert all(status in (200, 400, 401) and text for status, text in answers), answers
    assert answers[-1][0] == 401
    assert slack.grants == {}
    assert dist.app.db is not None
    async with dist.app.db.read() as tx:
        assert await tx.installations.count_tokens() == 0


async def test_single_workspace_mode_serves_no_install_and_hears_an_uninstall(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    async with rig.session.get(
        f"http://127.0.0.1:{rig.app.port}/slack/install", allow_redirects=False
    ) as resp:
        assert resp.status == 404
    assert rig.app.installations is None and rig.app.tokens is None
    assert (await rig.event(uninstalled())).status == 200
    await rig.settle()
    assert "SLACK_BOT_TOKEN no longer works" in caplog.text
