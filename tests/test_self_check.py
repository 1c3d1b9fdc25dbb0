"""The private self-check: scored as the PC-PTSD-5 is published, shown only to the person, kept nowhere."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

import pytest

from bot import self_check as sc
from bot.app import configure_logging
from bot.errors import InvalidForm
from handlers.selfcheck.ids import ITEM_FIELDS, SelfCheckField
from tests.conftest import sqlite_only
from tests.rig import Rig, text_of
from tests.world import snapshot

USER_ID = re.compile(r"\b[UW][A-Z0-9]{4,}\b")
# Someone who has never used the app: any trace of them in the database would be the self-check's.
CHECKER = "UCHECK7Q"
NO_ANSWERS: tuple[bool, ...] = ()

# --- Scoring, against the published scoring (Prins et al. 2016): "No" to exposure is a total of 0;
# otherwise the count of "yes" answers, 0 to 5; 3 or more screens positive.


@pytest.mark.parametrize(
    ("exposed", "answers", "total", "band"),
    [
        (False, NO_ANSWERS, 0, sc.Band.NO_EXPOSURE),
        (True, (False, False, False, False, False), 0, sc.Band.BELOW),
        (True, (True, False, False, False, False), 1, sc.Band.BELOW),
        (True, (False, True, False, True, False), 2, sc.Band.BELOW),
        (True, (True, True, True, False, False), 3, sc.Band.POSITIVE),
        (True, (False, False, True, True, True), 3, sc.Band.POSITIVE),
        (True, (True, True, False, True, True), 4, sc.Band.POSITIVE),
        (True, (True, True, True, True, True), 5, sc.Band.POSITIVE),
    ],
)
def test_scoring_follows_the_published_pc_ptsd_5(
    exposed: bool, answers: tuple[bool, ...], total: int, band: sc.Band
) -> None:
    assert sc.score(exposed=exposed, answers=answers) == sc.SelfCheckResult(score=total, band=band)


def test_without_exposure_the_items_do_not_count() -> None:
    # The published instruction: 'If "No," screen total = 0.'
    assert sc.score(exposed=False, answers=(True,) * 5).score == 0
    assert sc.score_form(exposure="no", items={n: "yes" for n in range(1, 6)}).score == 0


def test_the_form_needs_every_item_once_exposure_is_yes() -> None:
    with pytest.raises(InvalidForm) as missing_exposure:
        sc.score_form(exposure=None, items={})
    assert set(missing_exposure.value.errors) == {"exposure"}
    with pytest.raises(InvalidForm) as missing_items:
        sc.score_form(exposure="yes", items={1: "yes", 2: "no", 3: None, 4: "maybe"})
    assert set(missing_items.value.errors) == {"item3", "item4", "item5"}
    assert sc.score_form(exposure="yes", items={1: "yes", 2: "yes", 3: "yes", 4: "no", 5: "no"}).score == 3


def test_the_items_are_the_published_wording() -> None:
    assert len(sc.ITEMS) == 5
    assert sc.ITEMS[0].startswith("had nightmares about the event(s)")
    assert sc.ITEMS[4].endswith("any problems the event(s) may have caused?")
    assert sc.CUT_POINT == 3


# --- In Slack: the modal, the result in its place, and nothing anywhere else.


def answers(exposure: str, *items: str) -> dict[str, Any]:
    values: dict[str, Any] = {SelfCheckField.EXPOSURE: exposure}
    values.update({f: v for f, v in zip(ITEM_FIELDS, items, strict=False)})
    return values


async def take_check(rig: Rig, values: dict[str, Any]) -> dict[str, Any]:
    """Open the self-check with ``/peer check`` and submit ``values``; the submission's answer."""
    response = await rig.command(CHECKER, "check")
    assert response.status == 200
    await rig.settle()
    view = rig.view_opened_for(CHECKER)
    assert view is not None and view["callback_id"] == "peer_self_check"
    submitted = await rig.submit(CHECKER, view, values)
    assert submitted.status == 200
    await rig.settle()
    return submitted.json


async def test_the_modal_names_the_instrument_its_source_and_licence(rig: Rig) -> None:
    await rig.command(CHECKER, "check")
    await rig.settle()
    view = rig.view_opened_for(CHECKER)
    assert view is not None
    shown = text_of(view["blocks"])
    assert "PC-PTSD-5" in shown and "National Center for PTSD" in shown and "public domain" in shown
    assert "nightmares about the event(s)" in shown
    assert "not saved" in shown


