"""The administrator role and the quarterly report, through the app.

An administrator (the elected prosecutor's desk) gets the statistics, the export and the
quarterly report, and nothing else: no roster, incidents, concerns, alerts or audit. The
report's PDF is read back (pypdf) and its numbers checked against a known quarter, with
nothing identifying in it.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from pypdf import PdfReader

from tests.flows import COORDINATOR, ask
from tests.rig import Rig, has_button
from tests.test_after_close import answer as talk_answer
from tests.test_checkins import checkins_to, deliver_after, open_incident
from tests.test_home import open_home
from tests.test_tracking import PUBLISHED, known_month

ADMIN = "UADMIN"
SETTINGS = {
    "peer_administrators": ADMIN,
    "peer_supporter_capacity": 20,
    "peer_checkin_offsets": "1d",
    "peer_checkin_hours": "any",
    "peer_checkin_rate": 1000,
}
AFFECTED = ["UAFF1", "UAFF2", "UAFF3"]
PEOPLE = ("UT0", "UT4", "UG0", "UW1", "UCANCEL", "UAFF1", "USUP1", "Rough week")


async def report_files(rig: Rig, user: str, text: str) -> tuple[str, list[list[str]], dict]:
    """``/peer <text>`` as ``user``: the report's PDF text, its CSV rows, and the PDF's upload."""
    before = set(rig.slack.files)
    ack = await rig.command(user, text)
    assert ack.status == 200 and "Gathering" in ack.json["text"], ack.text
    await rig.settle()
    new = {f["filename"]: f for key, f in rig.slack.files.items() if key not in before}
    pdf = next(f for name, f in new.items() if name.endswith(".pdf"))
    sheet = next(f for name, f in new.items() if name.endswith(".csv"))
    pages = PdfReader(io.BytesIO(pdf["content"])).pages
    assert len(pages) == 1, "the report is one page"
    return pages[0].extract_text(), list(csv.reader(io.StringIO(sheet["content"].decode()))), pdf


async def known_quarter(rig: Rig) -> None:
    """2026-Q4: the statistics tests' known month, plus an incident of three people (one check-in
    each, two answered) and one of a single person (left out of every count)."""
    rig.slack.add_users(*AFFECTED, "USOLO")
    await known_month(rig)
    await open_incident(rig, incident_people=AFFECTED)
    await open_incident(
        rig,
        incident_kind="illness",
        incident_name="Sick leave",
        incident_people=["USOLO"],
        incident_plan="1d",
    )
    await deliver_after(rig, timedelta(days=1))
    for user in AFFECTED[:2]:
        [checkin] = checkins_to(rig, user)
        await rig.click(user, checkin, "checkin_ok")
    [solo] = checkins_to(rig, "USOLO")
    await rig.click("USOLO", solo, "checkin_ok")
    await rig.settle()


def figures(rows: list[list[str]]) -> dict[str, tuple[str, str, str]]:
    """The CSV's figures by name: (this quarter, previous quarter, change)."""
    return {r[1]: (r[2], r[3], r[4]) for r in rows[1:] if len(r) == 5}


