"""The office's resource directory: crisis lines first, kept by coordinators, seeded from a file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from bot.config import DEFAULT_RESOURCES, describe_error
from bot.resources import CRISIS_LINES, DEFAULT_COPING, SeedFileError, load_seed_file, parse_seed_entries
from handlers.resources.ids import ResourceField
from storage.models import ResourceTopic
from tests.rig import Rig, make_settings, text_of
from tests.world import snapshot

COORDINATOR = "UCOORD1"
EMPLOYEE = "UEMP1"

LAP = {
    "name": "State Lawyer Assistance Program",
    "purpose": "Confidential help for lawyers with stress, substance use or mental health",
    "phone": "800-555-0142",
    "url": "https://lap.example.org",
    "hours": "24/7 helpline",
    "cost": "Free",
    "confidential": True,
    "topics": ["legal_profession", "substance_use"],
}
GRIEF_GROUP = {
    "name": "Grief group at St. Luke's",
    "purpose": "A weekly group for people who lost someone",
    "url": "https://stlukes.example.org/grief",
    "topics": ["grief"],
}


def ephemeral(response: Any) -> str:
    assert response.status == 200, response.text
    assert response.json["response_type"] == "ephemeral"
    return str(response.json["text"])


# --- The seed file


def test_the_seed_file_reports_one_clear_error_per_bad_entry() -> None:
    with pytest.raises(SeedFileError) as error:
        parse_seed_entries(
            [
                LAP,
                {"name": "No way to reach it", "purpose": "Nothing"},
                {"name": "Bad topic", "purpose": "x", "phone": "555-0100", "topics": ["astrology"]},
                "just a string",
                {"purpose": "Nameless", "url": "ftp://example.org", "color": "red"},
                {**LAP, "phone": "call me"},
            ]
        )
    problems = str(error.value).split(" | ")
    assert len(problems) == 5, problems
    assert problems[0].startswith("entry 2 (No way to reach it): phone: Please give at least one way")
    assert problems[1].startswith("entry 3 (Bad topic): topics: Unknown topic “astrology”")
    assert problems[2].startswith("entry 4: must be a mapping")
    assert "entry 5:" in problems[3] and "unknown field(s) color" in problems[3]
    assert "name: Please give" in problems[3] and "url: Please enter a web address" in problems[3]
    assert problems[4].startswith("entry 6 (State Lawyer Assistance Program):")
    assert "the same name appears earlier" in problems[4] and "phone:" in problems[4]


def test_the_seed_file_reads_yaml_and_json(tmp_path: Path) -> None:
    yml = tmp_path / "resources.yml"
    yml.write_text(
        "resources:\n"
        "  - name: State Lawyer Assistance Program\n"
        "    purpose: Confidential help for lawyers\n"
        "    phone: 800-555-0142\n"
        "    confidential: true\n"
        "    topics: [legal_profession, substance-use]\n",
        encoding="utf-8",
    )
    [entry] = load_seed_file(yml)
    assert entry.confidential and entry.topics == (
        ResourceTopic.LEGAL_PROFESSION,
        ResourceTopic.SUBSTANCE_USE,
    )
    js = tmp_path / "resources.json"
    js.write_text(json.dumps([LAP, GRIEF_GROUP]), encoding="utf-8")
    assert [e.name for e in load_seed_file(js)] == [LAP["name"], GRIEF_GROUP["name"]]
    broken = tmp_path / "broken.json"
    broken.write_text("[{", encoding="utf-8")
    with pytest.raises(SeedFileError, match="broken.json is not valid JSON"):
        load_seed_file(broken)


def test_a_bad_seed_file_stops_the_app_naming_the_setting(slack_url: str, tmp_path: Path) -> None:
    bad = tmp_path / "resources.json"
    bad.write_text(json.dumps([{"name": "Nothing to reach"}]), encoding="utf-8")
    with pytest.raises(ValidationError) as error:
        make_settings_for(slack_url, tmp_path, peer_resources_file=str(bad))
    line = describe_error(error.value)
    assert line.startswith("invalid setting PEER_RESOURCES_FILE: entry 1 (Nothing to reach):"), line


@pytest.fixture
def slack_url() -> str:
    return "http://127.0.0.1:9/api/"


def make_settings_for(url: str, tmp_path: Path, **overrides: Any) -> Any:
    class _Slack:
        base_url = url

    return make_settings(_Slack(), f"sqlite:///{tmp_path / 'x.db'}", **overrides)  # type: ignore[arg-type]


def test_the_defaults_never_say_ask_hr() -> None:
    everything = " ".join([*DEFAULT_RESOURCES, DEFAULT_COPING, *(e.purpose for e in CRISIS_LINES)]).lower()
    assert "ask hr" not in everything and "intranet" not in everything
    assert "988" in everything and "741741" in everything and "911" in everything


# --- /peer resources and the seeded directory


@pytest.fixture
def seed_file(tmp_path: Path) -> Path:
    path = tmp_path / "resources.json"
    path.write_text(json.dumps([LAP, GRIEF_GROUP]), encoding="utf-8")
    return path


async def test_crisis_lines_come_first_then_the_office_directory(start_app, seed_file: Path) -> None:
    rig = await start_app(peer_resources_file=str(seed_file))
    text = ephemeral(await rig.command(EMPLOYEE, "resources"))
    order = [text.index(s) for s in ("988", "741741", "911", "St. Luke", "State Lawyer Assistance Program")]
    assert order == sorted(order), text
    assert "confidential from the office" in text and "800-555-0142" in text
    assert "What to expect, and what helps" in text


async def test_resources_by_topic_keep_the_crisis_lines(start_app, seed_file: Path) -> None:
    rig = await start_app(peer_resources_file=str(seed_file))
    grief = ephemeral(await rig.command(EMPLOYEE, "resources grief"))
    assert "St. Luke" in grief and "Lawyer Assistance" not in grief and "988" in grief
    legal = ephemeral(await rig.command(EMPLOYEE, "resources LAP"))
    assert "Lawyer Assistance" in legal and "St. Luke" not in legal
    money = ephemeral(await rig.command(EMPLOYEE, "resources money"))
    assert "has nothing for money yet" in money and "988" in money
    unknown = ephemeral(await rig.command(EMPLOYEE, "resources astrology"))
    assert "I don't know the topic `astrology`" in unknown


async def test_the_seed_file_adds_each_entry_once(start_app, seed_file: Path) -> None:
    rig = await start_app(peer_resources_file=str(seed_file))
    assert rig.app.services is not None
    [_, lap] = await rig.app.services.directory.office_entries()  # by name: Grief…, State…
    await rig.app.services.directory.remove(coordinator_id=COORDINATOR, resource_id=lap.id)
    await rig.app.stop()
    again = await start_app(peer_resources_file=str(seed_file))
    text = ephemeral(await again.command(EMPLOYEE, "resources"))
    assert "Lawyer Assistance" not in text and "St. Luke" in text


async def test_an_office_own_peer_resources_lines_still_show(start_app) -> None:
    rig = await start_app(peer_resources=["Office EAP: 555-0100"])
    text = ephemeral(await rig.command(EMPLOYEE, "resources"))
    assert text.index("988") < text.index("Office EAP: 555-0100")


# --- Kept by coordinators from Home


async def open_home(rig: Rig, user: str) -> dict[str, Any]:
    await rig.event({"type": "app_home_opened", "user": user, "tab": "home"})
    await rig.settle()
    return rig.slack.home_views[user]


async def open_modal(rig: Rig, action: str, *, block_id: str | None = None) -> dict[str, Any]:
    calls = len(rig.slack.calls)
    await rig.home_click(COORDINATOR, action, block_id=block_id)
    await rig.settle()
    [opened] = [c for c in rig.slack.calls[calls:] if c.method == "views.open"]
    return rig.slack.views[rig.slack.view_by_trigger[opened.params["trigger_id"]]]


def form(**values: Any) -> dict[str, Any]:
    fields = {
        "name": ResourceField.NAME,
        "purpose": ResourceField.PURPOSE,
        "phone": ResourceField.PHONE,
        "text": ResourceField.TEXT,
        "url": ResourceField.URL,
        "hours": ResourceField.HOURS,
        "cost": ResourceField.COST,
        "confidential": ResourceField.CONFIDENTIAL,
        "topics": ResourceField.TOPICS,
        "remove": ResourceField.REMOVE,
    }
    return {fields[k]: v for k, v in values.items()}


async def audit_text(rig: Rig) -> str:
    return str((await rig.command(COORDINATOR, "audit")).json["text"])


async def test_a_coordinator_adds_a_resource_with_inline_errors_and_nothing_half_saved(rig: Rig) -> None:
    assert rig.app.db is not None
    home = await open_home(rig, COORDINATOR)
    assert "Add a resource" in text_of(home["blocks"])
    modal = await open_modal(rig, "home_resource_add")
    before = await snapshot(rig.app.db)
    bad = await rig.submit(
        COORDINATOR, modal, form(name="  ", purpose="Therapy", url="not a url", topics=["trauma"])
    )
    assert bad.json["response_action"] == "errors"
    assert set(bad.json["errors"]) == {"resource_name", "resource_url"}
    nothing = await rig.submit(COORDINATOR, modal, form(name="Dr. Rivera", purpose="Therapy"))
    assert set(nothing.json["errors"]) == {"resource_phone"}
    crisis = await rig.submit(COORDINATOR, modal, form(name="crisis text line", purpose="x", phone="741741"))
    assert "crisis lines" in crisis.json["errors"]["resource_name"]
    assert await snapshot(rig.app.db) == before
    good = await rig.submit(
        COORDINATOR,
        modal,
        form(
            name="Dr. Ana Rivera, trauma therapist",
            purpose="Trauma-focused therapy (EMDR), sees many attorneys",
            phone="(555) 010-2233",
            hours="Mon-Fri, evenings",
            cost="$120; sliding scale",
            confidential=["confidential"],
            topics=["trauma", "legal_profession"],
        ),
    )
    assert good.status == 200 and not good.text, good.text
    await rig.settle()
    text = ephemeral(await rig.command(EMPLOYEE, "resources trauma"))
    assert text.index("988") < text.index("Dr. Ana Rivera") and "$120; sliding scale" in text
    assert "resource added" in await audit_text(rig)
    dup = await rig.submit(
        COORDINATOR, modal, form(name="DR. ANA RIVERA, trauma therapist", purpose="x", phone="1234")
    )
    assert "already has a resource by that name" in dup.json["errors"]["resource_name"]
    # Everyone's Home lists it below the crisis lines.
    home = text_of((await open_home(rig, EMPLOYEE))["blocks"])
    assert home.index("988") < home.index("Dr. Ana Rivera")
    assert "home_resource_edit" not in home and "home_resource_add" not in home


async def test_a_coordinator_edits_and_removes_a_resource(start_app, seed_file: Path) -> None:
    rig = await start_app(peer_resources_file=str(seed_file))
    assert rig.app.services is not None
    [grief, lap] = await rig.app.services.directory.office_entries()  # by name
    await open_home(rig, COORDINATOR)
    modal = await open_modal(rig, "home_resource_edit", block_id=f"resource_{grief.id}")
    assert "Grief group" in text_of(modal["blocks"])
    bad = await rig.submit(COORDINATOR, modal, form(name=lap.name, purpose="x", url="https://a.example"))
    assert "already has a resource by that name" in bad.json["errors"]["resource_name"]
    ok = await rig.submit(
        COORDINATOR,
        modal,
        form(
            name="Grief group at St. Luke's",
            purpose="Weekly, Tuesdays 6pm",
            url="https://stlukes.example.org/grief",
            topics=["grief", "family"],
        ),
    )
    assert ok.status == 200
    family = ephemeral(await rig.command(EMPLOYEE, "resources family"))
    assert "Weekly, Tuesdays 6pm" in family
    removed = await rig.submit(COORDINATOR, modal, form(name="x", purpose="y", remove=["remove"]))
    assert removed.status == 200
    text = ephemeral(await rig.command(EMPLOYEE, "resources"))
    assert "St. Luke" not in text and "988" in text and "Lawyer Assistance" in text
    audit = await audit_text(rig)
    assert "resource changed" in audit and "resource removed" in audit
    # Removing it again (a stale modal) is refused at the field, politely.
    again = await rig.submit(COORDINATOR, modal, form(name="x", purpose="y", remove=["remove"]))
    assert "no longer in the directory" in again.json["errors"]["resource_name"]


async def test_the_crisis_lines_cannot_be_edited_or_removed(rig: Rig) -> None:
    assert rig.app.services is not None
    await open_home(rig, COORDINATOR)
    home = rig.slack.home_views[COORDINATOR]
    edit_buttons = [b for b in home["blocks"] if str(b.get("block_id", "")).startswith("resource_")]
    assert [b["block_id"] for b in edit_buttons] == ["resource_actions"]  # only Add: no Edit on a crisis line
    for line in CRISIS_LINES:
        with pytest.raises(Exception, match=str(line.id)):
            await rig.app.services.directory.remove(coordinator_id=COORDINATOR, resource_id=line.id)
    text = ephemeral(await rig.command(EMPLOYEE, "resources"))
    assert "988" in text and "741741" in text and "911" in text
