"""``python -m bot demo``: the whole story, who sees what, the renderer, and ``--json``."""

from __future__ import annotations

import ast
import asyncio
import io
import json
import os
import re
import sys
from pathlib import Path

import pytest

from demo.office import DemoError
from demo.render import mrkdwn, render_blocks, render_view
from demo.run import run_demo
from demo.script import MARCUS_NOTE, PRIYA_NOTE, SCRIPT, Step
from handlers.blocks.requests import request_modal

ROOT = Path(__file__).resolve().parents[1]
STEP = re.compile(r"^Step (\d+) — (.+)$")
PERSON = re.compile(r"^── What (\w+) \((\w+)\) sees ──$")

Sections = dict[tuple[int, str], list[str]]


def sections_of(transcript: str) -> Sections:
    """(step number, person) → the lines printed under "What <person> sees" in that step."""
    found: Sections = {}
    step, who = 0, None
    for line in transcript.splitlines():
        if match := STEP.match(line):
            step, who = int(match[1]), None
        elif match := PERSON.match(line):
            who = match[1]
            found[(step, who)] = []
        elif line.startswith("Nothing new for:") or line == "Who saw what":
            who = None
        elif who is not None:
            found[(step, who)].append(line)
    return found


def seen(sections: Sections, step: int, person: str) -> str:
    """Everything a person saw in one step, as one line (wrapping undone)."""
    return " ".join(" ".join(sections.get((step, person), [])).split())


def leaks(sections: Sections, people: set[str], words: list[str], note: str) -> list[str]:
    """Lines shown to ``people`` that contain any of ``words``, or sections that contain ``note``."""
    found = []
    for (step, person), lines in sections.items():
        if person not in people:
            continue
        found += [f"step {step}, {person}: {line}" for line in lines if any(w in line for w in words)]
        if " ".join(note.split()) in " ".join(" ".join(lines).split()):
            found.append(f"step {step}, {person}: the note")
    return found


async def play(**options) -> str:
    out = io.StringIO()
    await run_demo(out, **options)
    return out.getvalue()


async def test_the_demo_tells_the_whole_story_step_by_step() -> None:
    transcript = await play()
    headings = [line for line in transcript.splitlines() if STEP.match(line)]
    assert headings == [f"Step {n} — {step.title}" for n, step in enumerate(SCRIPT, 1)]
    s = sections_of(transcript)

    assert "Added @Jordan, @Alex" in seen(s, 1, "Dana") and "training not recorded" in seen(s, 1, "Dana")
    assert "[ Talk to a peer ]" in seen(s, 2, "Priya") and "As a peer supporter" in seen(s, 2, "Jordan")
    # Priya asks; Jordan gets a blind offer with Accept and Pass.
    assert "Talk to a peer" in seen(s, 3, "Priya") and "We got your request" in seen(s, 3, "Priya")
    assert "A colleague would like to talk" in seen(s, 3, "Jordan")
    assert "[ Accept ] [ Pass ]" in seen(s, 3, "Jordan")
    # Jordan passes: the offer moves on to Alex.
    assert "Jordan clicks [ Pass ] on the offer." in transcript
    assert "You passed on this request" in seen(s, 4, "Jordan")
    assert "A colleague would like to talk" in seen(s, 4, "Alex")
    # Alex accepts and now sees who asked and the note; Priya learns who will reach out.
    assert "Who: @Priya" in seen(s, 5, "Alex") and f"Their note: {PRIYA_NOTE}" in seen(s, 5, "Alex")
    assert "@Alex will reach out to you by Slack message" in seen(s, 5, "Priya")
    assert "Your request #1 is with @Alex" in seen(s, 6, "Priya")
    # Alex closes with minutes and a referral; Priya is told.
    assert "Minutes spent" in seen(s, 7, "Alex") and "You closed this request" in seen(s, 7, "Alex")
    assert "(40 min recorded)" in seen(s, 7, "Alex")
    assert "has closed your request" in seen(s, 7, "Priya")
    # Jordan steps away; Marcus's request escalates to Dana without a name, then goes to Casey blind.
    assert "You're away" in seen(s, 8, "Jordan")
    assert "No peer supporter is free" in seen(s, 9, "Marcus")
    assert "A peer support request is waiting" in seen(s, 9, "Dana")
    assert "How soon: As soon as possible" in seen(s, 9, "Dana")
    assert "A colleague would like to talk" in seen(s, 10, "Casey")
    # The summary says who saw what.
    assert "Shown Priya's name or note: Alex (peer supporter)." in transcript
    assert "Shown Marcus's name or note: nobody." in transcript