async def test_the_quarterly_report_gives_exactly_the_published_figures(start_app) -> None:
    rig = await start_app(**SETTINGS)
    await known_quarter(rig)
    # "Did talking help?": three say yes, three somewhat (asked after each close).
    for requester, action in (
        *((r, "talk_yes") for r in ("UT0", "UT1", "UT2")),
        *((r, "talk_somewhat") for r in ("UT3", "UT4", "UG0")),
    ):
        await talk_answer(rig, requester, action)
    rig.clock.set(PUBLISHED)
    text, rows, pdf = await report_files(rig, ADMIN, "report 2026-Q4")
    assert pdf["channel"] == "DADMIN"
    assert rows[0] == ["section", "figure", "2026-Q4", "2026-Q3", "change"]
    got = figures(rows)
    assert got["Contacts in total"] == ("8", "0", "+8")
    assert got["Area: Case or trauma exposure"] == ("5", "0", "+5")
    assert got["Area: Grief or loss"][0] == got["Area: Work stress"][0] == "fewer than 3"
    assert got["Area: Grief or loss"][2] == ""  # no change where a figure is hidden
    assert got["Supporter time, all together"][:2] == ("4.0 h", "0.0 h")
    assert got["EAP"] == ("3", "0", "+3") and got["No referral"] == ("5", "0", "+5")
    assert got["Requests made"] == ("9", "0", "+9") and got["Requests accepted"] == ("8", "0", "+8")
    assert got["This week: made"] == ("9", "0", "+9") and got["As soon as possible: made"][0] == "0"
    assert got["This week: median time to accept"][0] == "10 min"
    # Three people, three check-ins, two answered (fewer than 3); the one-person plan is in nothing.
    assert got["Critical incident: sent"] == ("3", "0", "+3")
    # A sum over the kind's incidents: shown only when every incident's figure was (2 is hidden).
    assert got["Critical incident: answered"][0] == "suppressed"
    assert got["Critical incident: share answered"][0] == "not shown"
    assert got["Illness or injury: sent"][0] == "0"
    # Three supporters trained 2026-01-15: current at the end of 2026, lapsing 2027-01-15.
    assert got["Supporters on the roster"][0] == "3"
    assert got["Share with current training"][0] == "100%"
    assert got["Training lapsing the next quarter"][0] == "3"
    assert got["Events held"] == ("0", "0", "+0")
    assert got["Answers in all"] == ("6", "0", "+6")
    assert got["Yes"] == ("3", "0", "+3") and got["Somewhat"] == ("3", "0", "+3")
    assert got["Not really"] == got["I'd like to keep talking"] == ("0", "0", "+0")
    # The PDF shows the same figures (its text read back).
    flat = " ".join(text.split())
    assert "quarterly report 2026-Q4" in flat
    for line in (
        "Contacts in total 8 0 +8",
        "Area: Case or trauma exposure 5 0 +5",
        "Area: Grief or loss fewer than 3 0",
        "EAP 3 0 +3",
        "Requests made 9 0 +9",
        "This week: median time to accept 10 min not shown",
        "Critical incident: sent 3 0 +3",
        "Critical incident: answered suppressed 0",
        "Share with current training 100%",
        "Supporter time, all together 4.0 h 0.0 h",
        "Did talking help? 2026-Q4 2026-Q3 Change",
        "Somewhat 3 0 +3",
    ):
        assert line in flat, line
    # Nothing identifying: no person, no note, no incident name.
    everything = flat + str(rows)
    for secret in (*PEOPLE, "Courthouse", "Sick leave", "USOLO"):
        assert secret not in everything
    assert "in your DM" in rig.slack.response_url_posts[-1]["text"]
    audit = (await rig.command(COORDINATOR, "audit")).json["text"]
    assert "quarterly report for 2026-Q4" in audit


async def test_a_published_report_does_not_move_when_the_roster_changes_later(start_app) -> None:
    rig = await start_app(**SETTINGS)
    await known_quarter(rig)
    rig.clock.set(PUBLISHED)
    _, first, _ = await report_files(rig, COORDINATOR, "report 2026-Q4")
    await rig.command(COORDINATOR, "roster remove <@USUP1|s>")
    await ask(rig, "ULATE")  # made in 2027-Q1: in no figure of 2026-Q4
    _, again, _ = await report_files(rig, ADMIN, "report 2026-Q4")
    assert figures(again) == figures(first)


