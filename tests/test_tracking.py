"""Confidential tracking: suppressed statistics, export, audit, and a purge that really forgets."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image

from bot.periods import parse_period
from bot.suppression import Hidden, breakdown, describe, single
from tests.conftest import sqlite_only
from tests.flows import COORDINATOR, accept, add_supporters, ask, who_holds_offers
from tests.rig import Rig, text_of

SUPPORTERS = ["USUP1", "USUP2", "USUP3"]


# Suppression and periods (pure)


def test_counts_between_one_and_k_minus_one_are_hidden() -> None:
    assert single(0, 3).value == 0
    assert single(2, 3).hidden == Hidden.SMALL
    assert single(3, 3).value == 3


def test_one_hidden_cell_takes_a_second_one_with_it() -> None:
    result = breakdown({"trauma": 5, "grief": 1, "work": 2, "health": 0}, 3)
    assert result.cells["grief"].hidden == Hidden.SMALL
    assert result.cells["work"].hidden == Hidden.SMALL
    assert result.cells["trauma"].value == 5 and result.cells["health"].value == 0
    assert result.total.value == 8

    result = breakdown({"trauma": 5, "grief": 1, "work": 4}, 3)
    # Total 10 minus 5 minus 4 would give grief back: the next smallest (work) goes too.
    assert result.cells["work"].hidden == Hidden.COMPLEMENTARY and result.cells["trauma"].value == 5


def test_hidden_cells_that_together_stay_small_pull_in_more() -> None:
    result = breakdown({"a": 1, "b": 1, "c": 6}, 3)
    # a + b = 2 < 3 would still identify both: c is hidden too, and then the total cannot help.
    assert {k for k, c in result.cells.items() if c.value is None} == {"a", "b", "c"}
    assert result.total.value == 8


def test_a_small_total_hides_everything() -> None:
    result = breakdown({"a": 1, "b": 1, "c": 0}, 3)
    assert result.total.hidden == Hidden.SMALL
    assert describe(result.cells["a"], 3) == "fewer than 3"
    # A zero beside a hidden total would say where the few are: it is hidden too.
    assert describe(result.cells["c"], 3) == "suppressed"


def test_a_lone_nonzero_cell_hides_the_total() -> None:
    result = breakdown({"a": 2, "b": 0}, 3)
    assert result.total.value is None and result.cells["a"].value is None


def test_a_cell_known_from_elsewhere_never_hides_a_small_one() -> None:
    # An incident step: 9 sent, ok 4, talk 0, stop 3, not answered 2. The next step's size tells
    # the stops, so hiding them would leave 9 - 4 - 0 - 3 = 2: okay is hidden instead.
    counts = {"ok": 4, "talk": 0, "stop": 3, "not_answered": 2}
    assert breakdown(counts, 3).cells["stop"].hidden == Hidden.COMPLEMENTARY
    result = breakdown(counts, 3, known=frozenset({"stop"}))
    assert result.cells["stop"].value == 3 and result.cells["ok"].hidden == Hidden.COMPLEMENTARY
    assert result.cells["not_answered"].hidden == Hidden.SMALL and result.total.value == 9
    # Only known cells beside the small one: nothing left to hide with, so the total goes.
    lone = breakdown({"stop": 5, "not_answered": 1}, 3, known=frozenset({"stop"}))
    assert lone.total.value is None and lone.cells["not_answered"].hidden == Hidden.SMALL


def test_periods() -> None:
    today = date(2026, 11, 30)
    assert parse_period(None, today=today).start == date(2026, 9, 2)
    q3 = parse_period("2026-Q3", today=today)
    assert (q3.start, q3.end) == (date(2026, 7, 1), date(2026, 10, 1))
    span = parse_period("2026-01..2026-06", today=today)
    assert (span.start, span.end) == (date(2026, 1, 1), date(2026, 7, 1))
    assert parse_period("30d", today=today).start == date(2026, 11, 1)
    assert parse_period("2026-12", today=today).end == date(2027, 1, 1)
    for bad in ("yesterday", "2026-13", "2026-06..2026-01", "0d"):
        with pytest.raises(ValueError):
            parse_period(bad, today=today)


# Through the app


async def close_one(
    rig: Rig, requester: str, *, area: str, referral: str, minutes: str = "30", note: str | None = None
) -> None:
    await ask(rig, requester, area=area, note=note)
    rig.clock.advance(timedelta(minutes=10))
    [holder] = who_holds_offers(rig, SUPPORTERS)
    held = await accept(rig, holder)
    await rig.click(holder, held, "request_close")
    await rig.settle()
    response = await rig.submit(
        holder, rig.last_view("peer_request_close"), {"minutes": minutes, "referral": referral}
    )
    assert response.text == ""
    await rig.settle()


# Statistics are published per completed quarter: the suite starts on 2026-11-30 (in 2026-Q4), so
# figures of what a test did appear from 2027-01-01.
PUBLISHED = datetime(2027, 1, 1, 9, 0, tzinfo=UTC)


async def published_stats(rig: Rig, period: str = "") -> str:
    """``/peer stats`` once the quarter the test happened in has closed."""
    if rig.clock.now() < PUBLISHED:
        rig.clock.set(PUBLISHED)
    return await stats_text(rig, period)


async def stats_text(rig: Rig, period: str = "") -> str:
    posts = len(rig.slack.response_url_posts)
    ack = await rig.command(COORDINATOR, f"stats {period}".strip())
    assert ack.status == 200 and "Gathering" in ack.json["text"]
    await rig.settle()
    assert len(rig.slack.response_url_posts) == posts + 1
    return text_of(rig.slack.response_url_posts[-1]["blocks"])


async def known_month(rig: Rig) -> None:
    await add_supporters(rig, *SUPPORTERS)
    for n in range(5):
        await close_one(rig, f"UT{n}", area="trauma", referral="eap" if n < 3 else "none")
    await close_one(rig, "UG0", area="grief", referral="none")
    for n in range(2):
        await close_one(rig, f"UW{n}", area="work_stress", referral="none")
    await ask(rig, "UCANCEL")
    await rig.command("UCANCEL", "cancel")
    await rig.settle()


async def test_stats_give_exactly_the_expected_suppressed_numbers(start_app) -> None:
    rig = await start_app(peer_supporter_capacity=20)
    await known_month(rig)
    text = await published_stats(rig)
    assert "*Requests:* 9 made · 8 accepted · 0 escalated · fewer than 3 cancelled" in text
    assert "*Contacts:* 8 · *supporter time, all together:* 4.0 h" in text
    assert "Case or trauma exposure: 5" in text
    assert "Grief or loss: fewer than 3" in text
    assert "Work stress: fewer than 3" in text  # 1 and 2 hidden together: 3, no single one recoverable
    assert "_Total: 8_" in text
    assert "Employee Assistance Program (EAP): 3" in text and "• None: 5" in text
    assert "*Median time to accept:* 10 min" in text
    for requester in ("UT0", "UG0", "UW1", "UCANCEL"):
        assert requester not in text


async def test_complementary_suppression_through_the_app(start_app) -> None:
    rig = await start_app(peer_supporter_capacity=20)
    await add_supporters(rig, *SUPPORTERS)
    for n in range(5):
        await close_one(rig, f"UT{n}", area="trauma", referral="none")
    for n in range(4):
        await close_one(rig, f"UH{n}", area="health", referral="none")
    await close_one(rig, "UG0", area="grief", referral="none")
    text = await published_stats(rig)
    assert "Grief or loss: fewer than 3" in text
    assert "Health: suppressed" in text  # else 10 - 5 - 4 = 1 gives grief back
    assert "Case or trauma exposure: 5" in text and "_Total: 10_" in text


async def test_stats_are_for_coordinators_only_and_periods_are_checked(rig: Rig) -> None:
    for command in ("stats", "export", "audit", "stats 2026-Q3"):
        assert "only program coordinators" in (await rig.command("USUP1", command)).json["text"]
    assert "couldn't read that period" in (await rig.command(COORDINATOR, "stats lately")).json["text"]
    await rig.settle()
    assert not rig.slack.response_url_posts


async def test_export_sends_a_csv_and_a_png_to_the_coordinators_dm(start_app) -> None:
    rig = await start_app(peer_supporter_capacity=20)
    await known_month(rig)
    rig.clock.set(PUBLISHED)
    ack = await rig.command(COORDINATOR, "export 2026-Q4")
    assert ack.status == 200
    await rig.settle()
    files = {f["filename"]: f for f in rig.slack.files.values()}
    csv_file = next(f for name, f in files.items() if name.endswith(".csv"))
    png_file = next(f for name, f in files.items() if name.endswith(".png"))
    assert csv_file["channel"] == png_file["channel"] == "DCOORD1"
    rows = list(csv.reader(io.StringIO(csv_file["content"].decode())))
    header, quarter = rows[0], rows[1]
    assert quarter[0] == "2026-Q4"
    values = dict(zip(header, quarter, strict=False))
    assert values["Case or trauma exposure"] == "5"
    assert values["Grief or loss"] == "fewer than 3" and values["Work stress"] == "fewer than 3"
    assert values["total contacts by area"] == "8"
    assert not any(r in csv_file["content"].decode() for r in ("UT0", "UG0"))
    image = Image.open(io.BytesIO(png_file["content"]))
    image.load()
    assert image.format == "PNG" and image.size[0] > 100
    assert "in your DM" in rig.slack.response_url_posts[-1]["text"]
    audit = (await rig.command(COORDINATOR, "audit")).json["text"]
    assert "export" in audit and "roster add" in audit


async def test_supporters_log_contacts_by_hand(start_app) -> None:
    rig = await start_app()
    await add_supporters(rig, "USUP1")
    refused = await rig.command("UNOTSUP", "log")
    assert "for peer supporters" in refused.json["text"]
    await rig.command("USUP1", "log")
    await rig.settle()
    view = rig.last_view("peer_log_contact")
    bad = await rig.submit(
        "USUP1", view, {"contact_date": "2027-01-01", "contact_minutes": "0", "contact_areas": []}
    )
    assert set(bad.json["errors"]) == {
        "contact_date",
        "contact_minutes",
        "contact_areas",
        "contact_channel",
        "contact_referral",
    }
    good = {
        "contact_date": "2026-11-27",
        "contact_minutes": "50",
        "contact_areas": ["trauma", "grief"],
        "contact_channel": "walk_in",
        "contact_referral": "counselor",
    }
    for _ in range(3):
        logged = await rig.submit("USUP1", view, good)
        assert logged.json["response_action"] == "update"
        assert "Contact logged" in logged.json["view"]["title"]["text"]
    text = await published_stats(rig)
    assert "*Contacts:* 3" in text and "2.5 h" in text
    assert "Case or trauma exposure: 3" in text and "Grief or loss: 3" in text
    assert "Walk-in: 3" in text and "Counselor or therapist: 3" in text


@sqlite_only
async def test_the_purge_really_forgets_and_the_stats_do_not_change(start_app, db_path: Path) -> None:
    secret_note = "My ex-husband is the defendant in the Marlow case"
    rig = await start_app(peer_supporter_capacity=20, peer_retention_days=30)
    # In 2026-Q3, so the quarter is published while the retention period still runs.
    closed_on = datetime(2026, 9, 20, 10, 0, tzinfo=UTC)
    rig.clock.set(closed_on)
    await add_supporters(rig, *SUPPORTERS)
    await close_one(rig, "USECRETREQ", area="personal", referral="none", note=secret_note)
    for n in range(3):
        await close_one(rig, f"UOTHER{n}", area="personal", referral="none")
    rig.clock.set(datetime(2026, 10, 1, 9, 0, tzinfo=UTC))
    before = await stats_text(rig, "2026-Q3")
    assert "*Contacts:* 4" in before

    rig.clock.set(closed_on + timedelta(days=29))
    await rig.app.sweep()
    assert in_database(db_path, "USECRETREQ"), "purged before the retention period"

    rig.clock.set(closed_on + timedelta(days=31))
    await rig.app.sweep()
    for secret in ("USECRETREQ", secret_note, "Marlow"):
        assert not in_database(db_path, secret), secret
    after = await stats_text(rig, "2026-Q3")
    assert before == after


@sqlite_only
async def test_retention_zero_purges_at_once(start_app, db_path: Path) -> None:
    rig = await start_app(peer_retention_days=0)
    await add_supporters(rig, *SUPPORTERS)
    await close_one(rig, "USECRETREQ", area="grief", referral="eap", note="the note")
    await rig.app.sweep()
    assert not in_database(db_path, "USECRETREQ")
    assert not in_database(db_path, "the note")


async def test_the_audit_log_records_who_did_what_but_no_request_content(start_app) -> None:
    rig = await start_app(peer_supporter_capacity=20)
    await add_supporters(rig, "USUP1")
    await ask(rig, "UREQ1", note="private words", excluded=["USUP1"])
    [alert] = [m for m in rig.slack.dms(COORDINATOR) if "is waiting" in text_of(m.blocks)]
    await add_supporters(rig, "USUP2")
    await rig.command(COORDINATOR, "roster remove <@USUP2|two>")
    await rig.settle()
    text = (await rig.command(COORDINATOR, "audit")).json["text"]
    assert "roster add · " not in text  # format is "action: detail"
    assert "roster add: <@USUP1> trained 2026-01-15" in text and "roster remove: <@USUP2>" in text
    assert "private words" not in text and "UREQ1" not in text
    assert alert is not None


def in_database(db_path: Path, needle: str) -> bool:
    """Whether ``needle`` is anywhere in the SQLite file or its WAL (as text or JSON-escaped)."""
    data = b""
    for suffix in ("", "-wal"):
        path = Path(str(db_path) + suffix)
        if path.exists():
            data += path.read_bytes()
    return needle.encode() in data or json.dumps(needle)[1:-1].encode() in data