@pytest.mark.parametrize(
    ("values", "score", "says"),
    [
        (answers("no"), 0, "haven't experienced this kind of event"),
        (answers("yes", "yes", "no", "no", "no", "no"), 1, "below the screen's cut-point of 3"),
        (answers("yes", "yes", "yes", "yes", "no", "yes"), 4, "a proper assessment by a mental health"),
    ],
)
async def test_the_result_replaces_the_modal_with_its_meaning_and_crisis_lines(
    rig: Rig, values: dict[str, Any], score: int, says: str
) -> None:
    answer = await take_check(rig, values)
    assert answer["response_action"] == "update"
    shown = text_of(answer["view"]["blocks"])
    assert f"Your score: {score} of 5" in shown
    assert says in shown
    assert "988" in shown and "741741" in shown and "911" in shown


async def test_the_result_lists_the_offices_trauma_resources(start_app, tmp_path: Path) -> None:
    seed = tmp_path / "resources.json"
    therapist = {"name": "Dr. Rivera", "purpose": "Trauma therapy", "phone": "555-0100", "topics": ["trauma"]}
    money = {"name": "Credit counseling", "purpose": "Debt advice", "phone": "555-0199", "topics": ["money"]}
    seed.write_text(json.dumps([therapist, money]), encoding="utf-8")
    rig = await start_app(peer_resources_file=str(seed))
    shown = text_of((await take_check(rig, POSITIVE))["view"]["blocks"])
    assert shown.index("988") < shown.index("Dr. Rivera") and "Credit counseling" not in shown


async def test_missing_answers_get_inline_errors(rig: Rig) -> None:
    answer = await take_check(rig, answers("yes", "yes", "no"))
    assert answer["response_action"] == "errors"
    assert set(answer["errors"]) == {"check_item3", "check_item4", "check_item5"}
    answer = await take_check(rig, {})
    assert set(answer["errors"]) == {"check_exposure"}


async def test_the_home_tab_offers_the_self_check(rig: Rig) -> None:
    await rig.event({"type": "app_home_opened", "user": CHECKER, "tab": "home"})
    await rig.settle()
    calls = len(rig.slack.calls)
    await rig.home_click(CHECKER, "home_self_check")
    await rig.settle()
    opened = [c for c in rig.slack.calls[calls:] if c.method == "views.open"]
    assert [c.params["view"]["callback_id"] for c in opened] == ["peer_self_check"]


POSITIVE = answers("yes", "yes", "yes", "yes", "yes", "no")


async def test_nothing_of_a_self_check_reaches_anyone_else(rig: Rig) -> None:
    calls = len(rig.slack.calls)
    answer = await take_check(rig, POSITIVE)
    assert "Your score: 4 of 5" in text_of(answer["view"]["blocks"])
    # The only call to Slack was opening the modal for them; the result came back in the answer.
    assert [c.method for c in rig.slack.calls[calls:] if c.method != "auth.test"] == ["views.open"]
    assert not rig.slack.home_views and not rig.slack.dms(CHECKER)


@sqlite_only
async def test_nothing_of_a_self_check_is_stored_or_logged(
    rig: Rig, db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    assert rig.app.db is not None
    before = await snapshot(rig.app.db)
    configure_logging("DEBUG")  # even at DEBUG
    caplog.set_level(logging.DEBUG)
    try:
        await take_check(rig, POSITIVE)
        await take_check(rig, answers("yes", "yes", "no"))  # an invalid one too
        await rig.app.sweep()
    finally:
        logging.getLogger().setLevel(logging.WARNING)
    assert await snapshot(rig.app.db) == before

    def stored() -> bytes:
        files = [db_path, *(db_path.with_name(db_path.name + suffix) for suffix in ("-wal", "-shm"))]
        return b"".join(f.read_bytes() for f in files if f.exists())

    while_running = stored()
    await rig.app.stop()
    for scanned in (while_running, stored()):
        assert scanned, "nothing scanned"
        for trace in (CHECKER, "PC-PTSD", "nightmares", "self_check", "check_item", "Your score"):
            assert trace.encode() not in scanned, trace
    for record in caplog.records:
        message = record.getMessage()
        assert CHECKER not in message and not USER_ID.search(message), message
        assert "check" not in message.lower() and "score" not in message.lower(), message