async def test_the_report_is_refused_for_the_running_quarter_a_year_and_everyone_else(start_app) -> None:
    rig = await start_app(**SETTINGS)
    for user in ("UEMP", "USUP1"):
        told = (await rig.command(user, "report")).json["text"]
        assert "only program coordinators and administrators" in told
    assert "still running" in (await rig.command(ADMIN, "report 2026-Q4")).json["text"]
    rig.clock.set(PUBLISHED)
    await rig.command(ADMIN, "report 2026")
    await rig.settle()
    assert "covers one completed quarter" in rig.slack.response_url_posts[-1]["text"]
    assert not [f for f in rig.slack.files.values() if f["filename"].endswith(".pdf")]


async def test_an_administrator_sees_reports_and_nothing_else(start_app) -> None:
    rig = await start_app(**SETTINGS)
    rig.slack.add_users(ADMIN, COORDINATOR)
    await known_month(rig)
    # Coordinators' work is refused, with nothing changed.
    for command in (
        "roster",
        "roster add <@UX|x>",
        "incident list",
        "incident",
        "audit",
        "coordinators",
        "administrators",
        "training due",
        "event list",
    ):
        told = (await rig.command(ADMIN, command)).json["text"]
        assert "only program coordinators can do that" in told, command
    # No alert about a waiting request, no concern about a colleague reaches them.
    await rig.command(COORDINATOR, "roster suspend <@USUP1|a> <@USUP2|b> <@USUP3|c>")
    await ask(rig, "UWAIT", urgency="asap")
    await rig.command("UEMP", "concern <@UCOLL|c>")
    await rig.settle()
    assert not rig.slack.dms(ADMIN)
    # The Home: reports, no roster, no coordinator tools.
    shown = await open_home(rig, ADMIN)
    blocks = rig.slack.home_views[ADMIN]["blocks"]
    assert "Program reports" in shown and "Roster" not in shown
    assert has_button(blocks, "home_stats") and has_button(blocks, "home_report")
    assert not has_button(blocks, "home_incident") and not has_button(blocks, "home_event")
    help_text = (await rig.command(ADMIN, "help")).json["text"]
    assert "As an administrator" in help_text and "As a coordinator" not in help_text


async def test_coordinators_manage_administrators_audited(start_app) -> None:
    rig = await start_app(**SETTINGS)
    added = (await rig.command(COORDINATOR, "administrators add <@UDESK|d>")).json["text"]
    assert "Now administrators: <@UDESK>" in added
    listed = (await rig.command(COORDINATOR, "administrators")).json["text"]
    assert "<@UADMIN> (from PEER_ADMINISTRATORS)" in listed and "<@UDESK>" in listed
    rig.clock.set(PUBLISHED)
    ack = (await rig.command("UDESK", "stats")).json["text"]
    assert "Gathering" in ack
    fixed = (await rig.command(COORDINATOR, "administrators remove <@UADMIN|a>")).json["text"]
    assert "PEER_ADMINISTRATORS" in fixed
    await rig.command(COORDINATOR, "administrators remove <@UDESK|d>")
    refused = (await rig.command("UDESK", "stats")).json["text"]
    assert "only program coordinators and administrators" in refused
    audit = (await rig.command(COORDINATOR, "audit")).json["text"]
    assert "administrator added: <@UDESK>" in audit and "administrator removed: <@UDESK>" in audit
    # An administrator is not a coordinator: adding one is refused to them.
    told = (await rig.command(ADMIN, "administrators add <@UX|x>")).json["text"]
    assert "only program coordinators can do that" in told


async def test_the_home_report_button_sends_the_last_quarter(start_app) -> None:
    rig = await start_app(**SETTINGS)
    await known_quarter(rig)
    rig.clock.set(PUBLISHED)
    await open_home(rig, ADMIN)
    await rig.home_click(ADMIN, "home_report")
    await rig.settle()
    [pdf] = [f for f in rig.slack.files.values() if f["filename"] == "peer-support-report-2026-Q4.pdf"]
    text = " ".join(PdfReader(io.BytesIO(pdf["content"])).pages[0].extract_text().split())
    assert "Contacts in total 8 0 +8" in text