async def test_the_coordinator_and_the_supporters_who_did_not_hold_a_request_never_see_who_asked() -> None:
    s = sections_of(await play())
    # The checks below must look at something: these people did see messages about the requests.
    assert seen(s, 3, "Jordan") and seen(s, 9, "Dana") and seen(s, 10, "Casey")

    priya = ["Priya", "UEMP1", "Hollis"]
    assert leaks(s, {"Dana", "Jordan", "Casey", "Marcus"}, priya, PRIYA_NOTE) == []
    marcus = ["Marcus", "UEMP2", "warehouse"]
    assert leaks(s, {"Dana", "Jordan", "Alex", "Casey", "Priya"}, marcus, MARCUS_NOTE) == []
    # Before accepting, Alex saw the offer blind too.
    assert leaks({k: v for k, v in s.items() if k[0] == 4}, {"Alex"}, priya, PRIYA_NOTE) == []


def test_the_leak_check_would_catch_a_name_or_a_wrapped_note() -> None:
    transcript = "\n".join(
        [
            "Step 9 — Something",
            "  09:00  Priya does something (narration is nobody's view).",
            "── What Dana (UCOORD1) sees ──",
            "      Who: @Priya",
            "── What Jordan (USUP1) sees ──",
            "      Their note: Rough week after the verdict in the",
            "        Hollis case. I'm not sleeping much.",
            "Nothing new for: Alex.",
        ]
    )
    s = sections_of(transcript)
    assert leaks(s, {"Dana"}, ["Priya"], PRIYA_NOTE) == ["step 9, Dana:       Who: @Priya"]
    assert "step 9, Jordan: the note" in leaks(s, {"Jordan"}, ["Priya"], PRIYA_NOTE)


async def test_step_pauses_after_each_step_once_it_is_printed() -> None:
    out = io.StringIO()
    printed_before_pause: list[str] = []

    async def pause() -> None:
        printed_before_pause.append(out.getvalue().rstrip().splitlines()[-1])

    await run_demo(out, pause=pause)
    assert len(printed_before_pause) == len(SCRIPT) - 1
    assert all(line.startswith("Nothing new for:") for line in printed_before_pause)


async def test_a_step_that_goes_off_script_stops_the_demo() -> None:
    async def click_a_missing_offer(office) -> None:
        await office.click(office.cast[1], office.dm_with_button(office.cast[1], "Accept"), "Accept")

    with pytest.raises(DemoError, match="no DM with a \\[ Accept \\] button"):
        await play(script=[Step("Nobody asked yet", click_a_missing_offer)])


async def test_python_m_bot_demo_reads_no_settings_and_writes_valid_json(tmp_path: Path) -> None:
    # Settings that would break the demo, or change its story, if it read them.
    (tmp_path / ".env").write_text("PEER_SERVICE_HOURS=whenever\nSLACK_API_URL=http://192.0.2.1/api/\n")
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(ROOT),
        "TMPDIR": str(scratch),
        "PEER_COORDINATORS": "UEMP1",
        "PEER_SUPPORTER_CAPACITY": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'should-not-exist.db'}",
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "demo",
        "--step",
        "--json",
        str(tmp_path / "json"),
        cwd=tmp_path,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode == 0, err.decode()
    assert err.decode() == ""
    assert "Who saw what" in out.decode() and f"Step {len(SCRIPT)} — " in out.decode()
    assert not (tmp_path / "should-not-exist.db").exists()
    assert list(scratch.iterdir()) == [], "the temporary database was left behind"

    files = sorted((tmp_path / "json").iterdir())
    assert files and all(re.fullmatch(r"step\d\d-[a-z]+-\d+-[a-z]+\.json", f.name) for f in files)
    for path in files:
        payload = json.loads(path.read_text(encoding="utf-8"))
        if path.stem.endswith("reply"):
            assert payload["text"]
        else:
            assert isinstance(payload["blocks"], list) and payload["blocks"], path.name
    held = json.loads((tmp_path / "json" / "step05-alex-1-update.json").read_text(encoding="utf-8"))
    assert any(PRIYA_NOTE in json.dumps(block) for block in held["blocks"])
    modal = json.loads((tmp_path / "json" / "step03-priya-1-modal.json").read_text(encoding="utf-8"))
    assert modal["type"] == "modal" and "id" not in modal and "state" not in modal


