"""Socket Mode: the HTTP port serves the health check only, and nothing verifies with an empty key.

The attack (issue 15, finding 1): with ``SLACK_APP_TOKEN`` set and no signing secret, a body signed
with HMAC-SHA256 under an empty key used to be served, so anyone who could reach the port could ask
``/peer status`` as someone else, or read the audit log as a coordinator.
"""

from __future__ import annotations

import time
from urllib.parse import urlencode

import pytest
from pydantic import ValidationError

from bot.config import Settings
from slack_standin import SlackStandIn
from tests.conftest import StartApp
from tests.rig import TOKEN, make_settings, sign

FORM = "application/x-www-form-urlencoded"
SIGNING_SECRET_GUESS = "guess"


def _slash(user_id: str, text: str) -> bytes:
    return urlencode({"command": "/peer", "text": text, "user_id": user_id, "team_id": "T111"}).encode()


@pytest.mark.parametrize("secret", [None, "", "   "])
async def test_in_socket_mode_forged_requests_find_nothing_on_the_port(
    start_app: StartApp, slack: SlackStandIn, secret: str | None
) -> None:
    rig = await start_app(slack_app_token=slack.app_token, slack_signing_secret=secret)
    await slack.wait_for(lambda: slack.socket_connections >= 1)
    assert (await rig.health()).status == 200
    ts = str(int(time.time()))
    for body in (_slash("UALICE", "status"), _slash("UCOORD1", "audit")):
        for key in ("", SIGNING_SECRET_GUESS):
            response = await rig.post(body, FORM, timestamp=ts, signature=sign(key, ts, body))
            assert response.status == 404, response.text
            assert "audit" not in response.text and "request" not in response.text.lower()


async def test_in_socket_mode_the_port_ignores_even_a_request_signed_with_the_configured_secret(
    start_app: StartApp, slack: SlackStandIn
) -> None:
    # A signing secret set beside the app token does not open the HTTP door: Slack sends nothing there.
    rig = await start_app(slack_app_token=slack.app_token)
    body = _slash("UCOORD1", "audit")
    assert (await rig.post(body, FORM)).status == 404


def test_a_blank_signing_secret_without_an_app_token_is_refused(slack: SlackStandIn) -> None:
    for blank in ("", "  "):
        with pytest.raises(ValidationError, match="SLACK_SIGNING_SECRET"):
            make_settings(slack, "sqlite:///x.db", slack_signing_secret=blank)


def test_blank_secrets_count_as_not_set() -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, slack_bot_token=TOKEN, slack_app_token="xapp-1", slack_signing_secret=""
    )
    assert settings.slack_signing_secret is None and settings.socket_mode
