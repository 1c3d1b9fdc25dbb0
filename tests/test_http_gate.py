"""Hostile and malformed HTTP: 401 for anything unsigned or stale, 4xx for garbage, never 500."""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

from tests.rig import SIGNING_SECRET, Rig, sign

FORM = "application/x-www-form-urlencoded"
SLASH = urlencode({"command": "/peer", "text": "help", "user_id": "U1", "team_id": "T111"}).encode()


async def test_health_answers_once_storage_is_open(rig: Rig) -> None:
    response = await rig.health()
    assert response.status == 200 and response.json == {"status": "ok", "storage": "ok"}


async def test_health_answers_503_when_storage_is_closed(rig: Rig) -> None:
    assert rig.app.db is not None
    await rig.app.db.close()
    response = await rig.health()
    assert response.status == 503


async def test_a_correctly_signed_slash_command_is_served(rig: Rig) -> None:
    response = await rig.post(SLASH, FORM)
    assert response.status == 200 and "/peer status" in response.json["text"]


async def test_forged_signature_is_401(rig: Rig) -> None:
    ts = str(int(time.time()))
    forged = sign("not-the-secret", ts, SLASH)
    assert (await rig.post(SLASH, FORM, timestamp=ts, signature=forged)).status == 401
    assert (await rig.post(SLASH, FORM, signature="")).status == 401


async def test_a_body_changed_after_signing_is_401(rig: Rig) -> None:
    ts = str(int(time.time()))
    signature = sign(SIGNING_SECRET, ts, SLASH)
    tampered = SLASH.replace(b"help", b"roster")
    assert (await rig.post(tampered, FORM, timestamp=ts, signature=signature)).status == 401


async def test_a_timestamp_older_than_five_minutes_is_401(rig: Rig) -> None:
    old = str(int(time.time()) - 301)
    assert (await rig.post(SLASH, FORM, timestamp=old)).status == 401
    future = str(int(time.time()) + 302)  # int() drops up to a second: +301 could read as 300
    assert (await rig.post(SLASH, FORM, timestamp=future)).status == 401


async def test_a_non_numeric_timestamp_is_401_not_500(rig: Rig) -> None:
    assert (await rig.post(SLASH, FORM, timestamp="yesterday", signature="v0=00")).status == 401


async def test_signed_but_malformed_bodies_are_400(rig: Rig) -> None:
    cases = [
        (b"{not json", "application/json"),
        (b"[1, 2, 3]", "application/json"),
        (json.dumps({"type": "mystery"}).encode(), "application/json"),
        (urlencode({"payload": "{broken"}).encode(), FORM),
        (urlencode({"payload": json.dumps(["list"])}).encode(), FORM),
        (urlencode({"payload": json.dumps({"type": "block_actions"})}).encode(), FORM),
        (urlencode({"hello": "world"}).encode(), FORM),
        (b"\xff\xfe\x00binary", FORM),
        (b"plain text", "text/plain"),
    ]
    for body, content_type in cases:
        response = await rig.post(body, content_type)
        assert response.status == 400, (body, response.status, response.text)
    assert (await rig.health()).status == 200


async def test_a_well_formed_but_unknown_action_is_not_a_500(rig: Rig) -> None:
    payload = {
        "type": "block_actions",
        "user": {"id": "U1", "username": "u", "name": "u", "team_id": "T111"},
        "team": {"id": "T111", "domain": "d"},
        "api_app_id": "A111",
        "trigger_id": "1.2.3",
        "container": {"type": "message", "channel_id": "D1", "message_ts": "1.1"},
        "actions": [{"action_id": "no_such_button", "block_id": "b", "type": "button", "value": "x"}],
    }
    response = await rig.interact(payload)
    assert 200 <= response.status < 500
    assert (await rig.health()).status == 200


async def test_an_oversized_body_is_refused(rig: Rig) -> None:
    body = urlencode({"command": "/peer", "user_id": "U1", "text": "x" * (1024 * 1024 + 10)}).encode()
    response = await rig.post(body, FORM)
    assert response.status == 413
    assert (await rig.health()).status == 200


async def test_url_verification_echoes_the_challenge(rig: Rig) -> None:
    body = json.dumps({"token": "t", "challenge": "3eZbrw1aBm2rZg", "type": "url_verification"}).encode()
    response = await rig.post(body, "application/json")
    assert response.status == 200 and response.json == {"challenge": "3eZbrw1aBm2rZg"}


async def test_the_slack_documented_signature_vector() -> None:
    # From Slack's "Verifying requests" worked example (shared/slack-payloads/slash_command.json).
    body = (
        b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
        b"&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text="
        b"&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
        b"&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
    )
    expected = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
    assert sign("8f742231b10e8888abcd99yyyzzz85a5", "1531420618", body) == expected


async def test_app_home_opened_publishes_a_home_tab(rig: Rig) -> None:
    event = {
        "type": "app_home_opened",
        "user": "UANYONE",
        "channel": "DANYONE",
        "tab": "home",
        "event_ts": "1.2",
    }
    response = await rig.event(event)
    await rig.settle()
    assert response.status == 200
    view = rig.slack.home_views["UANYONE"]
    assert view["type"] == "home" and "Talk to a peer" in json.dumps(view)

    opened = len(rig.slack.calls_of("views.open"))
    await rig.home_click("UANYONE", "home_open_request")
    await rig.settle()
    assert rig.slack.calls_of("views.open")[opened].params["view"]["callback_id"] == "peer_request"