def test_the_demo_drives_the_same_stand_in_as_the_tests() -> None:
    imported: set[str] = set()
    for path in (ROOT / "demo").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
    assert "slack_standin" in imported or any(m.startswith("slack_standin.") for m in imported)
    assert not any(m.startswith("tests") for m in imported)
    assert "from slack_standin" in (ROOT / "tests" / "rig.py").read_text(encoding="utf-8")


# The renderer (pure)

NAMES = {"UEMP1": "Priya", "USUP2": "Alex"}


def test_mrkdwn_reads_as_plain_text_with_names() -> None:
    assert mrkdwn("*Who:* <@UEMP1> and <@U999|sam>", NAMES) == "Who: @Priya and @sam"
    assert mrkdwn("_quiet_ see <https://eap.example|the EAP> &lt;now&gt; &amp; <!here>", NAMES) == (
        "quiet see the EAP (https://eap.example) <now> & @here"
    )
    assert mrkdwn("snake_case_name and 2*3*4", NAMES) == "snake_case_name and 2*3*4"


def test_message_blocks_render_as_lines() -> None:
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "A colleague would like to talk"}},
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": "*About:* Grief\n*Who:* <@UEMP1>"},
            "fields": [{"type": "mrkdwn", "text": "*Minutes:* 40"}, {"type": "plain_text", "text": "*x*"}],
            "accessory": {"type": "button", "text": {"type": "plain_text", "text": "Open"}, "action_id": "o"},
        },
        {"type": "divider"},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "Offered to <@USUP2>"}]},
        {
            "type": "actions",
            "elements": [
                {"type": "button", "text": {"type": "plain_text", "text": "Accept"}, "action_id": "a"},
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "Hand back"},
                    "action_id": "h",
                    "confirm": {"title": {"type": "plain_text", "text": "Sure?"}},
                },
            ],
        },
        {"type": "video", "title": {"type": "plain_text", "text": "?"}},
    ]
    assert render_blocks(blocks, NAMES) == [
        "== A colleague would like to talk ==",
        "About: Grief",
        "Who: @Priya",
        "Minutes: 40",
        "*x*",
        "[ Open ]",
        "─" * 40,
        "· Offered to @Alex",
        "[ Accept ]  [ Hand back ] (asks “Sure?” first)",
        "[video block]",
    ]


def test_a_modal_renders_its_title_inputs_choices_and_buttons() -> None:
    lines = render_view(request_modal(note_max_length=300), NAMES)
    assert lines[0] == "Talk to a peer"
    assert lines[-1] == "[ Cancel ]  [ Send request ]"
    text = "\n".join(lines)
    assert "What would you like to talk about?\n    [ Choose one ▾ ]\n    choices: Work stress / " in text
    assert "How soon?\n    ( ) As soon as possible  ( ) This week  ( ) No rush" in text
    assert "People you'd rather not talk to (optional)\n    [ Nobody ▾ ] (several)" in text
    assert "hint: Optional, up to 300 characters." in text


def test_a_home_tab_renders_its_blocks() -> None:
    view = {"type": "home", "blocks": [{"type": "section", "text": {"type": "plain_text", "text": "Hi"}}]}
    assert render_view(view, NAMES) == ["Hi"]
