"""``LOG_FORMAT=json``: the real process writes one JSON object per line, naming ids, never people."""

from __future__ import annotations

import json
import logging
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.log_format import JsonFormatter, configure_logging
from slack_standin import SlackStandIn
from slack_standin.driver import TOKEN, SlackDriver, has_button
from tests.processes import ROOT, BotProcess

COORDINATOR = "UCOORD1"
SUPPORTER = "USUPJSON1"
REQUESTERS = ["UREQJSON1", "UREQJSON2"]
NOTE = "My sister's case is in our own unit and I can't sleep."
USER_ID = re.compile(r"\b[UW][A-Z0-9]{4,}\b")


@pytest.fixture
async def slack() -> AsyncIterator[SlackStandIn]:
    standin = SlackStandIn(token=TOKEN)
    await standin.start()
    standin.add_users(COORDINATOR, SUPPORTER, *REQUESTERS)
    yield standin
    await standin.stop()


async def ask(slack: SlackStandIn, driver: SlackDriver, requester: str) -> None:
    await driver.command(requester)
    view = await slack.wait_for(lambda: driver.view_opened_for(requester))
    form = {"area": "personal", "urgency": "this_week", "contact": "slack", "note": NOTE}
    response = await driver.submit(requester, view, form)
    assert response.status == 200 and response.text == "", response.text


async def test_json_logs_are_one_object_per_line_with_ids_and_no_people_or_notes(
    slack: SlackStandIn, database_url: str, tmp_path: Path
) -> None:
    log = tmp_path / "bot.log"
    bot = BotProcess(slack, database_url, log, env={"LOG_FORMAT": "json", "LOG_LEVEL": "DEBUG"})
    await bot.start()
    try:
        async with aiohttp.ClientSession() as session:
            driver = SlackDriver(slack, session, url=bot.url)
            response = await driver.command(COORDINATOR, f"roster add <@{SUPPORTER}|sup> trained 2026-01-15")
            assert response.status == 200
            await ask(slack, driver, REQUESTERS[0])
            offer = await slack.wait_for(
                lambda: next((m for m in slack.dms(SUPPORTER) if has_button(m.blocks, "offer_accept")), None)
            )
            assert (await driver.click(SUPPORTER, offer, "offer_accept")).status == 200
            await slack.wait_for(lambda: NOTE in str(slack.message(offer.channel, offer.ts).blocks))
            await ask(slack, driver, REQUESTERS[1])
            await slack.wait_for(lambda: slack.dms(REQUESTERS[1]))
            assert (await driver.command(REQUESTERS[1], "cancel")).status == 200
            # A forged request and a malformed one are logged too (or not): still JSON.
            assert (
                await driver.post(
                    b"command=/peer&user_id=UFORGED1", "application/x-www-form-urlencoded", signature="v0=00"
                )
            ).status == 401
    finally:
        await bot.stop()
    assert bot.proc is not None and bot.proc.returncode == 0

    lines = log.read_text().splitlines()
    entries = [json.loads(line) for line in lines if line.strip()]  # every line parses, or this fails
    assert all(isinstance(e, dict) for e in entries)
    for entry in entries:
        assert {"time", "level", "logger", "message"} <= entry.keys(), entry
        assert entry["time"].endswith("+00:00")
    assert any(e.get("request_id") == 1 and e["message"] == "request 1 created" for e in entries), (
        "the flow logged no request ids as fields; the scan below would prove nothing"
    )
    assert any(e.get("message_id") is not None for e in entries), "no scheduled message was logged"
    people = (COORDINATOR, SUPPORTER, *REQUESTERS, "UFORGED1")
    for line in lines:
        assert NOTE not in line and "sleep" not in line
        assert not any(person in line for person in people), line
    for entry in entries:
        fields = [str(v) for k, v in entry.items() if k != "level"]
        assert not any(USER_ID.search(v) for v in fields), entry


def test_an_exception_on_a_record_is_written_as_its_type_and_place_never_its_message() -> None:
    try:
        raise KeyError("UALICE asked about her sister")
    except KeyError:
        record = logging.LogRecord("bot.x", logging.ERROR, __file__, 1, "failed", None, exc_info=None)
        record.exc_info = sys.exc_info()
    record.request_id = 7
    record.payload = {"user": "UALICE"}  # not a scalar: dropped
    entry = json.loads(JsonFormatter().format(record))
    assert entry["error"].startswith("KeyError at test_json_logs.py:")
    assert entry["request_id"] == 7 and "payload" not in entry
    assert "UALICE" not in json.dumps(entry)


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_a_library_logger_given_debug_by_its_library_still_writes_nothing_below_warning(
    log_format: str,
) -> None:
    # Bolt copies the root level into the loggers it makes: at LOG_LEVEL=DEBUG it logged bodies.
    script = (
        "import logging\n"
        "from bot.log_format import configure_logging\n"
        f"configure_logging('DEBUG', {log_format!r})\n"
        "bolt = logging.getLogger('slack_bolt.AsyncApp'); bolt.setLevel(logging.DEBUG)\n"
        "bolt.debug('Responding with body UALICE1')\n"
        "logging.getLogger('slack_sdk.web.base_client').debug('Received body UALICE1')\n"
        "bolt.warning('a warning passes')\n"
        "logging.getLogger('bot.x').debug('request 1 created')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    assert "UALICE1" not in done.stderr
    assert "a warning passes" in done.stderr and "request 1 created" in done.stderr


class CountedText(str):
    """A message text that counts how often something formats it for display (``repr``), as a
    debug line built from a call's parameters does; sent as JSON, it is never asked."""

    formatted = 0

    def __repr__(self) -> str:
        CountedText.formatted += 1
        return super().__repr__()


async def test_web_api_calls_build_no_debug_lines_the_log_would_drop(slack: SlackStandIn) -> None:
    configure_logging("INFO")
    client = AsyncWebClient(token=TOKEN, base_url=slack.base_url)
    CountedText.formatted = 0
    text = CountedText("Checking in after last week.")
    await client.chat_postMessage(channel=COORDINATOR, text=text)
    assert [c.params.get("text") for c in slack.calls_for(COORDINATOR)] == [str(text)]
    # slack_sdk formats every request and response for a debug line unless its client logger's
    # own level says not to: costly under load, and the text of a message besides.
    assert CountedText.formatted == 0
